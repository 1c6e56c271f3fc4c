"""Hand-built test data, no model: Performances, poses, live references, comparison results,
scorecards and moments, metric inputs and small clips.

Fixtures live in the conftest.py files (some hand these factories out); reference
implementations that check kernels live beside their tests.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine.analysis.align import Alignment
from engine.analysis.compare import COST_GRID_SIDE, Analysis, CostGrid, cost_grid, measure_limbs
from engine.analysis.metrics.limbs import limb_directions
from engine.analysis.normalize import normalize
from engine.analysis.score import Moment, Scorecard
from engine.analysis.sync import SyncResult
from engine.core.body import N_LANDMARKS, SCORED_JOINTS, Landmark
from engine.core.performance import Performance, SourceInfo
from engine.core.settings import COMPONENTS, AlignSettings, ScoreSettings
from engine.live import LiveReference, ReferenceFrames
from engine.live.visibility import MIN_VISIBILITY
from engine.present.feedback import ComparisonFacts

L = Landmark
#: Analysis rate of the hand-built clips, frames/s.
FPS = 30.0
#: Camera frame size of the live tests, pixels.
W, H = 640, 480
#: Side of the person-centred silhouette masks, pixels.
S = 128
N_JOINTS = len(SCORED_JOINTS)
LEFT_ARM = (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)
RIGHT_ARM = (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)
LEGS = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
        L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


# --- performances --------------------------------------------------------------------------------


def make_perf(n: int = 60, fps: float = 30.0, seed: int = 0, *, file: str = "x.mp4", sha256: str = "0" * 64,
              fingerprint: str = "", mask_size: int = 8) -> Performance:
    """A smoothly moving, fully visible skeleton of n frames, noisy at 1 cm."""
    rng = np.random.default_rng(seed)
    t = (np.arange(n) / fps).astype(np.float32)
    world = np.zeros((n, 33, 4), np.float32)
    world[..., :3] = np.sin(t)[:, None, None] + rng.normal(0, 0.01, (n, 33, 3))
    world[..., 3] = 0.9
    image = world.copy()
    image[..., :2] = 0.5 + 0.1 * world[..., :2]
    src = SourceInfo(file=file, sha256=sha256, source_fps=fps, width=640, height=480, rotation=0,
                     duration_s=n / fps, has_audio=False, model="fake", fingerprint=fingerprint)
    mask = rng.integers(0, 255, (n, mask_size, mask_size)).astype(np.uint8)
    return Performance(image=image, world=world, mask=mask, hip_xy=np.full((n, 2), 0.5, np.float32), t=t,
                       detected=np.ones(n, bool), fps=fps, source=src)


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


# --- poses in MediaPipe world coordinates --------------------------------------------------------


#: A front-facing T-pose in MediaPipe world axes: metres, hip centre at the origin, x toward
#: the image's right (the dancer's LEFT side, since they face the camera), y DOWN, z along the
#: camera axis (negative = nearer the camera). Torso length 0.5 m.
_T_POSE_XYZ: dict[Landmark, tuple[float, float, float]] = {
    L.NOSE: (0.0, -0.68, -0.10),
    L.LEFT_EYE_INNER: (0.02, -0.71, -0.08), L.LEFT_EYE: (0.035, -0.71, -0.08),
    L.LEFT_EYE_OUTER: (0.05, -0.71, -0.07),
    L.RIGHT_EYE_INNER: (-0.02, -0.71, -0.08), L.RIGHT_EYE: (-0.035, -0.71, -0.08),
    L.RIGHT_EYE_OUTER: (-0.05, -0.71, -0.07),
    L.LEFT_EAR: (0.08, -0.69, 0.0), L.RIGHT_EAR: (-0.08, -0.69, 0.0),
    L.MOUTH_LEFT: (0.025, -0.64, -0.09), L.MOUTH_RIGHT: (-0.025, -0.64, -0.09),
    L.LEFT_SHOULDER: (0.18, -0.5, 0.0), L.RIGHT_SHOULDER: (-0.18, -0.5, 0.0),
    L.LEFT_ELBOW: (0.45, -0.5, 0.0), L.RIGHT_ELBOW: (-0.45, -0.5, 0.0),
    L.LEFT_WRIST: (0.70, -0.5, 0.0), L.RIGHT_WRIST: (-0.70, -0.5, 0.0),
    L.LEFT_PINKY: (0.77, -0.5, 0.01), L.RIGHT_PINKY: (-0.77, -0.5, 0.01),
    L.LEFT_INDEX: (0.78, -0.5, 0.0), L.RIGHT_INDEX: (-0.78, -0.5, 0.0),
    L.LEFT_THUMB: (0.75, -0.5, -0.02), L.RIGHT_THUMB: (-0.75, -0.5, -0.02),
    L.LEFT_HIP: (0.1, 0.0, 0.0), L.RIGHT_HIP: (-0.1, 0.0, 0.0),
    L.LEFT_KNEE: (0.11, 0.45, -0.02), L.RIGHT_KNEE: (-0.11, 0.45, -0.02),
    L.LEFT_ANKLE: (0.12, 0.88, 0.02), L.RIGHT_ANKLE: (-0.12, 0.88, 0.02),
    L.LEFT_HEEL: (0.12, 0.92, 0.06), L.RIGHT_HEEL: (-0.12, 0.92, 0.06),
    L.LEFT_FOOT_INDEX: (0.13, 0.95, -0.10), L.RIGHT_FOOT_INDEX: (-0.13, 0.95, -0.10),
}


def t_pose() -> np.ndarray:
    """(33, 4) float32: the T-pose above, visibility 0.9."""
    out = np.empty((N_LANDMARKS, 4), np.float32)
    for lm, xyz in _T_POSE_XYZ.items():
        out[lm] = (*xyz, 0.9)
    return out


def rotate_y(world: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate world landmarks (..., 33, 4) about the vertical y axis (turning the dancer)."""
    a = np.deg2rad(degrees)
    out = np.array(world, dtype=np.float32, copy=True)
    x, z = world[..., 0].astype(np.float64), world[..., 2].astype(np.float64)
    out[..., 0] = np.cos(a) * x + np.sin(a) * z
    out[..., 2] = -np.sin(a) * x + np.cos(a) * z
    return out


def _swing_frames(world: np.ndarray, pivot: Landmark, moved: tuple[Landmark, ...], angle: np.ndarray,
           axis: str) -> None:
    """Rotate the `moved` landmarks about `pivot` by angle (radians, per frame), in place.

    axis "z": in the image plane (raise/lower a limb); axis "x": toward/away from the camera.
    """
    i, j = (0, 1) if axis == "z" else (2, 1)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    idx = list(moved)
    p = world[:, pivot, :][:, None, :]
    u = world[:, idx, i] - p[..., i]
    v = world[:, idx, j] - p[..., j]
    world[:, idx, i] = p[..., i] + c * u - s * v
    world[:, idx, j] = p[..., j] + s * u + c * v


def dance_clip(n: int = 90, fps: float = 30.0, seed: int = 0) -> np.ndarray:
    """(n, 33, 4) float32: a T-pose whose limbs swing with random, side-specific rhythms.

    Left and right limbs move differently (so mirroring is detectable) and the whole body
    turns slowly about y (so yaw normalization has work to do).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    world = np.repeat(t_pose()[None], n, axis=0)
    arm_left = (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)
    arm_right = (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)
    leg_left = (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)
    leg_right = (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)

    def wave(amp: float) -> np.ndarray:
        f1, f2 = rng.uniform(0.3, 1.5, 2)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        return amp * (0.7 * np.sin(2 * np.pi * f1 * t + p1) + 0.3 * np.sin(2 * np.pi * f2 * t + p2))

    # The dancer's left arm rises with a negative image-plane angle (x>0 side, y down).
    _swing_frames(world, L.LEFT_SHOULDER, arm_left, -0.2 - wave(1.0), "z")
    _swing_frames(world, L.RIGHT_SHOULDER, arm_right, 0.6 + wave(0.5), "z")
    _swing_frames(world, L.LEFT_SHOULDER, arm_left, wave(0.6), "x")
    _swing_frames(world, L.LEFT_HIP, leg_left, wave(0.4), "x")
    _swing_frames(world, L.RIGHT_HIP, leg_right, 0.3 + wave(0.2), "z")
    turn = np.rad2deg(wave(0.8))
    world = np.stack([rotate_y(world[k], turn[k]) for k in range(n)])
    world[..., :3] += rng.normal(0.0, 0.003, world[..., :3].shape).astype(np.float32)
    return world.astype(np.float32)


def swing(world: np.ndarray, pivot: L, moved: tuple[L, ...], degrees: float) -> np.ndarray:
    """Copy of a (33, 4) pose with `moved` turned rigidly about `pivot` in the image plane
    (positive: clockwise on screen, i.e. a left arm held sideways goes down)."""
    out = world.copy()
    a = np.radians(degrees)
    d = out[list(moved), :2] - out[pivot, :2]
    out[list(moved), 0] = out[pivot, 0] + np.cos(a) * d[:, 0] - np.sin(a) * d[:, 1]
    out[list(moved), 1] = out[pivot, 1] + np.sin(a) * d[:, 0] + np.cos(a) * d[:, 1]
    return out


def to_image(world: np.ndarray, *, px_per_m: float = 300.0, hip_px=(320.0, 260.0)) -> np.ndarray:
    """Image landmarks of a world pose seen head-on: hip centre at hip_px, px_per_m pixels a metre."""
    img = world.copy()
    hip = 0.5 * (world[L.LEFT_HIP, :3] + world[L.RIGHT_HIP, :3])
    img[:, 0] = (hip_px[0] + px_per_m * (world[:, 0] - hip[0])) / W
    img[:, 1] = (hip_px[1] + px_per_m * (world[:, 1] - hip[1])) / H
    img[:, 2] = px_per_m * (world[:, 2] - hip[2]) / W
    return img


def upright_pose() -> np.ndarray:
    """One frame (1, 33, 4), metres, y down: upright torso, head in line, left arm bent 90 deg.

    Every landmark is finite so that only the joints a test touches can become NaN.
    """
    p = np.zeros((1, 33, 4), np.float64)
    p[..., 3] = 1.0
    rng = np.random.default_rng(7)
    p[0, :, :3] = rng.normal(0, 0.3, (33, 3))         # arbitrary but non-degenerate
    p[0, L.LEFT_HIP, :3] = (0.1, 0.0, 0.0)
    p[0, L.RIGHT_HIP, :3] = (-0.1, 0.0, 0.0)
    p[0, L.LEFT_SHOULDER, :3] = (0.15, -0.5, 0.0)
    p[0, L.RIGHT_SHOULDER, :3] = (-0.15, -0.5, 0.0)  # shoulder mid (0, -0.5, 0): straight up
    p[0, L.NOSE, :3] = (0.0, -0.7, 0.0)               # straight above the shoulder mid
    p[0, L.LEFT_ELBOW, :3] = (0.45, -0.5, 0.0)        # upper arm along +x
    p[0, L.LEFT_WRIST, :3] = (0.45, -0.75, 0.0)       # forearm straight up: 90 deg at the elbow
    return p


def moving_world(n: int, velocity=(0.3, 0.4, 0.0)) -> np.ndarray:
    """(n, 33, 4): every landmark translating at `velocity` units / s (|v| = 0.5)."""
    t = np.arange(n) / FPS
    w = np.zeros((n, 33, 4))
    w[..., :3] = np.random.default_rng(1).normal(0, 0.3, (33, 3)) + t[:, None, None] * np.asarray(velocity)
    w[..., 3] = 1.0
    return w


def arm_sweep(n: int = 45, deg_per_s: float = 240.0) -> np.ndarray:
    """T-poses whose left arm sweeps up and down at deg_per_s (shoulder angle ~24..174 deg)."""
    t = np.arange(n) / FPS
    phase = (t * deg_per_s) % 300.0
    angle = np.where(phase < 150.0, phase, 300.0 - phase) - 75.0         # triangle, -75..75 deg
    return np.stack([swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, a) for a in angle]).astype(np.float32)


# --- live references and camera frames ----------------------------------------------------------


def reference_of(world: np.ndarray, frames: ReferenceFrames | None = None) -> LiveReference:
    """A LiveReference straight from (N, 33, 4) world landmarks at FPS (no cleaning)."""
    n = world.shape[0]
    image = np.stack([to_image(w) for w in world]).astype(np.float32)
    return LiveReference(name="ref.mp4", t=(np.arange(n) / FPS).astype(np.float32), image=image,
                         world=world.astype(np.float32),
                         limbs=limb_directions(world, visibility_threshold=MIN_VISIBILITY).astype(np.float32),
                         fps=FPS, frames=frames)


def static_reference(t_pose, n: int = 60) -> LiveReference:
    """A LiveReference holding one pose still for n frames; `t_pose` is a pose factory (the fixture)."""
    return reference_of(np.repeat(t_pose()[None], n, axis=0))


def camera_frame(w: int = W, h: int = H) -> np.ndarray:
    return np.full((h, w, 3), 40, np.uint8)


# --- comparison results, scorecards and moments ---------------------------------------------------


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


# --- feedback: a realistic scorecard and the comparison facts -------------------------------------


def form_moment(joint: str, error_deg: float, start: float, severity: float, dur: float = 0.8) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="form",
                  joint=joint, error_deg=error_deg, late_s=None, severity=severity)


def timing_moment(late_s: float, start: float, severity: float, dur: float = 0.6) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="timing",
                  joint=None, error_deg=None, late_s=late_s, severity=severity)


def freeze_moment(start: float, severity: float, dur: float = 1.2) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="freeze",
                  joint=None, error_deg=None, late_s=None, severity=severity, still_s=dur)


def feedback_moments() -> list[Moment]:
    """Most important first, as score.score returns them; the timing moment is fourth."""
    return [form_moment("left_elbow", -34.0, 4.23, 90.0), freeze_moment(9.1, 60.0), form_moment("right_knee", 22.0, 12.5, 40.0),
            timing_moment(0.42, 7.0, 30.0), form_moment("neck", 25.0, 15.0, 10.0)]


def feedback_card(*, overall: float = 78.4, components: dict | None = None, joints: dict | None = None,
              joint_error_deg: dict | None = None, moments: list[Moment] | None = None,
              late_s: np.ndarray | None = None, k: int = 120,
              settings: ScoreSettings | None = None) -> Scorecard:
    """A scored 78/100 comparison over k pairs, the teacher 0.5 s behind, with `feedback_moments`."""
    components = {"pose": 81.0, "timing": 90.2, "trajectory": 70.1, "silhouette": 75.5, "dynamics": 66.0} \
        if components is None else components
    joints = {"left_elbow": 52.0, "right_knee": 71.5, "left_knee": 95.0, "right_hip": 93.5, "neck": 80.0,
              "torso": 88.0} if joints is None else joints
    joint_error_deg = {"left_elbow": 21.3, "right_knee": 12.0, "left_knee": 3.1, "right_hip": 2.0, "neck": 9.0,
                       "torso": 4.0} if joint_error_deg is None else joint_error_deg
    t = np.arange(k) / 30.0
    return Scorecard(overall=overall, components=components, joints=joints, joint_error_deg=joint_error_deg,
                     teacher_s=t + 0.5, student_s=t, timeline=np.full(k, overall),
                     joint_timeline=np.full((k, 14), overall), late_s=np.zeros(k) if late_s is None else late_s,
                     moments=feedback_moments() if moments is None else moments,
                     settings=settings or ScoreSettings())


def make_facts(**kw) -> ComparisonFacts:
    base = dict(teacher_file="teacher.mp4", student_file="student.mp4", mirror=False, sync_method="audio",
                sync_offset_s=0.81, sync_confidence=0.9, teacher_active_s=(0.4, 20.1),
                student_active_s=(0.0, 19.3), compared_s=19.7)
    return ComparisonFacts(**{**base, **kw})


# --- metric inputs: read-only arrays, hip paths, masks, energies ---------------------------------


def frozen(arr: np.ndarray) -> np.ndarray:
    """A read-only copy: any in-place write by the code under test raises."""
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


def line_xy(n: int, velocity: tuple[float, float], scale: float = 0.2, start=(0.5, 0.5)) -> np.ndarray:
    """Hip positions (n, 2) moving at `velocity` torso lengths / s, for torso length `scale`."""
    t = np.arange(n) / FPS
    return (np.asarray(start) + scale * np.outer(t, velocity)).astype(np.float32)


def body_mask(left_arm: bool = True, right_arm: bool = True, dx: int = 0) -> np.ndarray:
    """A 128 px person-centred silhouette: torso ~26 px (as the extractor's 5-torso crop)."""
    m = np.zeros((S, S), np.uint8)
    cv2.rectangle(m, (57 + dx, 38), (71 + dx, 64), 255, -1)      # torso, hips at the centre
    cv2.circle(m, (64 + dx, 28), 7, 255, -1)                     # head
    cv2.line(m, (60 + dx, 64), (56 + dx, 110), 255, 6)           # legs
    cv2.line(m, (68 + dx, 64), (72 + dx, 110), 255, 6)
    if left_arm:
        cv2.line(m, (58 + dx, 40), (28 + dx, 40), 255, 5)        # held out sideways
    if right_arm:
        cv2.line(m, (70 + dx, 40), (92 + dx, 16), 255, 5)        # raised diagonally
    return m


def spiky_energy(n: int = 180, spikes=(30, 75, 110, 150), seed: int = 0) -> np.ndarray:
    """Baseline 1.0 +- 0.05 with sharp 2-frame-wide accents of +2 at `spikes`."""
    rng = np.random.default_rng(seed)
    e = 1.0 + rng.normal(0, 0.05, n)
    k = np.arange(n)
    for s in spikes:
        e += 2.0 * np.exp(-0.5 * ((k - s) / 1.5) ** 2)
    return e.astype(np.float32)


# --- small clips ---------------------------------------------------------------------------------


def write_grey_clip(path: Path, *, seconds: float, fps: int = 30, size=(320, 240), audio_only: bool = False) -> Path:
    """A plain grey clip (nobody in it), or an audio-only file."""
    with av.open(str(path), "w") as out:
        if audio_only:
            stream = out.add_stream("aac", rate=16000, layout="mono")
            samples = np.zeros((1, 1024), np.float32)
            for i in range(int(seconds * 16000 / 1024)):
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 16000, i * 1024
                for packet in stream.encode(frame):
                    out.mux(packet)
        else:
            stream = out.add_stream("libx264", rate=Fraction(fps))
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            img = np.full((size[1], size[0], 3), 128, np.uint8)
            for _ in range(int(seconds * fps)):
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# --- a library of pose tracks (no video) ---------------------------------------------------------

#: The extractor fingerprint of `cached_library`'s cache files.
LIBRARY_FP = "testfp000000"


def cached_library(cache_dir: Path, tracks: list[tuple[np.ndarray, dict]], *, fps: float = 30.0) -> list[str]:
    """Write each world track (N, 33, 4) as a pose cache file in `cache_dir` and record it in the
    library there with its labels (routine / dancer / style); NaN rows are frames nobody was
    detected in. Returns the clips' sha256s, in order (the k-th is hex k repeated)."""
    from dataclasses import replace

    from engine.io.store import cache_path, save
    from engine.library import ClipInfo, open_library

    shas = []
    with open_library(cache_dir) as lib:
        for k, (world, labels) in enumerate(tracks):
            sha = f"{k:02x}" * 32
            perf = make_performance(world, fps=fps, file=labels.get("file", f"clip{k}.mp4"))
            perf = replace(perf, source=replace(perf.source, sha256=sha, fingerprint=LIBRARY_FP),
                           detected=np.isfinite(world[:, 0, 0]))
            path = cache_path(cache_dir, sha, LIBRARY_FP)
            save(perf, path)
            lib.record_clip(ClipInfo(sha256=sha, file_name=perf.source.file, duration_s=len(world) / fps, fps=fps,
                                     frames=len(world), extractor_fingerprint=LIBRARY_FP, cache_file=str(path)))
            given = {k: v for k, v in labels.items() if k in ("routine", "dancer", "style")}
            if given:
                lib.set_labels(sha, **given)
            shas.append(sha)
    return shas
