"""Hand-made inputs for the metric tests: poses, hip paths, masks, energies."""

from __future__ import annotations

import cv2
import numpy as np

from engine.core.body import Landmark

L = Landmark
FPS = 30.0
S = 128


def frozen(arr: np.ndarray) -> np.ndarray:
    """A read-only copy: any in-place write by the code under test raises."""
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


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


def moving_world(n: int, velocity=(0.3, 0.4, 0.0)) -> np.ndarray:
    """(n, 33, 4): every landmark translating at `velocity` units / s (|v| = 0.5)."""
    t = np.arange(n) / FPS
    w = np.zeros((n, 33, 4))
    w[..., :3] = np.random.default_rng(1).normal(0, 0.3, (33, 3)) + t[:, None, None] * np.asarray(velocity)
    w[..., 3] = 1.0
    return w
