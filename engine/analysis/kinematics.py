"""Joint speeds and motion energy: the one definition sync and the dynamics metric share.

Motion energy is the mean speed of the 12 core joints (`engine.core.body.CORE_JOINTS`) per
frame. Its two users differ on purpose, and say so through keyword options:

* sync (`engine.analysis.sync`) wants a gap-free signal for cross-correlation and the active
  range: forward differences, short gaps bridged, long ones counted as no motion
  (``difference="forward", bridge_gap_s=...``);
* the dynamics metric (`engine.analysis.metrics.dynamics`) wants each frame's own speed and
  honest gaps: central differences, NaN where unknown (the defaults).
"""

from __future__ import annotations

import numpy as np

from engine.analysis.clean import fill_gaps
from engine.core.body import CORE_JOINTS, LEFT_RIGHT_PAIRS, N_LANDMARKS

DIFFERENCES = ("central", "forward")

#: Channels of ``per_group=True``: each core joint with its left/right twin (shoulders,
#: elbows, wrists, hips, knees, ankles), so they do not change when the student mirrors.
MOTION_GROUPS: tuple[tuple[int, int], ...] = tuple(
    (int(a), int(b)) for a, b in LEFT_RIGHT_PAIRS if a in CORE_JOINTS and b in CORE_JOINTS
)

_CORE = [int(j) for j in CORE_JOINTS]
_GROUP_COLUMNS = [[_CORE.index(a), _CORE.index(b)] for a, b in MOTION_GROUPS]


def check_track(landmarks: np.ndarray, fps: float) -> np.ndarray:
    """`landmarks` as an array after checking it is (N, 33, >=3) and `fps` > 0."""
    arr = np.asarray(landmarks)
    if arr.ndim != 3 or arr.shape[1] != N_LANDMARKS or arr.shape[2] < 3:
        raise ValueError(f"landmarks: expected shape (N, {N_LANDMARKS}, >=3), got {arr.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    return arr


def joint_mean(per_joint: np.ndarray) -> np.ndarray:
    """(N, J) values with NaN -> (N,) float64 mean of each row's finite values (NaN if none)."""
    finite = np.isfinite(per_joint)
    counts = finite.sum(axis=1)
    mean = np.full(per_joint.shape[0], np.nan)
    np.divide(np.where(finite, per_joint, 0.0).sum(axis=1), counts, out=mean, where=counts > 0)
    return mean


def bridge_gaps(signal: np.ndarray, max_gap: int) -> np.ndarray:
    """(N,) signal -> float64 copy with interior NaN runs of <= `max_gap` samples interpolated
    and every other unknown sample (long gaps, the ends) set to 0: nobody in view is not moving."""
    out, _ = fill_gaps(signal, max_gap)
    out[~np.isfinite(out)] = 0.0
    return out


def joint_speeds(points: np.ndarray, fps: float, *, difference: str = "central") -> np.ndarray:
    """Speed of each point per frame.

    Parameters
    ----------
    points : (N, J, D) array, N >= 2
        Point coordinates (any unit; NaN = unknown). Not modified.
    fps : float
        Frames per second.
    difference : {"central", "forward"}
        "central": `np.gradient` (one-sided at the ends); a point unknown in a frame or in a
        neighbour it uses is NaN. "forward": frame i holds the step from frame i-1 to i,
        frame 0 repeats frame 1.

    Returns
    -------
    (N, J) float64, input units per second.
    """
    pts = np.asarray(points, dtype=np.float64)
    if difference == "forward":
        speed = np.linalg.norm(np.diff(pts, axis=0), axis=-1) * fps
        return np.concatenate([speed[:1], speed])
    if difference != "central":
        raise ValueError(f"difference must be one of {DIFFERENCES}, got {difference!r}")
    speed = np.linalg.norm(np.gradient(pts, axis=0) * fps, axis=-1)
    # The central difference skips the frame itself: a point unknown *in* frame i would still
    # get a speed from its neighbours, but the frame has no such point to report.
    speed[~np.isfinite(pts).all(axis=-1)] = np.nan
    return speed


def motion_energy(landmarks: np.ndarray, fps: float, *, difference: str = "central",
                  use_z: bool = True, per_group: bool = False,
                  bridge_gap_s: float | None = None) -> np.ndarray:
    """Mean speed of the 12 core joints per frame: how much the dancer moves.

    Parameters
    ----------
    landmarks : (N, 33, >=3) array
        World (metres), normalized (torso lengths) or image landmarks; NaN = unknown joint.
        Not modified.
    fps : float
        Frame rate of the track, frames/s.
    difference : {"central", "forward"}
        How speeds are taken, see `joint_speeds`.
    use_z : bool
        Include z. Image-space z is a rough relative depth, noisier than x and y; pass False
        for image landmarks.
    per_group : bool
        One channel per left/right joint pair (`MOTION_GROUPS`) instead of the overall mean.
    bridge_gap_s : float, optional
        None: frames with no known joint speed are NaN. A duration (s): such gaps up to this
        long are interpolated from their neighbours (a dropout is not a freeze) and the rest,
        longer gaps and the clip's ends, set to 0 (see `bridge_gaps`).

    Returns
    -------
    (N,) or (N, 6) float64
        Input units per second (torso lengths / s on normalized coordinates). Joints unknown
        in a frame are left out of its mean. A clip of one frame has no speed (NaN, or 0 when
        bridged).
    """
    arr = check_track(landmarks, fps)
    n = arr.shape[0]
    if n < 2:
        energy = np.full((n, len(MOTION_GROUPS)) if per_group else n, np.nan)
    else:
        speed = joint_speeds(arr[:, _CORE, :3 if use_z else 2], fps, difference=difference)
        if per_group:
            energy = np.stack([joint_mean(speed[:, cols]) for cols in _GROUP_COLUMNS], axis=1)
        else:
            energy = joint_mean(speed)
    if bridge_gap_s is None:
        return energy
    max_gap = int(round(bridge_gap_s * fps))
    if energy.ndim == 1:
        return bridge_gaps(energy, max_gap)
    return np.stack([bridge_gaps(energy[:, k], max_gap) for k in range(energy.shape[1])], axis=1)
