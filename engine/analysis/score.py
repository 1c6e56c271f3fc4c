"""Weights and tolerances -> `Scorecard`: component scores, per-joint scores, a timeline, moments.

Cheap by design (no extraction, no DTW): the dashboard calls it on every slider move.

Scoring curves. An angle difference within the joint's tolerance is free; beyond it the pair
score falls as 100 / (1 + (excess / POSE_HALF_DEG)^2), i.e. to 50 at POSE_HALF_DEG past the
tolerance. Timing works the same way in seconds. Moments are error spikes against a rolling
baseline: a constant small offset is the dancer's style, a sudden rise is a mistake.

Moments carry facts (joint, signed error, lateness, how long), not words: the sentences a
student reads are written by `engine.present.feedback.wording.describe_moment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from engine.analysis.compare import Analysis
from engine.analysis.metrics import dynamics_score
from engine.core.arrays import true_runs
from engine.core.body import ANGLE_POINTS, JOINT_GROUP, SCORED_JOINTS, mirror_joint_name
from engine.core.errors import SettingsError
from engine.core.settings import COMPONENTS, ScoreSettings

#: Degrees past tolerance at which a pose pair scores 50.
POSE_HALF_DEG = 30.0
#: Seconds past the timing tolerance at which a pair's timing scores 50.
TIMING_HALF_S = 0.3
#: Interpolated (gap-filled) angles count this much in the pose score.
FILLED_WEIGHT = 0.5
#: Rolling baseline of each joint's error (the dancer's style), seconds.
BASELINE_S = 4.0
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
    joints : student's joint name -> 0..100 (NaN-free; joints never seen are left out)
    joint_error_deg : student's joint name -> mean absolute angle difference, degrees
    teacher_s, student_s : (K,) times of the aligned pairs, seconds
    timeline : (K,) combined score per pair, smoothed, 0..100
    joint_timeline : (K, J) per-joint pair scores (SCORED_JOINTS order, teacher's columns), 0..100
    late_s : (K,) lateness against the music, seconds (NaN without a timing reference)
    moments : most important first
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

    @property
    def worst_joints(self) -> list[tuple[str, float]]:
        return sorted(self.joints.items(), key=lambda kv: kv[1])


def falloff(excess: np.ndarray, half: float) -> np.ndarray:
    """100 at zero excess, 50 at `half`, towards 0 beyond; NaN stays NaN."""
    return 100.0 / (1.0 + (np.maximum(excess, 0.0) / half) ** 2)


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


def angles_filled(filled: np.ndarray | None, n: int) -> np.ndarray:
    """(N, 33) landmark fill flags -> (N, J): an angle is interpolated if any of its points is."""
    if filled is None:
        return np.zeros((n, len(SCORED_JOINTS)), dtype=bool)
    return np.stack([filled[:, list(pts)].any(axis=1) for pts in ANGLE_POINTS], axis=1)


def _pair_confidence(a: Analysis) -> np.ndarray:
    """(K, J) weight of each pair's angle: observed values count fully, interpolated ones less."""
    t_f = angles_filled(a.teacher.filled, a.teacher.n_frames)[a.path[:, 0]]
    s_f = angles_filled(a.student.filled, a.student.n_frames)[a.path[:, 1]]
    return np.where(t_f | s_f, FILLED_WEIGHT, 1.0)


def _form_moments(a: Analysis, settings: ScoreSettings, tol: np.ndarray) -> list[Moment]:
    fps = a.teacher.fps
    abs_err = np.abs(a.angle_error.astype(np.float64))
    # Rolling baseline along the path: the error the dancer keeps anyway (style, body shape).
    filled_err = np.where(np.isfinite(abs_err), abs_err, 0.0)
    baseline = median_filter(filled_err, size=(max(int(BASELINE_S * fps), 1), 1), mode="nearest")
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
    abs_err = np.abs(a.angle_error.astype(np.float64))
    joint_pair = falloff(abs_err - tol, POSE_HALF_DEG)                       # (K, J)
    conf = _pair_confidence(a)
    pose_pair = _weighted_mean(joint_pair, conf * jw, axis=1)                 # (K,)

    joints, joint_err = {}, {}
    for j, name in enumerate(SCORED_JOINTS):
        v = _weighted_mean(joint_pair[:, j], conf[:, j])
        if np.isfinite(v):
            joints[student_joint(name, a.mirror)] = round(float(v), 1)
            joint_err[student_joint(name, a.mirror)] = round(float(np.nanmean(abs_err[:, j])), 1)

    if a.timing_reference:
        late = a.late_s
        timing_pair = falloff(np.abs(late) - settings.timing_tolerance_s, TIMING_HALF_S)
    else:
        late = np.full(a.path.shape[0], np.nan)
        timing_pair = np.full(a.path.shape[0], np.nan)

    per_pair = {"pose": pose_pair, "timing": timing_pair, "trajectory": a.trajectory,
                "silhouette": a.silhouette, "dynamics": a.dynamics}
    components = {c: _nanmean_or_none(per_pair[c]) for c in COMPONENTS}
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
                     timeline=timeline, joint_timeline=joint_pair, late_s=late, moments=moments, settings=settings)
