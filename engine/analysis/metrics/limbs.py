"""Limb directions in the body's own frame, tracker glitches, and how two dancers' limbs co-move.

Why directions, not joint angles: a scalar flexion angle cannot tell an arm raised forward from
one raised sideways (both are 90 degrees at the shoulder), and two standing dancers agree on
hips, knees and ankles within a few degrees whatever they dance. The direction of each limb in
the dancer's own frame carries the shape of the pose.

Body frame (per frame, right-handed, built from MediaPipe world landmarks, y down):

* x: the dancer's LEFT, the mean of the unit hip line and the unit shoulder line (right -> left);
* y: torso up, mid-hip -> mid-shoulder made orthogonal to x (world up if the hips are unseen);
* z = x cross y: the dancer's FORWARD (a dancer facing the camera has z toward the camera).

The torso itself is measured in the *heading* frame (x made horizontal, y = world up), so its
lean against the vertical is kept. Directions are unit vectors; translation, uniform scale and
any rotation of the whole body leave them unchanged (rotations tilting the vertical change only
the torso's lean, which is what the torso limb measures). Limbs are `body.LIMBS`, one per
scored joint, in `body.SCORED_JOINTS` order.
"""

from __future__ import annotations

import numpy as np

from engine.analysis.metrics._common import check_path
from engine.core.body import LIMBS, MID_HIP, MID_SHOULDER, N_LANDMARKS, limb_end, mid_hip, mid_shoulder
from engine.core.body import Landmark as L

N_LIMBS = len(LIMBS)
#: +1 left limb, -1 right limb, 0 axial (`body.LIMBS`).
LIMB_SIDE = np.array([limb[3] for limb in LIMBS], dtype=np.float64)
_TORSO = [limb[0] for limb in LIMBS].index("torso")
#: Column of each limb end in the landmarks extended by the two midpoints (`limb_directions`).
_END_COLUMN = {MID_HIP: N_LANDMARKS, MID_SHOULDER: N_LANDMARKS + 1}
_FROM = np.array([_END_COLUMN.get(limb[1], limb[1]) for limb in LIMBS], dtype=np.intp)
_TO = np.array([_END_COLUMN.get(limb[2], limb[2]) for limb in LIMBS], dtype=np.intp)
#: Columns of the left/right twin limbs: (left, right) pairs, for the swap check.
_TWINS = tuple((k, k + 1) for k in range(0, N_LIMBS, 2) if LIMB_SIDE[k] == 1 and LIMB_SIDE[k + 1] == -1)
#: World "up" in MediaPipe coordinates (y points down).
_WORLD_UP = np.array([0.0, -1.0, 0.0])

#: Landmarks whose image position lies further than this outside the frame (normalized image
#: units) are not in view, whatever MediaPipe's visibility says (it extrapolates hidden legs).
IMAGE_MARGIN = 0.02
#: A frame axis or limb shorter than this (metres or torso lengths) has no direction.
MIN_LENGTH = 1e-6
#: Fastest plausible change of a limb's direction, degrees per second. Fast dance arm swings
#: peak around 1,000 deg/s (a whip of the forearm); a tracker flip of 90-180 degrees in one
#: 1/30 s frame is 3,000-5,000 deg/s. Above this a step is a glitch, not a movement.
MAX_LIMB_SPEED_DEG_S = 1500.0
#: Longest out-and-back excursion (a joint jumping away and returning) treated as a glitch, s.
MAX_GLITCH_S = 0.4
#: Left/right swap: the labels are taken as swapped when pairing each side with the other
#: side's previous direction is closer by this factor than the plain pairing, and the plain
#: pairing moves at an impossible speed.
SWAP_RATIO = 0.5


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > MIN_LENGTH, v / n, np.nan)


def in_view(world: np.ndarray, image: np.ndarray | None, visibility_threshold: float) -> np.ndarray:
    """(N, 33) bool: the landmark was seen (finite, visible enough, inside the image).

    NaN visibility (a gap the cleaning filled) passes; a landmark without an image position is
    judged by its world position alone.
    """
    ok = np.isfinite(world[..., :3]).all(axis=-1)
    with np.errstate(invalid="ignore"):
        ok &= ~(world[..., 3] < visibility_threshold)
        if image is not None:
            xy = image[..., :2]
            inside = ((xy >= -IMAGE_MARGIN) & (xy <= 1.0 + IMAGE_MARGIN)).all(axis=-1)
            ok &= inside | ~np.isfinite(xy).all(axis=-1)
    return ok


def body_frames(world: np.ndarray) -> np.ndarray:
    """Per-frame body frame of world landmarks (N, 33, >=3) -> (N, 3, 3): rows are the x (left),
    y (up), z (forward) unit axes in world coordinates. NaN where the shoulders are unknown."""
    xyz = np.asarray(world, dtype=np.float64)[..., :3]
    sh = _unit(xyz[:, L.LEFT_SHOULDER] - xyz[:, L.RIGHT_SHOULDER])
    hp = _unit(xyz[:, L.LEFT_HIP] - xyz[:, L.RIGHT_HIP])
    x = _unit(np.where(np.isfinite(hp), sh + hp, sh))
    up = limb_end(xyz, MID_SHOULDER) - limb_end(xyz, MID_HIP)
    up = np.where(np.isfinite(up).all(axis=1, keepdims=True), up, _WORLD_UP)
    y = _unit(up - np.sum(up * x, axis=1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def heading_frames(frames: np.ndarray) -> np.ndarray:
    """(N, 3, 3) frames turned only about the vertical: x = horizontal part of the body's left,
    y = world up, z = x cross y. Keeps the torso's lean against gravity measurable."""
    x = frames[:, 0].copy()
    x[:, 1] = 0.0
    x = _unit(x)
    y = np.broadcast_to(_WORLD_UP, x.shape)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def limb_directions(world: np.ndarray, image: np.ndarray | None = None, *,
                    visibility_threshold: float = 0.5) -> np.ndarray:
    """Unit direction of every limb in the body's own frame.

    Parameters
    ----------
    world : (N, 33, 4) MediaPipe world landmarks (x, y, z any unit, y down; visibility). Not modified.
    image : (N, 33, >=2) image landmarks (normalized), optional: landmarks outside the frame are
        not in view.
    visibility_threshold : landmarks seen less surely are not in view
        (`engine.core.settings.CleanSettings.visibility_threshold`).

    Returns
    -------
    (N, L, 3) float64, L = len(body.LIMBS): components along the body's (left, up, forward) axes
    (the torso's along the heading frame). NaN where an end of the limb is not in view.
    """
    arr = np.asarray(world)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, 4):
        raise ValueError(f"world: expected (N, {N_LANDMARKS}, 4), got {arr.shape}")
    xyz = arr[..., :3].astype(np.float64)
    seen = in_view(arr, None if image is None else np.asarray(image), visibility_threshold)
    xyz_seen = np.where(seen[..., None], xyz, np.nan)
    # The 33 landmarks plus the two midpoints, so every limb end is one column.
    ext = np.concatenate([xyz_seen, mid_hip(xyz_seen)[:, None], mid_shoulder(xyz_seen)[:, None]], axis=1)
    v = _unit(ext[:, _TO] - ext[:, _FROM])                                   # (N, L, 3) world
    frames = body_frames(xyz)       # needs only shoulders and hips, whose view the limbs check
    out = np.einsum("nij,nlj->nli", frames, v)
    out[:, _TORSO] = np.einsum("nij,nj->ni", heading_frames(frames), v[:, _TORSO])
    return out


def angles_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between unit vectors (..., 3) -> (...) degrees 0..180, NaN if either is NaN."""
    # The cross product written out: np.cross costs 2-3x more on the small arrays of live
    # practice, which calls this ~25 times a frame (`glitch_mask`).
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    cross = np.sqrt((a1 * b2 - a2 * b1) ** 2 + (a2 * b0 - a0 * b2) ** 2 + (a0 * b1 - a1 * b0) ** 2)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1)))


def pair_errors(teacher_dirs: np.ndarray, student_dirs: np.ndarray, path: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Direction errors of aligned pairs.

    Parameters
    ----------
    teacher_dirs (N, L, 3), student_dirs (M, L, 3) : `limb_directions` (NaN = not compared)
    path : (K, 2) (teacher frame, student frame) indices

    Returns
    -------
    error_deg : (K, L) angle between the student's and the teacher's limb, degrees 0..180
    signed_deg : (K, L, 3) student - teacher elevation above each body plane, degrees, as
        (out, up, forward): out > 0 the student's limb points further to its own side (axial
        limbs: to the dancer's left); up > 0 higher; forward > 0 more in front.
    """
    p = check_path(path, teacher_dirs.shape[0], student_dirs.shape[0])
    t, s = teacher_dirs[p[:, 0]], student_dirs[p[:, 1]]
    elev = np.degrees(np.arcsin(np.clip(s, -1.0, 1.0))) - np.degrees(np.arcsin(np.clip(t, -1.0, 1.0)))
    elev[..., 0] *= np.where(LIMB_SIDE == 0, 1.0, LIMB_SIDE)
    return angles_between(t, s), elev


def comovement_sums(teacher_pairs: np.ndarray, student_pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How each limb of the student moves with the teacher's, as the sums of a correlation.

    For limb l over the pairs where both directions are known, with T_k and S_k centred by their
    own means over those pairs: num = sum_k <T_k, S_k>, dt = sum_k |T_k|^2, ds = sum_k |S_k|^2.
    num / sqrt(dt ds) is 1 when the student moves the limb exactly as the teacher does, about 0
    for unrelated movement; a constant offset (style) cancels in the centring.

    Parameters
    ----------
    teacher_pairs, student_pairs : (K, L, 3) directions at the aligned pairs (NaN = not compared)

    Returns
    -------
    sums : (L, 3) float64 columns (num, dt, ds); zeros for a limb never compared
    counts : (L,) int pairs compared per limb
    """
    t = np.asarray(teacher_pairs, dtype=np.float64)
    s = np.asarray(student_pairs, dtype=np.float64)
    ok = np.isfinite(t).all(-1) & np.isfinite(s).all(-1)                  # (K, L)
    counts = ok.sum(axis=0)
    t0, s0 = np.where(ok[..., None], t, 0.0), np.where(ok[..., None], s, 0.0)
    n = np.maximum(counts, 1)
    # Centred sums from raw ones: sum <T - mT, S - mS> = sum <T, S> - <sum T, sum S> / n (float64,
    # unit vectors: no cancellation worth the two extra passes).
    st, ss = t0.sum(axis=0), s0.sum(axis=0)                                # (L, 3)
    num = np.einsum("klc,klc->l", t0, s0) - np.einsum("lc,lc->l", st, ss) / n
    dt = np.einsum("klc,klc->l", t0, t0) - np.einsum("lc,lc->l", st, st) / n
    ds = np.einsum("klc,klc->l", s0, s0) - np.einsum("lc,lc->l", ss, ss) / n
    sums = np.stack([num, np.maximum(dt, 0.0), np.maximum(ds, 0.0)], axis=1)
    return sums, counts


def glitch_mask(dirs: np.ndarray, fps: float, *, max_speed_deg_s: float = MAX_LIMB_SPEED_DEG_S,
                max_glitch_s: float = MAX_GLITCH_S) -> tuple[np.ndarray, dict[str, int]]:
    """Frames where a limb's direction cannot be trusted.

    Run it on UNSMOOTHED directions (a raw track): smoothing smears a flip over several frames,
    below the speed limit. Three signatures of tracker failure, per limb:

    * impossible speed: a step faster than `max_speed_deg_s` between consecutive frames;
    * jump and return: after such a step, the frames until the direction comes back to within
      one step's reach of where it left (at most `max_glitch_s`) are flagged too;
    * left/right swap: the left and right twins exchange directions (pairing each with the
      other's previous direction is much closer, `SWAP_RATIO`), flagged on both sides until they
      swap back (at most `max_glitch_s`).

    Parameters
    ----------
    dirs : (N, L, 3) `limb_directions`. Not modified.
    fps : frames per second

    Returns
    -------
    flagged : (N, L) bool
    counts : {"speed": frames, "swap": frames, "any": frames with any limb flagged}
    """
    d = np.asarray(dirs, dtype=np.float64)
    n = d.shape[0]
    step_limit = max_speed_deg_s / fps                       # degrees per frame
    max_len = max(round(max_glitch_s * fps), 1)
    speed = np.zeros(d.shape[:2], dtype=bool)
    swap = np.zeros_like(speed)
    if n < 2:
        return speed, {"speed": 0, "swap": 0, "any": 0}
    with np.errstate(invalid="ignore"):
        jump = angles_between(d[1:], d[:-1]) > step_limit     # (N-1, L)
    cos_limit = np.cos(np.radians(step_limit))              # for unit vectors: angle <= limit <=> dot >= cos
    for i, k in zip(*np.nonzero(jump)):                       # a loop over the jumps only
        f = i + 1                                             # the first frame after the jump
        if speed[f, k]:
            continue
        end = min(f + max_len, n)
        back = d[f:end, k] @ d[i, k] >= cos_limit             # NaN: not back
        stop = f + int(np.argmax(back)) if back.any() else f + 1
        speed[f:max(stop, f + 1), k] = True
    for k, j in _TWINS:
        a, b = d[:, k], d[:, j]
        plain = angles_between(a[1:], a[:-1]) + angles_between(b[1:], b[:-1])
        crossed = angles_between(a[1:], b[:-1]) + angles_between(b[1:], a[:-1])
        with np.errstate(invalid="ignore"):
            starts = np.flatnonzero((crossed < SWAP_RATIO * plain) & (plain > 2 * step_limit)) + 1
        for f in starts:
            if swap[f, k]:
                continue
            end = min(f + max_len, n)
            # swapped while the left limb stays nearer the right one's last direction before the swap
            crossed_still = a[f:end] @ b[f - 1] > a[f:end] @ a[f - 1]     # nearer in angle = larger dot
            stop = f + (int(np.argmin(crossed_still)) if not crossed_still.all() else end - f)
            swap[f:max(stop, f + 1), [k, j]] = True
    flagged = speed | swap
    counts = {"speed": int(speed.any(axis=1).sum()), "swap": int(swap.any(axis=1).sum()),
              "any": int(flagged.any(axis=1).sum())}
    return flagged, counts
