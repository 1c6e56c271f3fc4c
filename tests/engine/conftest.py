"""Factories for engine tests: plausible hand-built skeletons in MediaPipe world coordinates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from engine.core.body import N_LANDMARKS, Landmark

L = Landmark

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


def _t_pose() -> np.ndarray:
    """(33, 4) float32: the T-pose above, visibility 0.9."""
    out = np.empty((N_LANDMARKS, 4), np.float32)
    for lm, xyz in _T_POSE_XYZ.items():
        out[lm] = (*xyz, 0.9)
    return out


def _rotate_y(world: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate world landmarks (..., 33, 4) about the vertical y axis (turning the dancer)."""
    a = np.deg2rad(degrees)
    out = np.array(world, dtype=np.float32, copy=True)
    x, z = world[..., 0].astype(np.float64), world[..., 2].astype(np.float64)
    out[..., 0] = np.cos(a) * x + np.sin(a) * z
    out[..., 2] = -np.sin(a) * x + np.cos(a) * z
    return out


def _swing(world: np.ndarray, pivot: Landmark, moved: tuple[Landmark, ...], angle: np.ndarray,
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


def _dance(n: int = 90, fps: float = 30.0, seed: int = 0) -> np.ndarray:
    """(n, 33, 4) float32: a T-pose whose limbs swing with random, side-specific rhythms.

    Left and right limbs move differently (so mirroring is detectable) and the whole body
    turns slowly about y (so yaw normalization has work to do).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    world = np.repeat(_t_pose()[None], n, axis=0)
    arm_left = (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)
    arm_right = (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)
    leg_left = (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)
    leg_right = (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)

    def wave(amp: float) -> np.ndarray:
        f1, f2 = rng.uniform(0.3, 1.5, 2)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        return amp * (0.7 * np.sin(2 * np.pi * f1 * t + p1) + 0.3 * np.sin(2 * np.pi * f2 * t + p2))

    # The dancer's left arm rises with a negative image-plane angle (x>0 side, y down).
    _swing(world, L.LEFT_SHOULDER, arm_left, -0.2 - wave(1.0), "z")
    _swing(world, L.RIGHT_SHOULDER, arm_right, 0.6 + wave(0.5), "z")
    _swing(world, L.LEFT_SHOULDER, arm_left, wave(0.6), "x")
    _swing(world, L.LEFT_HIP, leg_left, wave(0.4), "x")
    _swing(world, L.RIGHT_HIP, leg_right, 0.3 + wave(0.2), "z")
    turn = np.rad2deg(wave(0.8))
    world = np.stack([_rotate_y(world[k], turn[k]) for k in range(n)])
    world[..., :3] += rng.normal(0.0, 0.003, world[..., :3].shape).astype(np.float32)
    return world.astype(np.float32)


@pytest.fixture
def t_pose() -> Callable[[], np.ndarray]:
    """Factory: () -> (33, 4) float32 front-facing T-pose, world metres, visibility 0.9."""
    return _t_pose


@pytest.fixture
def dance_clip() -> Callable[..., np.ndarray]:
    """Factory: (n=90, fps=30.0, seed=0) -> (n, 33, 4) float32 moving skeleton, world metres."""
    return _dance


@pytest.fixture
def rotate_y() -> Callable[[np.ndarray, float], np.ndarray]:
    """Factory: (world (..., 33, 4), degrees) -> copy turned about the vertical axis."""
    return _rotate_y
