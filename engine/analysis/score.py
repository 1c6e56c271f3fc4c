"""Weights and tolerances -> `Scorecard`: component scores, per-joint scores, a timeline, moments.

Cheap by design (no extraction, no DTW): the dashboard calls it on every slider move.

Pose: how the student's limbs move WITH the teacher's. Per limb, the correlation C_l of the two
direction tracks along the aligned path (`Analysis.limb_comove`: 1 = moved exactly as the
teacher, about 0 = unrelated; a constant offset, i.e. style, cancels); pooled over the limbs in
view with the joint weights w_l: C = sum w num / sqrt(sum w dt * sum w ds). The pose component is
`comovement_score(C)` = 100 (1 - (1 - max(C, 0))^2): a quadratic loss on the movement the
teacher's does not explain (`SCALE`), times (1 - M), M the mistake share below. On real
footage (issue #12): different dances 2-50, the same choreography by two dancers 79-88, a clip
against itself or its mirror image 100.

Mistakes: C pools the whole dance, so a move done clearly wrong for 1 s of 12 s barely moves it.
The pose component therefore also loses the share of the danced path that was a mistake,
M = mean over the danced pairs of m_k (facing away and the still wait before the dance are not
judged; `_mistake_share`). A pair's m_k is the largest over the limbs of (w_l / max w)
clip((err - median_l - max(tol_l, MISTAKE_NOISE_K sigma_l)) / LOCAL_SPAN_DEG, 0, 1), kept only
in stretches at least MIN_MOMENT_S long: the error beyond what is usual for this pair and limb.
sigma_l = 1.4826 MAD of that limb's error over the path is the pair's own noise (two real dancers
and their trackers differ by 10-20 degrees all the time, and that is already in C; a drawn or
copied clip by 1-3), so only an excess that stands out of it is a mistake (the Hampel rule, k = 3).
A freeze moment counts m_k = 1 over its span (the student does not dance the move at all).
Timing mistakes are the timing component's. A constant offset is style: the median absorbs it.

Per joint: `comovement_score(C_l')` times (1 - LOCAL_PENALTY W_l), where C_l' is the limb's own
correlation leaned toward the pooled C by how little the teacher moves that limb against tracking
noise (`LIMB_NOISE_DEG`), and W_l is the worst
LOCAL_WINDOW_S moving mean of the pair's local excess clip((err - median_l - tol_l) /
LOCAL_SPAN_DEG, 0, 1): err the direction error, median_l the pair's own typical error for that
limb (style), tol_l the joint group's tolerance. `joint_timeline` is 100 (1 - local excess) per
limb; the timeline's per-pair pose is that (pooled over the limbs) times the co-movement score
comovement_score(C) / 100, so its level is the dance's and its dips are the mistakes. Timing: a
lateness within the tolerance is free; beyond it the pair score falls as
100 / (1 + (excess / TIMING_HALF_S)^2).

Form moments are limb-direction error spikes against a rolling baseline
(`Analysis.limb_error` against `Analysis.limb_baseline`): a constant offset is the dancer's
style, a sustained rise is a mistake. Only compared pairs count: not the tracker's glitches (NaN
in the limb facts), not a pair where either dancer faces away from the camera
(`Analysis.facing_away`), not outside both clips' active ranges nor in the still wait before a
dancer starts (`START_ENERGY_SHARE`). Each moment names one direction
and its size from `Analysis.limb_signed` (the dominant of out / up / forward over the stretch); a
stretch whose signed difference does not keep one direction swings, which is tracking noise, not
something the dancer did, and is not a moment. Limbs of one body part (`body.LIMB_CHAIN`) off at
the same time are one moment, named by the most severe (a whole arm held lower is "arm lower",
not also "forearm lower" and "hand lower").

Moments carry facts (joint, signed error, lateness, how long), not words: the sentences a
student reads are written by `engine.present.feedback.wording.describe_moment`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from engine.analysis.beats import BeatGrid, no_beats
from engine.analysis.compare import Analysis
from engine.analysis.dsp import uniform_filter1d
from engine.analysis.metrics import dynamics_score
from engine.core.arrays import true_runs
from engine.core.body import (
    JOINT_GROUP,
    LIMB_CHAIN,
    LIMB_NAMES,
    LIMBS,
    SCORED_JOINTS,
    mirror_joint_name,
)
from engine.core.errors import SettingsError
from engine.core.settings import COMPONENTS, ScoreSettings

#: What the scores mean (shown with every score: report, dashboard, feedback, README).
SCALE = ("100 = indistinguishable from the teacher; 85 or more = the choreography is right with small "
         "differences; 50 or less = what an unrelated dance gets")
#: Degrees past tolerance at which a flexion-angle pair scores 50 (live practice scoring).
POSE_HALF_DEG = 30.0
#: Degrees past (the limb's own median error + its tolerance) over which a pair's limb score
#: falls from 100 to 0: a limb direction 30 degrees off beyond the dancer's usual is fully wrong.
LOCAL_SPAN_DEG = 30.0
#: Length of the worst stretch that lowers a joint's score, seconds (about one dance move).
LOCAL_WINDOW_S = 1.0
#: A limb's error is a mistake only beyond max(tolerance, this many robust standard deviations of
#: the pair's own error for that limb) above its median: the Hampel outlier rule's 3 (1.4826 MAD
#: estimates the standard deviation; 3 of them is the textbook threshold for "stands out").
MISTAKE_NOISE_K = 3.0
#: Share of a joint's co-movement score that a window entirely off (W_l = 1) takes away: a
#: joint that moves with the teacher but is clearly wrong for a whole move keeps half.
LOCAL_PENALTY = 0.5
#: Tracking noise of a limb's direction, RMS degrees (MediaPipe's 3D limb directions wobble by
#: several degrees frame to frame; 10 degrees is also about what a viewer cannot see). A joint's
#: own correlation counts by spread^2 / (spread^2 + noise^2) of the teacher's movement of it, the
#: rest is the whole body's: a limb moving 10 degrees RMS counts half, 30 degrees 90 %.
LIMB_NOISE_DEG = 10.0
#: A limb whose direction spreads less than this about its mean (RMS, degrees) over the path is
#: held still: its correlation is undefined, so two still limbs count as agreeing (C = 1), one
#: still against a moving one as not co-moving (C = 0). Tracking noise alone exceeds it.
STILL_RMS_DEG = 1.0
#: Seconds past the timing tolerance at which a pair's timing scores 50.
TIMING_HALF_S = 0.3
#: A limb direction must differ from its baseline by more than max(tolerance, this) to be a
#: mistake, degrees: the smallest change of a limb's direction a teacher sees at a glance.
MIN_SPIKE_DEG = 15.0
#: A form moment keeps one direction when, on its dominant axis, |mean signed difference| is at
#: least this share of the mean |signed difference|; below it the difference swings (0.6: at
#: most a fifth of the size points the other way).
MIN_DIRECTION_SHARE = 0.6
#: The axes of `Analysis.limb_signed`, in order.
AXES = ("out", "up", "forward")
#: Shortest form or timing moment, seconds; moments closer than MERGE_GAP_S are merged.
MIN_MOMENT_S = 0.25
MERGE_GAP_S = 0.3
#: A timing moment needs the student off by more than the tolerance for this long, seconds.
MIN_TIMING_MOMENT_S = 0.4
#: A dancer has started when their motion (STILL_SMOOTH_S running mean) first reaches this share
#: of their median motion over the compared span, and stops after it last does: the still
#: stretch before (the wait for the music) and after is not danced, so no form moment is found
#: there. Half: a dancer getting ready moves, but far less than dancing.
START_ENERGY_SHARE = 0.5
#: Running mean over which "still" is judged (freezes, the wait before the dance), seconds.
STILL_SMOOTH_S = 0.2
#: Freeze: the student's motion below FREEZE_ENERGY (torso lengths/s) for at least FREEZE_MIN_S
#: while the teacher, over the aligned span, moves faster than FREEZE_TEACHER_ENERGY.
FREEZE_ENERGY = 0.35
FREEZE_MIN_S = 0.4
FREEZE_TEACHER_ENERGY = 1.0
#: Timeline smoothing window, seconds.
TIMELINE_SMOOTH_S = 0.5


#: Moment kinds and the facts each one must carry (the rest stay None).
MOMENT_FACTS: dict[str, tuple[str, ...]] = {
    "form": ("joint", "error_deg"), "timing": ("late_s",), "freeze": ("still_s",)}


@dataclass(frozen=True)
class Moment:
    """A stretch that matters, as facts. Times are (start, end) seconds in each file.

    Attributes
    ----------
    teacher_s, student_s : (start, end) seconds in each file
    kind : "form", "timing" or "freeze"
    joint : form: the student's own joint (mirroring undone) whose limb was off (`body.LIMBS`:
        shoulder = upper arm, elbow = forearm, ...)
    error_deg : form: signed mean difference student - teacher along `axis` over the off frames,
        degrees (`limbs.pair_errors`: out > 0 further to the limb's own side, or for the torso
        and head to the student's own left; up > 0 higher; forward > 0 more in front). Moments
        rebuilt from a report written before limb moments (`axis` None): the flexion-angle
        difference at the joint.
    late_s : timing: lateness at the worst frame, seconds (negative: early)
    severity : ranking key (bigger is more important)
    still_s : freeze: how long the student stood still, seconds
    axis : form: "out", "up" or "forward", the direction the limb was off in (None only in
        moments rebuilt from reports written before limb moments)
    counts : ((8-count, count) at the start, (8-count, count) at the end) of `teacher_s` in the
        teacher's music (`beats.BeatGrid.span_counts`); None when the music gives no counts
    """

    teacher_s: tuple[float, float]
    student_s: tuple[float, float]
    kind: str
    joint: str | None
    error_deg: float | None
    late_s: float | None
    severity: float
    still_s: float | None = None
    axis: str | None = None
    counts: tuple[tuple[int, int], tuple[int, int]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in MOMENT_FACTS:
            raise ValueError(f"Moment kind must be one of {', '.join(MOMENT_FACTS)}, got {self.kind!r}")
        if self.axis is not None and (self.kind != "form" or self.axis not in AXES):
            raise ValueError(f"a form moment's axis must be one of {', '.join(AXES)}, got {self.axis!r}")
        needed = MOMENT_FACTS[self.kind]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} moment needs {', '.join(missing)}")


@dataclass(frozen=True, eq=False)
class Scorecard:
    """The scores of one comparison under one `ScoreSettings`.

    Attributes
    ----------
    overall : 0..100
    components : component -> 0..100, or None when it could not be computed
    joints : student's joint name -> 0..100 (NaN-free; joints not in view are left out)
    joint_error_deg : student's joint name -> median limb direction error, degrees
    teacher_s, student_s : (K,) times of the aligned pairs, seconds
    timeline : (K,) combined score per pair, smoothed, 0..100
    joint_timeline : (K, J) per-joint pair scores (SCORED_JOINTS order, teacher's columns), 0..100,
        NaN where not compared
    late_s : (K,) lateness against the music, seconds (NaN without a timing reference)
    moments : most important first
    not_in_view : the student's joints that one of the clips does not show (not scored)
    excluded : what the limb facts left out: "glitch_frames_teacher", "glitch_frames_student"
        (frames on the path with a tracker glitch on any limb), "limb_pairs_share" (share of the
        pair x limb entries both clips showed that were dropped as glitches, 0..1) and
        "facing_away_pairs" (pairs where a dancer faces away from the camera: no form moments)
    beats : the teacher's beats and 8-counts (`Analysis.beats`); the moments' `counts` come from it
    """

    overall: float
    components: dict[str, float | None]
    joints: dict[str, float]
    joint_error_deg: dict[str, float]
    teacher_s: np.ndarray
    student_s: np.ndarray
    timeline: np.ndarray
    joint_timeline: np.ndarray
    late_s: np.ndarray
    moments: list[Moment]
    settings: ScoreSettings = field(default_factory=ScoreSettings)
    not_in_view: tuple[str, ...] = ()
    excluded: dict[str, float] = field(default_factory=dict)
    beats: BeatGrid = field(default_factory=lambda: no_beats("no music was given"))

    @property
    def worst_joints(self) -> list[tuple[str, float]]:
        return sorted(self.joints.items(), key=lambda kv: kv[1])


def falloff(excess: np.ndarray, half: float) -> np.ndarray:
    """100 at zero excess, 50 at `half`, towards 0 beyond; NaN stays NaN."""
    return 100.0 / (1.0 + (np.maximum(excess, 0.0) / half) ** 2)


def comovement_score(c: np.ndarray | float) -> np.ndarray:
    """Co-movement correlation -> 0..100: 100 (1 - (1 - max(c, 0))^2); NaN stays NaN.

    Anchors: c = 1 -> 100, c = 0.29 -> about 50 (unrelated dances), c <= 0 -> 0.
    """
    return 100.0 * (1.0 - (1.0 - np.clip(c, 0.0, 1.0)) ** 2)


def correlation(num: np.ndarray, dt: np.ndarray, ds: np.ndarray, n: np.ndarray) -> np.ndarray:
    """num / sqrt(dt ds) of co-movement sums over n pairs, with held-still limbs resolved
    (`STILL_RMS_DEG`). NaN where n is 0."""
    still = n * np.radians(STILL_RMS_DEG) ** 2
    t_still, s_still = dt <= still, ds <= still
    with np.errstate(invalid="ignore", divide="ignore"):
        c = num / np.sqrt(dt * ds)
    return np.where(n > 0, np.where(t_still & s_still, 1.0, np.where(t_still | s_still, 0.0, c)), np.nan)


def _weighted_mean(values: np.ndarray, weights: np.ndarray, axis=None) -> np.ndarray:
    ok = np.isfinite(values) & (weights > 0)
    w = np.where(ok, weights, 0.0)
    total = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(ok, values, 0.0) * w).sum(axis=axis) / total, np.nan)


def _nanmean_or_none(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else None


def student_joint(name: str, mirror: bool) -> str:
    """Joint columns follow the teacher's sides; a mirrored student's own joint is the other side."""
    return mirror_joint_name(name) if mirror else name


def _merge_runs(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] <= gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


# --- scoring --------------------------------------------------------------------------------

def joint_tables(settings: ScoreSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per-joint tolerance (degrees) and weight, each (J,) float64 in `body.SCORED_JOINTS` order."""
    tol = np.array([settings.tolerance_deg[JOINT_GROUP[j]] for j in SCORED_JOINTS], dtype=np.float64)
    w = np.array([settings.joint_weights[JOINT_GROUP[j]] for j in SCORED_JOINTS], dtype=np.float64)
    return tol, w


def _pose(a: Analysis, tol: np.ndarray, jw: np.ndarray
          ) -> tuple[float | None, np.ndarray, np.ndarray, np.ndarray]:
    """The pose component, per-pair limb scores and per-joint scores (module docstring).

    Returns
    -------
    pose : 0..100 before the mistake share (`_mistake_share`), or None when no limb is in view in
        both clips
    pair : (K, L) per-pair limb scores 0..100, NaN where not compared or not in view
    joint : (L,) per-joint scores 0..100, NaN where not in view
    median_err : (L,) each limb's median direction error over the path, degrees (NaN: never compared)
    """
    seen = a.limb_in_view
    num, dt, ds = (a.limb_comove[:, c] for c in range(3))
    n = np.asarray(a.limb_pairs, dtype=np.float64)
    w = jw * seen
    pooled = correlation(*(np.sum(w * x) for x in (num, dt, ds, n))) if w.sum() > 0 else np.nan
    pose = float(comovement_score(pooled)) if np.isfinite(pooled) else None

    err = a.limb_error.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)             # a limb never compared: NaN, left out
        median_err = np.nanmedian(err, axis=0)
    excess = np.clip((err - median_err - tol) / LOCAL_SPAN_DEG, 0.0, 1.0)                            # (K, L)
    excess[:, ~seen] = np.nan
    window = max(round(LOCAL_WINDOW_S * a.teacher.fps), 1)
    worst = uniform_filter1d(np.nan_to_num(excess, nan=0.0), size=window, axis=0, mode="constant").max(axis=0) \
        if err.shape[0] else np.zeros(err.shape[1])
    # A limb the choreography barely moves says little on its own: its correlation is mostly
    # tracking noise. Lean it toward the whole body's by how far its movement stands above noise.
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = dt / n                                             # teacher's mean squared deviation, rad^2
    trust = spread / (spread + np.radians(LIMB_NOISE_DEG) ** 2)
    own = correlation(num, dt, ds, n)
    shrunk = np.where(np.isfinite(pooled) & np.isfinite(trust), trust * own + (1.0 - trust) * pooled, own)
    joint = np.where(seen, comovement_score(shrunk) * (1.0 - LOCAL_PENALTY * worst), np.nan)
    return pose, 100.0 * (1.0 - excess), joint, median_err


def _mistake_share(a: Analysis, tol: np.ndarray, jw: np.ndarray, freezes: list[Moment]) -> float:
    """M, the share of the danced path that was a mistake, 0..1 (module docstring, "Mistakes").

    A limb's excess counts where it stands out of the pair's own noise for that limb
    (`MISTAKE_NOISE_K`), for at least `MIN_MOMENT_S`, weighted by the joint weight against the
    largest one; each freeze moment's pairs count fully. 0 when nothing is judged.
    """
    judged = _danced(a) & ~a.facing_away                                                   # (K,)
    if not judged.any():
        return 0.0
    err = a.limb_error.astype(np.float64)
    err[~judged] = np.nan
    err[:, ~a.limb_in_view] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)             # a limb never judged: NaN, left out
        median = np.nanmedian(err, axis=0)                          # (L,) degrees: style
        sigma = 1.4826 * np.nanmedian(np.abs(err - median), axis=0)  # (L,) degrees: the pair's noise
    with np.errstate(invalid="ignore"):
        excess = np.clip((err - median - np.maximum(tol, MISTAKE_NOISE_K * sigma)) / LOCAL_SPAN_DEG, 0.0, 1.0)
    w = jw / jw.max() if jw.max() > 0 else np.zeros_like(jw)
    per_pair = np.nan_to_num(excess * w, nan=0.0).max(axis=1)                              # (K,)
    sustained = np.zeros(per_pair.shape, bool)
    for lo, hi in true_runs(per_pair > 0):
        if a.teacher_s[hi - 1] - a.teacher_s[lo] + 1 / a.teacher.fps >= MIN_MOMENT_S:
            sustained[lo:hi] = True
    per_pair = np.where(sustained, per_pair, 0.0)
    for m in freezes:
        per_pair[(a.student_s >= m.student_s[0]) & (a.student_s <= m.student_s[1])] = 1.0
    return float(per_pair[judged].mean())


def _in_active_ranges(a: Analysis) -> np.ndarray:
    """(K,) bool: the pair lies inside both clips' active ranges (not the wait before the dance)."""
    (ta, tb), (sa, sb) = a.sync.teacher_active_s, a.sync.student_active_s
    ts, ss = a.teacher_s, a.student_s
    slack = 0.5 / a.teacher.fps                                # a frame's rounding of the range ends
    return (ts >= ta - slack) & (ts <= tb + slack) & (ss >= sa - slack) & (ss <= sb + slack)


def _dance_span(energy: np.ndarray, frames: np.ndarray, fps: float) -> tuple[int, int]:
    """[first, last] frame of a dancer's dancing among the compared `frames`: from the first frame
    their motion reaches `START_ENERGY_SHARE` of its median to the last (the whole span when
    their motion is unknown)."""
    lo, hi = int(frames.min()), int(frames.max()) + 1
    e = np.asarray(energy[lo:hi], dtype=np.float64)
    if not np.isfinite(e).any():
        return lo, hi - 1
    smooth = uniform_filter1d(np.nan_to_num(e, nan=0.0), size=max(int(STILL_SMOOTH_S * fps), 1))
    moving = np.flatnonzero(smooth >= START_ENERGY_SHARE * np.nanmedian(e))
    return (lo + int(moving[0]), lo + int(moving[-1])) if moving.size else (lo, hi - 1)


def _danced(a: Analysis) -> np.ndarray:
    """(K,) bool: the pair lies inside both clips' active ranges and both dancers dance at it
    (not the wait before the dance, nor the stillness after it)."""
    fps = a.teacher.fps
    ok = _in_active_ranges(a)
    for energy, frames in ((a.teacher_energy, a.path[:, 0]), (a.student_energy, a.path[:, 1])):
        first, last = _dance_span(energy, frames, fps)
        ok &= (frames >= first) & (frames <= last)
    return ok


def _direction(signed: np.ndarray, err: np.ndarray) -> tuple[int, float] | None:
    """The one direction of a stretch: signed differences (n, 3) (out, up, forward) and angles (n,)
    -> (axis, mean along it), or None when that axis swings (`MIN_DIRECTION_SHARE`).

    "up" is an elevation, unchanged by turning about the vertical, so it names the stretch when
    the rise or drop carries most of the angle (at least MIN_DIRECTION_SHARE of it): lowering an
    arm that points down and forward also makes it less forward, but a dancer hears "lower".
    Otherwise the larger of out and forward names it.
    """
    mean = signed.mean(axis=0)
    axis = 1 if abs(mean[1]) >= MIN_DIRECTION_SHARE * float(np.mean(err)) else (0 if abs(mean[0]) >= abs(mean[2]) else 2)
    size = float(np.mean(np.abs(signed[:, axis])))
    if not size > 0 or abs(mean[axis]) < MIN_DIRECTION_SHARE * size:
        return None
    return axis, float(mean[axis])


def _form_moments(a: Analysis, settings: ScoreSettings, tol: np.ndarray) -> list[Moment]:
    fps = a.teacher.fps
    err = a.limb_error.astype(np.float64)                   # NaN: unseen or glitched
    err[a.facing_away | ~_danced(a)] = np.nan
    err[:, ~a.limb_in_view] = np.nan
    floor = np.maximum(tol, MIN_SPIKE_DEG)
    with np.errstate(invalid="ignore"):
        spike = err - a.limb_baseline > floor               # NaN compares False
    ts, ss = a.teacher_s, a.student_s
    candidates = []
    for j, (limb, joint) in enumerate(zip(LIMB_NAMES, SCORED_JOINTS)):
        for lo, hi in _merge_runs(true_runs(spike[:, j]), int(MERGE_GAP_S * fps)):
            dur = ts[hi - 1] - ts[lo] + 1 / fps
            if dur < MIN_MOMENT_S:
                continue
            hot = lo + np.flatnonzero(spike[lo:hi, j])          # the frames that were off, not the gaps
            direction = _direction(a.limb_signed[hot, j].astype(np.float64), err[hot, j])
            if direction is None:
                continue                                        # it swings: noise, not a mistake
            axis, signed = direction
            if abs(signed) < MIN_SPIKE_DEG:
                continue                                        # off, but in no one direction worth naming
            if a.mirror and LIMBS[j][3] == 0 and axis == 0:
                signed = -signed        # the mirrored body's left is the student's own right
            excess = float(np.mean(err[hot, j] - a.limb_baseline[hot, j])) - float(tol[j])
            candidates.append((LIMB_CHAIN[limb], Moment(
                teacher_s=(float(ts[lo]), float(ts[hi - 1])), student_s=(float(ss[lo]), float(ss[hi - 1])),
                kind="form", joint=student_joint(joint, a.mirror), error_deg=signed, late_s=None,
                severity=excess * dur * settings.joint_weights[JOINT_GROUP[joint]], axis=AXES[axis])))
    # One body part, one mistake at a time: the most severe of overlapping moments names it.
    kept: list[tuple[str, Moment]] = []
    for chain, m in sorted(candidates, key=lambda cm: -cm[1].severity):
        if not any(c == chain and m.teacher_s[0] <= k.teacher_s[1] and k.teacher_s[0] <= m.teacher_s[1]
                   for c, k in kept):
            kept.append((chain, m))
    return [m for _, m in kept]


def excluded_counts(a: Analysis) -> dict[str, float]:
    """What the limb facts left out (`Scorecard.excluded`)."""
    g = a.glitches
    glitched = int(g.get("limb_pairs", 0))
    shown = glitched + int(np.sum(a.limb_pairs))                # compared + dropped = shown by both clips
    return {"glitch_frames_teacher": int(g.get("teacher_frames", 0)),
            "glitch_frames_student": int(g.get("student_frames", 0)),
            "limb_pairs_share": round(glitched / shown, 4) if shown else 0.0,
            "facing_away_pairs": int(np.sum(a.facing_away))}


def _timing_moments(a: Analysis, settings: ScoreSettings) -> list[Moment]:
    if not a.timing_reference:
        return []
    fps = a.teacher.fps
    late = a.late_s
    off = np.abs(late) > settings.timing_tolerance_s
    ts, ss = a.teacher_s, a.student_s
    out = []
    for lo, hi in _merge_runs(true_runs(off), int(MERGE_GAP_S * fps)):
        if ts[hi - 1] - ts[lo] < MIN_TIMING_MOMENT_S and ss[hi - 1] - ss[lo] < MIN_TIMING_MOMENT_S:
            continue
        seg = late[lo:hi]
        peak = float(seg[np.argmax(np.abs(seg))])
        out.append(Moment(
            teacher_s=(float(ts[lo]), float(ts[hi - 1])), student_s=(float(ss[lo]), float(ss[hi - 1])),
            kind="timing", joint=None, error_deg=None, late_s=peak,
            severity=float(np.mean(np.abs(seg) - settings.timing_tolerance_s)) * 60.0
            * max(ts[hi - 1] - ts[lo], ss[hi - 1] - ss[lo])))
    return out


def _freeze_moments(a: Analysis) -> list[Moment]:
    fps = a.student.fps
    energy = np.nan_to_num(a.student_energy, nan=np.inf)
    still = uniform_filter1d(energy, size=max(int(STILL_SMOOTH_S * fps), 1)) < FREEZE_ENERGY
    s_idx, t_idx = a.path[:, 1], a.path[:, 0]
    first = _dance_span(a.student_energy, s_idx, fps)[0]     # standing before the dance is the wait, not a freeze
    last = s_idx.max()      # stopping before the teacher does is a freeze
    out = []
    for lo, hi in true_runs(still):
        lo, hi = max(lo, first), min(hi, last + 1)
        if (hi - lo) / fps < FREEZE_MIN_S:
            continue
        on_path = (s_idx >= lo) & (s_idx < hi)
        t_lo, t_hi = int(t_idx[on_path].min()), int(t_idx[on_path].max())
        # What the teacher does while the student stands still: the teacher frames the student's
        # still frames align to, widened to the same duration (DTW may squeeze them to one frame).
        centre, half = (t_lo + t_hi) // 2, max((hi - lo) // 2, (t_hi - t_lo) // 2)
        t_span = slice(max(centre - half, 0), min(centre + half + 1, a.teacher.n_frames))
        teacher_energy = float(np.nanmean(a.teacher_energy[t_span]))
        if not teacher_energy > FREEZE_TEACHER_ENERGY:
            continue  # both still: a held pose in the choreography
        dur = (hi - lo) / fps
        out.append(Moment(
            teacher_s=(float(a.teacher.t[t_span.start]), float(a.teacher.t[t_span.stop - 1])),
            student_s=(float(a.student.t[lo]), float(a.student.t[hi - 1])),
            kind="freeze", joint=None, error_deg=None, late_s=None, severity=dur * 100.0, still_s=dur))
    return out


def score(a: Analysis, settings: ScoreSettings = ScoreSettings()) -> Scorecard:
    """Score an Analysis under the given weights and tolerances.

    The overall score is the weighted mean of the components the clips allow (a component that
    could not be computed gives its weight to the others in proportion).

    Raises
    ------
    SettingsError
        Every component with a weight above zero is one these clips could not measure, so
        there is no overall score to give.
    """
    fps = a.teacher.fps
    tol, jw = joint_tables(settings)
    pose, joint_pair, limb_score, median_err = _pose(a, tol, jw)
    freezes = _freeze_moments(a)
    seen = a.limb_in_view
    # The timeline's pose: the dance's co-movement level, lowered where a limb is off (local
    # excess), so a different dance sits low all along and a good one dips at its mistakes.
    local_pair = _weighted_mean(joint_pair, np.broadcast_to(jw * seen, joint_pair.shape), axis=1)      # (K,)
    pose_pair = local_pair * ((pose if pose is not None else 100.0) / 100.0)
    if pose is not None:
        pose = pose * (1.0 - _mistake_share(a, tol, jw, freezes))
    joints, joint_err = {}, {}
    for j, name in enumerate(SCORED_JOINTS):
        if seen[j] and np.isfinite(limb_score[j]):
            joints[student_joint(name, a.mirror)] = round(float(limb_score[j]), 1)
            joint_err[student_joint(name, a.mirror)] = round(float(median_err[j]), 1)
    not_in_view = tuple(student_joint(name, a.mirror) for j, name in enumerate(SCORED_JOINTS) if not seen[j])

    if a.timing_reference:
        late = a.late_s
        timing_pair = falloff(np.abs(late) - settings.timing_tolerance_s, TIMING_HALF_S)
    else:
        late = np.full(a.path.shape[0], np.nan)
        timing_pair = np.full(a.path.shape[0], np.nan)

    per_pair = {"pose": pose_pair, "timing": timing_pair, "trajectory": a.trajectory,
                "silhouette": a.silhouette, "dynamics": a.dynamics}
    components = {c: _nanmean_or_none(per_pair[c]) for c in COMPONENTS}
    components["pose"] = pose
    components["dynamics"] = dynamics_score(a.dynamics, a.dynamics_summary)
    components = {c: None if v is None else round(float(v), 1) for c, v in components.items()}

    weights = {c: settings.weights.get(c, 0.0) for c in COMPONENTS if components[c] is not None}
    total_w = sum(weights.values())
    if not total_w > 0:
        weighted = [c for c in COMPONENTS if settings.weights.get(c, 0.0) > 0]
        raise SettingsError(f"No overall score: the weighted components ({', '.join(weighted)}) could not be "
                            "measured for these clips; give a weight to one that was measured "
                            f"({', '.join(c for c in COMPONENTS if components[c] is not None)}).")
    overall = sum(components[c] * w for c, w in weights.items()) / total_w

    stacked = np.stack([per_pair[c] for c in COMPONENTS], axis=1)
    wvec = np.array([settings.weights.get(c, 0.0) if components[c] is not None else 0.0 for c in COMPONENTS])
    timeline = _weighted_mean(stacked, np.broadcast_to(wvec, stacked.shape), axis=1)
    timeline = uniform_filter1d(np.nan_to_num(timeline, nan=float(np.nanmean(timeline)) if np.isfinite(timeline).any()
                                              else 0.0), size=max(int(TIMELINE_SMOOTH_S * fps), 1))

    moments = _form_moments(a, settings, tol) + _timing_moments(a, settings) + freezes
    moments = sorted(moments, key=lambda m: -m.severity)[: settings.max_moments]
    moments = [replace(m, counts=a.beats.span_counts(*m.teacher_s)) for m in moments]
    return Scorecard(overall=round(float(overall), 1), components=components, joints=joints,
                     joint_error_deg=joint_err, teacher_s=a.teacher_s, student_s=a.student_s,
                     timeline=timeline, joint_timeline=joint_pair, late_s=late, moments=moments, settings=settings,
                     not_in_view=not_in_view, excluded=excluded_counts(a), beats=a.beats)
