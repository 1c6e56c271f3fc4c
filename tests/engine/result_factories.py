"""Hand-built comparison results (Analysis, Scorecard) for chart and render tests: no video, no model."""

from __future__ import annotations

import numpy as np

from engine.analysis.align import Alignment
from engine.analysis.compare import COST_GRID_SIDE, Analysis, CostGrid, cost_grid, measure_limbs
from engine.analysis.normalize import normalize
from engine.analysis.score import Moment, Scorecard
from engine.analysis.sync import SyncResult
from engine.core.body import SCORED_JOINTS
from engine.core.performance import Performance, SourceInfo
from engine.core.settings import COMPONENTS, AlignSettings, ScoreSettings

N_JOINTS = len(SCORED_JOINTS)


def make_performance(world: np.ndarray, *, fps: float = 30.0, image: np.ndarray | None = None,
                     size: tuple[int, int] = (640, 480), has_audio: bool = False,
                     file: str = "clip.mp4") -> Performance:
    """A Performance around world landmarks (N, 33, 4); image landmarks a simple projection unless given."""
    world = np.asarray(world, dtype=np.float32)
    n = world.shape[0]
    if image is None:
        image = world.copy()
        image[..., :2] = 0.5 + 0.25 * world[..., :2]
    image = np.asarray(image, dtype=np.float32)
    source = SourceInfo(file=file, sha256="0" * 64, source_fps=fps, width=size[0], height=size[1], rotation=0,
                        duration_s=n / fps, has_audio=has_audio, model="fake", fingerprint="fake")
    hip = 0.5 * (image[:, 23, :2] + image[:, 24, :2])
    return Performance(image=image, world=world, mask=np.zeros((n, 8, 8), np.uint8), hip_xy=hip.astype(np.float32),
                       t=(np.arange(n) / fps).astype(np.float32), detected=np.isfinite(image[:, 0, 0]), fps=fps,
                       source=source)


def make_analysis(teacher: Performance, student: Performance, path, *, offset_s: float = 0.0,
                  method: str = "motion", confidence: float = 0.9, mirror: bool = False,
                  grid: CostGrid | None = None, grid_side: int = COST_GRID_SIDE) -> Analysis:
    """An Analysis with the given clips, path (K, 2) and sync; per-pair metrics are placeholders.

    The cost grid and the limb facts are computed from the clips as `analyze_performances` does
    (the clips taken as both raw and cleaned), unless `grid` is given.
    """
    path = np.asarray(path, dtype=np.int64)
    if grid is None:
        grid = cost_grid(normalize(teacher.world), normalize(student.world, mirror=mirror), path, side=grid_side)
    k = path.shape[0]
    sync = SyncResult(method=method, offset_s=offset_s, confidence=confidence if method != "none" else 0.0,
                      teacher_active_s=(0.0, float(teacher.t[-1])), student_active_s=(0.0, float(student.t[-1])))
    return Analysis(
        teacher=teacher, student=student, sync=sync, mirror=mirror, mirror_confidence=1.0,
        alignment=Alignment(path=path, cost=0.0, total_cost=0.0, backend="exact", band=0.2), cost_grid=grid,
        teacher_angles=np.zeros((teacher.n_frames, N_JOINTS), np.float32),
        student_angles=np.zeros((student.n_frames, N_JOINTS), np.float32),
        angle_error=np.zeros((k, N_JOINTS), np.float32), **measure_limbs(teacher, student, path, mirror=mirror),
        trajectory=np.full(k, 90.0), silhouette=np.full(k, 90.0),
        dynamics=np.full(k, 90.0), dynamics_summary={}, teacher_energy=np.zeros(teacher.n_frames),
        student_energy=np.zeros(student.n_frames), settings=AlignSettings())


def moment(kind: str, teacher_s: tuple[float, float], student_s: tuple[float, float] | None = None, *,
           joint: str | None = None, error_deg: float | None = None, late_s: float | None = None,
           still_s: float | None = None, severity: float = 1.0) -> Moment:
    """A Moment; the facts its kind needs default to a left elbow 30 degrees more bent, 0.3 s late,
    or still for the student's span."""
    if kind == "form":
        joint = joint or "left_elbow"
        error_deg = -30.0 if error_deg is None else error_deg
    elif kind == "timing":
        late_s = 0.3 if late_s is None else late_s
    elif kind == "freeze" and still_s is None:
        still_s = (student_s or teacher_s)[1] - (student_s or teacher_s)[0]
    return Moment(teacher_s=teacher_s, student_s=student_s or teacher_s, kind=kind, joint=joint,
                  error_deg=error_deg, late_s=late_s, severity=severity, still_s=still_s)


def make_card(k: int, *, fps: float = 30.0, joints: dict[str, float] | None = None,
              joint_error_deg: dict[str, float] | None = None, joint_timeline: np.ndarray | None = None,
              timeline: np.ndarray | None = None, late_s: np.ndarray | None = None, moments=(),
              components: dict[str, float | None] | None = None, settings: ScoreSettings | None = None,
              offset_s: float = 0.0) -> Scorecard:
    """A Scorecard over k pairs on a diagonal path (student_s = teacher_s - offset_s)."""
    teacher_s = np.arange(k) / fps
    joints = joints if joints is not None else {j: 90.0 for j in SCORED_JOINTS}
    return Scorecard(
        overall=80.0, components=components or {c: 80.0 for c in COMPONENTS}, joints=joints,
        joint_error_deg=joint_error_deg if joint_error_deg is not None else {j: 5.0 for j in joints},
        teacher_s=teacher_s, student_s=teacher_s - offset_s,
        timeline=timeline if timeline is not None else np.full(k, 80.0),
        joint_timeline=joint_timeline if joint_timeline is not None else np.full((k, N_JOINTS), 90.0),
        late_s=late_s if late_s is not None else np.full(k, np.nan), moments=list(moments),
        settings=settings or ScoreSettings())
