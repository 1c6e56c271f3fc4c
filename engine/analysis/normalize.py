"""Pose normalization: hip-centre, torso scale, shoulder-line yaw, optional mirroring.

Works on MediaPipe 3D world landmarks, shape (N, 33, 4): x, y, z in metres plus visibility.
MediaPipe's world axes: origin near the hip centre, x toward the image's right, y pointing
DOWN, z along the camera axis. The normalized output keeps those axis directions, but is
expressed in torso lengths (dimensionless) and turned about the vertical so that every frame
faces the same way:

* origin at the hip centre (midpoint of LEFT_HIP and RIGHT_HIP), per frame;
* unit = the clip's median torso length (|shoulder midpoint - hip midpoint|);
* yaw: rotated about y so the horizontal part of the shoulder line points along the x axis,
  with the dancer's LEFT shoulder on +x. That is where it already is for a dancer who faces
  the camera (their left is the image's right), so a front-facing dancer is unchanged.

A dancer with their back to the camera has the left shoulder on -x; the rotation that puts it
on +x is a 180 degree turn about y, so a turned-around dancer is mapped to facing front. This
is deliberate: we compare body *shapes*, not which way the dancer faces the camera. The
rotation is proper (no reflection), so left stays left; only `mirror=True` swaps sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.body import CORE_JOINTS, MIRROR_PERMUTATION, N_LANDMARKS, Landmark, mid_hip, torso_length

#: Below this horizontal shoulder width (in torso lengths) the shoulder line's yaw is
#: unreliable (dancer bent sideways, shoulders one above the other seen edge-on); the hip
#: line is used instead, and if that is degenerate too the frame is not rotated.
MIN_LINE_WIDTH = 0.15

#: A torso shorter than this (metres) is a degenerate detection, not a body.
MIN_TORSO_M = 1e-3

#: Frames compared per clip by `choose_mirror` (longer clips are subsampled evenly).
MIRROR_MAX_FRAMES = 240

#: Default search window of `choose_mirror`, as a fraction of the clip: a teacher frame at
#: 40 % of its clip is compared with student frames from 40 % +- this fraction of theirs.
MIRROR_WINDOW = 0.3

#: Fewest shown core joints (three left/right twins) a mirror decision is made on; with fewer,
#: all core joints are used (a decision on one arm alone is a coin toss).
MIN_MIRROR_JOINTS = 6

#: Image landmarks further than this outside the picture (normalized units) are not shown.
IMAGE_MARGIN = 0.02

_PERM = np.asarray(MIRROR_PERMUTATION, dtype=np.intp)
_CORE = np.asarray([int(j) for j in CORE_JOINTS], dtype=np.intp)


@dataclass(frozen=True, eq=False)
class Normalized:
    """Result of `normalize_details`.

    Attributes
    ----------
    world : (N, 33, 4) float32
        Normalized landmarks: x, y, z in torso lengths (axes as MediaPipe's, y down), visibility.
    torso_m : float
        Torso length used as the unit, metres (NaN if no frame had a measurable torso).
    yaw_rad : (N,) float32
        Rotation applied about the y axis per frame, radians (NaN where the frame is missing).
    mirrored : bool
        Whether left and right were swapped before the rotation.
    """

    world: np.ndarray
    torso_m: float
    yaw_rad: np.ndarray
    mirrored: bool


def _check_world(world: np.ndarray, name: str = "world") -> np.ndarray:
    arr = np.asarray(world)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, 4):
        raise ValueError(f"{name}: expected shape (N, {N_LANDMARKS}, 4), got {arr.shape}")
    return arr


def mirror_world(world: np.ndarray) -> np.ndarray:
    """Mirror a pose track left <-> right.

    Swaps every left landmark with its right twin (`body.MIRROR_PERMUTATION`) and negates x,
    so the result is the reflection of the body in the x = 0 plane with anatomically correct
    labels: a dancer raising the left arm becomes one raising the right arm.

    Parameters
    ----------
    world : (N, 33, 4) array
        x, y, z, visibility. Not modified.

    Returns
    -------
    (N, 33, 4) float32
        Visibility is permuted with its landmark. Mirroring twice gives the input back.
    """
    arr = _check_world(world)
    out = arr[:, _PERM, :].astype(np.float32, copy=True)
    out[..., 0] *= -1.0
    return out


def mirror_image(image: np.ndarray) -> np.ndarray:
    """Image landmarks (N, 33, C>=2) of the horizontally flipped video: x -> 1 - x (normalized
    image units), left and right landmarks swapped (`body.MIRROR_PERMUTATION`), as `mirror_world`
    does for world landmarks. Not modified; returns a new array."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[1] != N_LANDMARKS or arr.shape[2] < 2:
        raise ValueError(f"image: expected (N, {N_LANDMARKS}, C>=2), got {arr.shape}")
    out = arr[:, _PERM, :].copy()
    out[..., 0] = 1.0 - out[..., 0]
    return out


def torso_lengths(world: np.ndarray) -> np.ndarray:
    """Per-frame torso length |shoulder midpoint - hip midpoint|, shape (N,), input units.

    NaN where a shoulder or hip is missing.
    """
    arr = _check_world(world).astype(np.float64)
    return torso_length(arr[..., :3])


def _yaw_angles(xyz: np.ndarray) -> np.ndarray:
    """Per-frame angle (radians) of the horizontal left->right-side line, from +x toward +z.

    Uses the vector RIGHT -> LEFT shoulder (the dancer's left on +x means angle 0), falling
    back to the hip line, then to 0 (see `MIN_LINE_WIDTH`). NaN where nothing is measurable.
    """
    def line(left: Landmark, right: Landmark) -> tuple[np.ndarray, np.ndarray]:
        v = xyz[:, left, :] - xyz[:, right, :]
        return np.arctan2(v[:, 2], v[:, 0]), np.hypot(v[:, 0], v[:, 2])

    sh_ang, sh_w = line(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    hip_ang, hip_w = line(Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    with np.errstate(invalid="ignore"):
        ang = np.where(sh_w >= MIN_LINE_WIDTH, sh_ang, np.where(hip_w >= MIN_LINE_WIDTH, hip_ang, 0.0))
    # A frame with no shoulders or hips at all has no pose to rotate.
    missing = ~(np.isfinite(sh_w) | np.isfinite(hip_w))
    ang[missing] = np.nan
    return ang


def normalize_details(world: np.ndarray, *, mirror: bool = False, torso_m: float | None = None) -> Normalized:
    """Normalize a pose track and report the scale and rotations used.

    Parameters
    ----------
    world : (N, 33, 4) array
        MediaPipe world landmarks, metres, visibility. Not modified. NaN rows (no detection)
        stay NaN in the output.
    mirror : bool
        Swap left/right (`mirror_world`) before the yaw rotation, so the mirrored skeleton is
        normalized like any other.
    torso_m : float, optional
        Use this torso length (metres) as the unit instead of the clip's median, e.g. to
        normalize a window of a clip with the whole clip's scale.

    Returns
    -------
    Normalized
    """
    arr = _check_world(world)
    src = mirror_world(arr) if mirror else arr
    xyz = src[..., :3].astype(np.float64)  # fresh array; the input is never touched

    xyz = xyz - mid_hip(xyz)[:, None, :]

    if torso_m is None:
        # One scale for the whole clip: the torso length measured per frame shrinks when the
        # dancer bends forward or leans toward the camera (the 3D lifting is imperfect) and
        # wobbles with breathing and jitter. Dividing each frame by its own length would turn
        # those into fake changes of every joint position; the median is the dancer's size.
        lengths = torso_lengths(src)
        valid = lengths[np.isfinite(lengths) & (lengths > MIN_TORSO_M)]
        scale = float(np.median(valid)) if valid.size else float("nan")
    else:
        if not (np.isfinite(torso_m) and torso_m > MIN_TORSO_M):
            raise ValueError(f"torso_m must be a positive length in metres, got {torso_m}")
        scale = float(torso_m)
    # With no measurable torso in any frame there is no unit; every row is then missing a
    # hip or a shoulder, and dividing by NaN keeps those rows NaN.
    xyz = xyz / scale

    yaw = _yaw_angles(xyz)
    c = np.cos(yaw)[:, None]
    s = np.sin(yaw)[:, None]
    x, z = xyz[..., 0], xyz[..., 2]
    # Rotate about y by -yaw: the (x, z) direction at angle `yaw` lands on +x.
    xr = c * x + s * z
    zr = -s * x + c * z

    out = np.empty(arr.shape, dtype=np.float32)
    out[..., 0] = xr
    out[..., 1] = xyz[..., 1]
    out[..., 2] = zr
    out[..., 3] = src[..., 3]
    return Normalized(world=out, torso_m=scale, yaw_rad=yaw.astype(np.float32), mirrored=bool(mirror))


def normalize(world: np.ndarray, *, mirror: bool = False) -> np.ndarray:
    """Hip-centre, scale by torso length, rotate the shoulder line onto x, optionally mirror.

    Parameters
    ----------
    world : (N, 33, 4) array
        MediaPipe world landmarks: x, y, z metres (y down), visibility. Not modified.
    mirror : bool
        Swap left and right (and negate x) before normalizing.

    Returns
    -------
    (N, 33, 4) float32
        x, y, z in torso lengths, hip centre at the origin, the dancer's left shoulder toward
        +x in every frame; visibility passed through. NaN rows stay NaN.
    """
    return normalize_details(world, mirror=mirror).world


def joint_features(norm_world: np.ndarray) -> np.ndarray:
    """Alignment features: x, y, z of the 12 `body.CORE_JOINTS`, shape (N, 36) float32.

    Order: joint-major, i.e. [j0.x, j0.y, j0.z, j1.x, ...] in `CORE_JOINTS` order.
    """
    arr = _check_world(norm_world, "norm_world")
    return np.ascontiguousarray(arr[:, _CORE, :3], dtype=np.float32).reshape(arr.shape[0], 3 * len(_CORE))


def _subsample(n: int, max_frames: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, max_frames)).round().astype(np.intp))


def _frame_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) mean joint Euclidean distance between every row of `a` (n, J, 3) and of `b` (m, J, 3).

    One coordinate at a time rather than on an (n, m, J, 3) difference array (a quarter of the
    memory traffic); the same sums in the same order as
    ``np.linalg.norm(a[:, None] - b[None], axis=-1).mean(axis=-1)``, so the same bits (tested).
    """
    sq = None
    for c in range(3):
        d = a[:, None, :, c] - b[None, :, :, c]   # (n, m, J)
        d *= d
        sq = d if sq is None else np.add(sq, d, out=sq)
    return np.sqrt(sq, out=sq).mean(axis=-1)


def _windowed_nn_costs(a: np.ndarray, ra: np.ndarray, b: np.ndarray, rb: np.ndarray,
                       window: float | None) -> tuple[float, float]:
    """Mean over rows of `a` of the distance to the nearest row of `b` in the time window, and
    the same from `b` to `a` (one distance matrix serves both: d(b, a) is d(a, b) transposed).

    a : (n, J, 3), b : (m, J, 3), all finite; ra (n,), rb (m,): positions in their clips, 0..1.
    Distance between two frames: mean joint Euclidean distance (torso lengths).
    """
    d = _frame_distances(a, b)
    if window is not None:
        d = np.where(np.abs(ra[:, None] - rb[None, :]) <= window, d, np.inf)

    def mean_finite(best: np.ndarray) -> float:
        best = best[np.isfinite(best)]
        return float(best.mean()) if best.size else float("nan")

    return mean_finite(d.min(axis=1)), mean_finite(d.min(axis=0))


def _core_frames(norm_world: np.ndarray, max_frames: int, joints: np.ndarray = _CORE
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Finite frames of the given joints, subsampled: ((k, J, 3), positions in the clip 0..1)."""
    feats = norm_world[:, joints, :3]
    idx = np.flatnonzero(np.isfinite(feats).all(axis=(1, 2)))
    idx = idx[_subsample(idx.size, max_frames)] if idx.size else idx
    pos = idx / max(norm_world.shape[0] - 1, 1)
    return feats[idx], pos


def shown_core_joints(*clips: tuple[np.ndarray, np.ndarray | None], visibility_threshold: float = 0.5
                      ) -> np.ndarray:
    """The core joints every clip shows, as left/right twins (mirroring swaps them).

    A joint is shown in a clip when, in at least half of its frames, it is seen with visibility
    >= `visibility_threshold` and (when image landmarks are given) lies inside the picture:
    MediaPipe still guesses legs that the frame cuts off, with positions below the image.
    A twin pair counts only if both sides are shown in every clip.

    Parameters
    ----------
    clips : (world (N, 33, 4), image (N, 33, >=2) or None) per clip
    visibility_threshold : `CleanSettings.visibility_threshold`

    Returns
    -------
    (J,) intp landmark indices, a subset of `body.CORE_JOINTS` in its order (may be empty).
    """
    shown = np.ones(_CORE.size, dtype=bool)
    for world, image in clips:
        with np.errstate(invalid="ignore"):
            seen = world[:, _CORE, 3] >= visibility_threshold
            if image is not None:
                xy = image[:, _CORE, :2]
                seen &= ((xy >= -IMAGE_MARGIN) & (xy <= 1.0 + IMAGE_MARGIN)).all(axis=-1)
        shown &= seen.mean(axis=0) >= 0.5 if seen.shape[0] else np.zeros_like(shown)
    twin = _PERM[_CORE]
    by_index = dict(zip(_CORE.tolist(), shown.tolist()))
    keep = [j for j, t in zip(_CORE.tolist(), twin.tolist()) if by_index[j] and by_index.get(t, False)]
    return np.asarray(keep, dtype=np.intp)


def choose_mirror(
    teacher: np.ndarray,
    student: np.ndarray,
    *,
    window: float | None = MIRROR_WINDOW,
    max_frames: int = MIRROR_MAX_FRAMES,
    joints: np.ndarray | None = None,
) -> tuple[bool, float]:
    """Decide whether the student dances the teacher's choreography mirrored.

    Alignment-free: both clips are normalized (the student once as is, once mirrored), each
    is subsampled to at most `max_frames` frames, and for each option the cost is the mean,
    over teacher frames, of the distance to the closest student pose within a relative time
    window, averaged with the same in the other direction. Whichever option costs less wins.

    Parameters
    ----------
    teacher : (N, 33, 4) array
        World landmarks (metres), not yet normalized. Not modified.
    student : (M, 33, 4) array
        World landmarks (metres). Not modified.
    window : float or None
        Half-width of the search window as a fraction of the clip (0.3: a frame at 50 % of the
        teacher clip is matched to student frames at 20..80 % of theirs). None searches the
        whole clip; that is looser, so dances that repeat moves on both sides look ambiguous.
    max_frames : int
        Frames per clip used at most (cost grows with its square).
    joints : (J,) landmark indices to compare, or None for all of `body.CORE_JOINTS`. Pass
        `shown_core_joints(...)` so that a half-body clip is decided on the joints both clips
        show, not on legs the model guessed; fewer than MIN_MIRROR_JOINTS fall back to all.

    Returns
    -------
    mirror : bool
        True if the mirrored student matches better.
    confidence : float
        Relative margin between the two costs, |c_plain - c_mirror| / max(c_plain, c_mirror),
        in 0..1; 0 when either clip has no usable frame. It says how clearly one option beats
        the other, not whether the two clips show the same dance.
    """
    use = _CORE if joints is None or len(joints) < MIN_MIRROR_JOINTS else np.asarray(joints, dtype=np.intp)
    ft, pt = _core_frames(normalize(teacher), max_frames, use)
    if ft.shape[0] == 0:
        return False, 0.0
    costs = []
    for mirrored in (False, True):
        fs, ps = _core_frames(normalize(student, mirror=mirrored), max_frames, use)
        if fs.shape[0] == 0:
            return False, 0.0
        to_student, to_teacher = _windowed_nn_costs(ft, pt, fs, ps, window)
        costs.append(0.5 * (to_student + to_teacher))

    plain, mirrored_cost = costs
    worst = max(plain, mirrored_cost)
    if not np.isfinite(worst) or worst <= 0.0:
        return False, 0.0
    return bool(mirrored_cost < plain), float(abs(plain - mirrored_cost) / worst)
