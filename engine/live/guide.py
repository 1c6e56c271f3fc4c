"""The pose guide: the reference's pose at the current moment, fitted onto the user's body."""

from __future__ import annotations

import math

import numpy as np

from engine.analysis.normalize import MIN_TORSO_M, mirror_world, normalize_details
from engine.core.body import N_LANDMARKS, mid_hip, mid_shoulder
from engine.live.visibility import TORSO, seen


def _facing(xyz: np.ndarray) -> float | None:
    """Yaw of a (33, 3) pose's left-right line, radians from +x toward +z (engine.analysis.normalize's
    convention: 0 faces the camera); None when it cannot be measured."""
    arr = np.concatenate([xyz, np.ones((N_LANDMARKS, 1))], axis=1)[None]
    yaw = float(normalize_details(arr).yaw_rad[0])
    return yaw if np.isfinite(yaw) else None


def fit_guide(reference_world: np.ndarray, user_image: np.ndarray, frame_size: tuple[int, int], *,
              mirror: bool = False, user_world: np.ndarray | None = None,
              face_user: bool = True) -> np.ndarray | None:
    """The reference's pose drawn onto the user's body.

    The reference world landmarks (metres, hip-centred, y down) are optionally mirrored
    (`normalize.mirror_world`: the user copies the teacher like a mirror image), turned about
    the vertical to face the way the user faces (`face_user`), projected orthographically onto
    the image plane, scaled so that the reference's 3D torso length equals the user's torso
    length in pixels, and placed with its hip centre on the user's. A reference bending toward
    the camera is therefore shown foreshortened, not enlarged to the user's on-screen torso;
    the user's torso is measured on screen, so a user bending toward the camera gets a smaller
    guide while they bend (upright users, the usual case, get an exact fit).

    Parameters
    ----------
    reference_world : (33, 4) reference world landmarks: x, y, z metres, visibility
    user_image : (33, 4) the user's image landmarks: x, y normalized to the frame, z, visibility
    frame_size : (width, height) of the user's frame, pixels
    mirror : mirror the reference left <-> right first
    user_world : (33, 4) the user's world landmarks; when given, the user's facing is measured
        on them (better than the image landmarks' relative z)
    face_user : turn the reference to face the way the user faces

    Returns
    -------
    (33, 4) float32 guide landmarks in the user's image coordinates (x, y in 0..1 of the frame,
    z relative like x, the reference's visibility), for `render.draw_skeleton`; None when the
    user's shoulders and hips are not all visible or the reference has no torso.
    """
    ref = np.asarray(reference_world, dtype=np.float64)
    user = np.asarray(user_image, dtype=np.float64)
    for name, arr in (("reference_world", ref), ("user_image", user)):
        if arr.shape != (N_LANDMARKS, 4):
            raise ValueError(f"fit_guide: {name} must be ({N_LANDMARKS}, 4), got {arr.shape}")
    if not seen(user)[TORSO].all():
        return None
    if mirror:
        ref = mirror_world(ref[None])[0].astype(np.float64)
    w, h = frame_size
    xyz = ref[:, :3] - mid_hip(ref[:, :3])
    torso_m = float(np.linalg.norm(mid_shoulder(xyz)))         # xyz is hip-centred
    if not (np.isfinite(torso_m) and torso_m > MIN_TORSO_M):
        return None
    if face_user:
        mine = _facing(user_world[:, :3]) if user_world is not None else _facing(user[:, :3] * (w, h, w))
        theirs = _facing(xyz)
        if mine is not None and theirs is not None:
            c, s = math.cos(mine - theirs), math.sin(mine - theirs)
            xyz[:, 0], xyz[:, 2] = c * xyz[:, 0] - s * xyz[:, 2], s * xyz[:, 0] + c * xyz[:, 2]
    px = user[:, :2] * (w, h)
    user_hip = mid_hip(px)
    # Not body.torso_length: its norm over axis=-1 differs from this one in the last bit.
    torso_px = float(np.linalg.norm(mid_shoulder(px) - user_hip))
    scale = torso_px / torso_m                                  # pixels per reference metre
    out = np.empty((N_LANDMARKS, 4), dtype=np.float32)
    out[:, 0] = (user_hip[0] + scale * xyz[:, 0]) / w
    out[:, 1] = (user_hip[1] + scale * xyz[:, 1]) / h
    out[:, 2] = scale * xyz[:, 2] / w
    out[:, 3] = ref[:, 3]
    return out


