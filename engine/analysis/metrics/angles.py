"""Joint angles from 3D landmarks, and signed student - teacher angle errors along a DTW path.

Angles are measured in 3D, so they do not change when a pose is translated, uniformly scaled
or rotated about the vertical (which is what `engine.analysis.normalize` does); the tests check that.
Only the first three coordinates (x, y, z) are used; MediaPipe's y axis points DOWN.
"""

from __future__ import annotations

import numpy as np

from engine.analysis.metrics._common import check_path
from engine.core.body import ANGLE_TRIPLETS, SCORED_JOINTS, Landmark, mid_hip, mid_shoulder

#: A bone shorter than this (input units: metres or torso lengths) has no direction, so its
#: angle is NaN rather than noise. Real bones are centimetres / tenths of a torso long.
MIN_BONE_LENGTH = 1e-6

#: Straight up in MediaPipe world coordinates (y points down).
UP = np.array([0.0, -1.0, 0.0])

_A = np.array([int(a) for a, _, _ in ANGLE_TRIPLETS.values()], dtype=np.intp)
_V = np.array([int(v) for _, v, _ in ANGLE_TRIPLETS.values()], dtype=np.intp)
_B = np.array([int(b) for _, _, b in ANGLE_TRIPLETS.values()], dtype=np.intp)
_COL = {name: k for k, name in enumerate(SCORED_JOINTS)}


def _angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors (..., 3) -> (...) degrees in 0..180; NaN if either is ~0.

    atan2(|u x v|, u . v) rather than arccos of the normalized dot product: it stays accurate
    near 0 and 180 degrees, where arccos loses precision (a straight arm is a common pose).
    """
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    ang = np.degrees(np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), np.sum(u * v, axis=-1)))
    with np.errstate(invalid="ignore"):
        degenerate = ~((nu > MIN_BONE_LENGTH) & (nv > MIN_BONE_LENGTH))  # NaN lengths included
    ang[degenerate] = np.nan
    return ang


def joint_angles(world: np.ndarray) -> np.ndarray:
    """Angles of every scored joint, per frame.

    Parameters
    ----------
    world : (N, 33, >=3) array
        Landmarks x, y, z in any consistent unit (metres or torso lengths), MediaPipe axes
        (y down); extra columns (visibility) are ignored. NaN marks unknown joints. Not modified.

    Returns
    -------
    (N, J) float32, degrees, J = len(body.SCORED_JOINTS), columns in that order.
        * triplet joints (body.ANGLE_TRIPLETS, (a, vertex, b)): 3D angle at the vertex between
          the bones vertex->a and vertex->b, 0..180 (a straight arm is 180);
        * "torso": lean of the hip-mid -> shoulder-mid axis from straight up, 0..180
          (upright 0, bent forward/back/sideways by 30 degrees -> 30, upside down 180);
        * "neck": angle between shoulder-mid -> nose and the torso axis, 0..180
          (head in line with the spine 0).
        NaN where a point involved is NaN or a bone has ~zero length.
    """
    arr = np.asarray(world)
    if arr.ndim != 3 or arr.shape[1] != len(Landmark) or arr.shape[2] < 3:
        raise ValueError(f"world: expected shape (N, {len(Landmark)}, >=3), got {arr.shape}")
    xyz = arr[..., :3].astype(np.float64)  # a copy: the input is never touched

    out = np.empty((xyz.shape[0], len(SCORED_JOINTS)), dtype=np.float32)
    vertex = xyz[:, _V, :]
    triplet = _angle_deg(xyz[:, _A, :] - vertex, xyz[:, _B, :] - vertex)  # (N, 12)
    out[:, : len(ANGLE_TRIPLETS)] = triplet

    shoulder_mid = mid_shoulder(xyz)
    axis = shoulder_mid - mid_hip(xyz)
    out[:, _COL["torso"]] = _angle_deg(axis, np.broadcast_to(UP, axis.shape))
    out[:, _COL["neck"]] = _angle_deg(xyz[:, Landmark.NOSE] - shoulder_mid, axis)
    return out


def angle_errors(teacher_angles: np.ndarray, student_angles: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Signed angle error (student - teacher) for every aligned frame pair.

    Parameters
    ----------
    teacher_angles : (N, J) array, degrees (from `joint_angles`)
    student_angles : (M, J) array, degrees, same columns
    path : (K, 2) integer array
        DTW pairs (teacher frame i, student frame j); indices may repeat.

    Returns
    -------
    (K, J) float32, degrees: student_angles[j] - teacher_angles[i] per pair. Positive means the
    student's joint is more open (or, for torso/neck, leaning more). NaN where either is NaN.
    """
    t = np.asarray(teacher_angles)
    s = np.asarray(student_angles)
    if t.ndim != 2 or s.ndim != 2 or t.shape[1] != s.shape[1]:
        raise ValueError(f"angles: expected (N, J) and (M, J) with the same J, got {t.shape} and {s.shape}")
    p = check_path(path, t.shape[0], s.shape[0])
    # Fancy indexing copies, so the subtraction never writes into the inputs.
    return (s[p[:, 1]].astype(np.float32) - t[p[:, 0]].astype(np.float32)).astype(np.float32, copy=False)
