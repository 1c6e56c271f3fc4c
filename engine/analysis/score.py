"""Weights and tolerances -> `Scorecard`: component scores, per-joint scores, a timeline, moments.

Cheap by design (no extraction, no DTW): the dashboard calls it on every slider move.

Pose: how the student's limbs move WITH the teacher's. Per limb, the correlation C_l of the two
direction tracks along the aligned path (`Analysis.limb_comove`: 1 = moved exactly as the
teacher, about 0 = unrelated; a constant offset, i.e. style, cancels); pooled over the limbs in
view with the joint weights w_l: C = sum w num / sqrt(sum w dt * sum w ds). The pose component is
`comovement_score(C)` = 100 (1 - (1 - max(C, 0))^2): a quadratic loss on the movement the
teacher's does not explain (`SCALE`). On real footage (issue #12): different dances 2-50, the
same choreography by two dancers 80-94, a clip against itself or its mirror image 100.

Per joint: `comovement_score(C_l)` times (1 - LOCAL_PENALTY W_l), where W_l is the worst
LOCAL_WINDOW_S moving mean of the pair's local excess clip((err - median_l - tol_l) /
LOCAL_SPAN_DEG, 0, 1): err the direction error, median_l the pair's own typical error for that
limb (style), tol_l the joint group's tolerance. The per-pair pose of the timeline and
`joint_timeline` is 100 (1 - local excess). Timing: a lateness within the tolerance is free;
beyond it the pair score falls as 100 / (1 + (excess / TIMING_HALF_S)^2).

Moments are error spikes against a rolling baseline: a constant small offset is the dancer's
style, a sudden rise is a mistake. Form moments still read the flexion-angle errors
(`Analysis.angle_error`; their words, "more bent", describe angles); moving them onto the limb
directions (`Analysis.limb_signed`) is the next step.

Moments carry facts (joint, signed error, lateness, how long), not words: the sentences a
student reads are written by `engine.present.feedback.wording.describe_moment`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d

from engine.analysis.compare import Analysis
from engine.analysis.metrics import dynamics_score
from engine.core.arrays import true_runs
from engine.core.body import JOINT_GROUP, SCORED_JOINTS, mirror_joint_name
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
#: Share of a joint's co-movement score that a window entirely off (W_l = 1) takes away: a
#: joint that moves with the teacher but is clearly wrong for a whole move keeps half.
LOCAL_PENALTY = 0.5
#: A limb whose direction spreads less than this about its mean (RMS, degrees) over the path is
#: held still: its correlation is undefined, so two still limbs count as agreeing (C = 1), one
#: still against a moving one as not co-moving (C = 0). Tracking noise alone exceeds it.
STILL_RMS_DEG = 1.0
#: Seconds past the timing tolerance at which a pair's timing scores 50.
TIMING_HALF_S = 0.3
#: A form error must exceed its baseline by max(tolerance, this) to be a mistake, degrees.
MIN_SPIKE_DEG = 15.0
#: A form moment's direction is named only when the signed mean is at least this share of the
#: mean size (otherwise the error swings both ways).
MIN_DIRECTION_SHARE = 0.6
#: Shortest form or timing moment, seconds; moments closer than MERGE_GAP_S are merged.
MIN_MOMENT_S = 0.25
MERGE_GAP_S = 0.3
#: A timing moment needs the student off by more than the tolerance for this long, seconds.
MIN_TIMING_MOMENT_S = 0.4
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
    joint : form: the student's own joint (mirroring undone)
    error_deg : form: signed mean angle difference student - teacher over the off frames, degrees
    late_s : timing: lateness at the worst frame, seconds (negative: early)
    severity : ranking key (bigger is more important)
    peak_deg : form: largest absolute angle difference over the off frames, degrees (needed
        when `both_ways`)
    both_ways : form: the error swung both ways, so it has no single direction to name
    still_s : freeze: how long the student stood still, seconds
    """

    teacher_s: tuple[float, float]
    student_s: tuple[float, float]
    kind: str
    joint: str | None
    error_deg: float | None
    late_s: float | None
    severity: float
    peak_deg: float | None = None
    both_ways: bool = False
    still_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in MOMENT_FACTS:
            raise ValueError(f"Moment kind must be one of {', '.join(MOMENT_FACTS)}, got {self.kind!r}")
        needed = MOMENT_FACTS[self.kind] + (("peak_deg",) if self.both_ways else ())
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
    pose : 0..100, or None when no limb is in view in both clips
    pair : (K, L) per-pair limb scores 0..100, NaN where not compared or not in view
    joint : (L,) per-joint scores 0..100, NaN where not in view
    median_err : (L,) each limb's median direction error over the path, degrees (NaN: never compared)
    """
    seen = a.limb_in_view
    num, dt, ds = (a.limb_comove[:, c] for c in range(3))
    n = np.asarray(a.limb_pairs, dtype=np.float64)
    w = jw * seen
    pooled = correlation(*(np.sum(w * x) for x in (num, dt, ds, n))) if w.sum() > 0 else np.nan
    pose = round(float(comovement_score(pooled)), 1) if np.isfinite(pooled) else None

    err = a.limb_error.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)             # a limb never compared: NaN, left out
        median_err = np.nanmedian(err, axis=0)
    excess = np.clip((err - median_err - tol) / LOCAL_SPAN_DEG, 0.0, 1.0)                            # (K, L)
    excess[:, ~seen] = np.nan
    window = max(round(LOCAL_WINDOW_S * a.teacher.fps), 1)
    worst = uniform_filter1d(np.nan_to_num(excess, nan=0.0), size=window, axis=0, mode="constant").max(axis=0) \
        if err.shape[0] else np.zeros(err.shape[1])
    joint = np.where(seen, comovement_score(correlation(num, dt, ds, n)) * (1.0 - LOCAL_PENALTY * worst), np.nan)
    return pose, 100.0 * (1.0 - excess), joint, median_err


def _form_moments(a: Analysis, settings: ScoreSettings, tol: np.ndarray) -> list[Moment]:
    fps = a.teacher.fps
    abs_err = np.abs(a.angle_error.astype(np.float64))
    baseline = a.angle_baseline     # the error the dancer keeps anyway (style, body shape)
    spike = np.isfinite(abs_err) & (abs_err > tol) & (abs_err - baseline > np.maximum(tol, MIN_SPIKE_DEG))
    moments = []
    ts, ss = a.teacher_s, a.student_s
    for j, joint in enumerate(SCORED_JOINTS):
        for lo, hi in _merge_runs(true_runs(spike[:, j]), int(MERGE_GAP_S * fps)):
            if ts[hi - 1] - ts[lo] + 1 / fps < MIN_MOMENT_S:
                continue
            hot = lo + np.flatnonzero(spike[lo:hi, j])          # the frames that were off, not the gaps
            signed = a.angle_error[hot, j].astype(np.float64)
            err = float(np.mean(signed))
            size = float(np.mean(np.abs(signed)))
            excess = size - float(tol[j])
            moments.append(Moment(
                teacher_s=(float(ts[lo]), float(ts[hi - 1])), student_s=(float(ss[lo]), float(ss[hi - 1])),
                kind="form", joint=student_joint(joint, a.mirror), error_deg=err, late_s=None,
                severity=excess * (ts[hi - 1] - ts[lo] + 1 / fps) * settings.joint_weights[JOINT_GROUP[joint]],
                peak_deg=float(np.max(np.abs(signed))),
                # An error that swings both ways in one stretch has no single direction to name.
                both_ways=bool(abs(err) < MIN_DIRECTION_SHARE * size)))
    return moments


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
    still = uniform_filter1d(energy, size=max(int(0.2 * fps), 1)) < FREEZE_ENERGY
    s_idx, t_idx = a.path[:, 1], a.path[:, 0]
    first, last = s_idx.min(), s_idx.max()
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
    seen = a.limb_in_view
    pose_pair = _weighted_mean(joint_pair, np.broadcast_to(jw * seen, joint_pair.shape), axis=1)       # (K,)
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

    moments = _form_moments(a, settings, tol) + _timing_moments(a, settings) + _freeze_moments(a)
    moments = sorted(moments, key=lambda m: -m.severity)[: settings.max_moments]
    return Scorecard(overall=round(float(overall), 1), components=components, joints=joints,
                     joint_error_deg=joint_err, teacher_s=a.teacher_s, student_s=a.student_s,
                     timeline=timeline, joint_timeline=joint_pair, late_s=late, moments=moments, settings=settings,
                     not_in_view=not_in_view)
