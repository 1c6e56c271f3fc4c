"""Synthetic MediaPipe-world poses with known limb directions (shared by the form tests).

World axes as MediaPipe's: x toward the image's right (a front-facing dancer's LEFT), y DOWN,
z away from the camera (so the dancer's forward, toward the camera, is -z). Metres.
"""

from __future__ import annotations

import numpy as np

from engine.core.body import Landmark as L

FORWARD = np.array([0.0, 0.0, -1.0])
DOWN = np.array([0.0, 1.0, 0.0])
LEFT = np.array([1.0, 0.0, 0.0])


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def arm_dir(elev_deg: float, azim_deg: float, side: int = 1) -> np.ndarray:
    """Arm direction: elevation from hanging down (0 down, 90 horizontal, 180 up); azimuth in
    the horizontal plane from forward (0) toward the arm's own side (90 = straight out)."""
    e, a = np.radians(elev_deg), np.radians(azim_deg)
    horiz = np.cos(a) * FORWARD + np.sin(a) * side * LEFT
    return unit(np.cos(e) * DOWN + np.sin(e) * horiz)


def pose(l_upper=None, l_fore=None, r_upper=None, r_fore=None, l_thigh=None, r_thigh=None,
         l_shin=None, r_shin=None) -> np.ndarray:
    """One (33, 4) world pose; limbs default to hanging arms and straight legs."""
    p = np.zeros((33, 4))
    p[:, 3] = 1.0
    lu = arm_dir(10, 90, 1) if l_upper is None else unit(l_upper)
    ru = arm_dir(10, 90, -1) if r_upper is None else unit(r_upper)
    lf = lu if l_fore is None else unit(l_fore)
    rf = ru if r_fore is None else unit(r_fore)
    lt = DOWN if l_thigh is None else unit(l_thigh)
    rt = DOWN if r_thigh is None else unit(r_thigh)
    ls = lt if l_shin is None else unit(l_shin)
    rs = rt if r_shin is None else unit(r_shin)
    p[L.LEFT_HIP, :3], p[L.RIGHT_HIP, :3] = [0.1, 0, 0], [-0.1, 0, 0]
    p[L.LEFT_SHOULDER, :3], p[L.RIGHT_SHOULDER, :3] = [0.18, -0.5, 0], [-0.18, -0.5, 0]
    for i in range(11):                                   # face: nose, eyes, ears, mouth
        p[i, :3] = [0.02 * ((i % 3) - 1), -0.65 + 0.01 * (i % 2), -0.08]
    for sh, el, wr, fingers, u, f in (
            (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, (L.LEFT_INDEX, L.LEFT_PINKY, L.LEFT_THUMB), lu, lf),
            (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, (L.RIGHT_INDEX, L.RIGHT_PINKY, L.RIGHT_THUMB), ru, rf)):
        p[el, :3] = p[sh, :3] + 0.28 * u
        p[wr, :3] = p[el, :3] + 0.25 * f
        for k in fingers:
            p[k, :3] = p[wr, :3] + 0.08 * f
    for hp, kn, an, heel, toe, t, s in ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX, lt, ls),
                                        (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL,
                                         L.RIGHT_FOOT_INDEX, rt, rs)):
        p[kn, :3] = p[hp, :3] + 0.42 * t
        p[an, :3] = p[kn, :3] + 0.40 * s
        p[heel, :3] = p[an, :3] + [0, 0.05, 0.03]
        p[toe, :3] = p[an, :3] + [0, 0.06, -0.14]
    return p


def rotation(axis, deg: float) -> np.ndarray:
    a = unit(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    t = np.radians(deg)
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def dance(n: int, fps: float = 30.0, *, left_arm_error=None) -> np.ndarray:
    """(n, 33, 4) choreography: both arms sweep through elevations and azimuths, the knees bend.

    left_arm_error : optional (n,) degrees by which the left arm (upper arm and forearm) is
        lowered at each frame (a rotation toward hanging down).
    """
    t = np.arange(n) / fps
    out = np.empty((n, 33, 4))
    for i, s in enumerate(t):
        le = 90 + 70 * np.sin(2 * np.pi * s / 3.1)
        la = 45 + 45 * np.sin(2 * np.pi * s / 4.3)
        if left_arm_error is not None:
            le = le - left_arm_error[i]
        re = 90 + 70 * np.sin(2 * np.pi * s / 2.7 + 1.0)
        ra = 45 + 45 * np.sin(2 * np.pi * s / 3.7 + 2.0)
        bend = 25 + 25 * np.sin(2 * np.pi * s / 2.0)
        out[i] = pose(l_upper=arm_dir(le, la, 1), l_fore=arm_dir(le + 20, la, 1),
                      r_upper=arm_dir(re, ra, -1), r_fore=arm_dir(re + 20, ra, -1),
                      l_thigh=arm_dir(bend, 0, 1), r_thigh=arm_dir(bend, 0, -1),
                      l_shin=arm_dir(-bend, 0, 1), r_shin=arm_dir(-bend, 0, -1))
    return out
