"""Shared helpers of the engine.live tests: poses seen by a fake camera, small references."""

from __future__ import annotations

import numpy as np

from engine.analysis.metrics import joint_angles
from engine.core.body import DEFAULT_JOINT_WEIGHT, JOINT_GROUP, SCORED_JOINTS
from engine.core.body import Landmark as L
from engine.io.pose import PoseFrame
from engine.live import LiveReference, PracticeSession, ReferenceFrames
from tests.engine.conftest import _t_pose

FPS = 30.0
W, H = 640, 480
LEFT_ARM = (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)
RIGHT_ARM = (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)
LEGS = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
        L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


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


def reference_of(world: np.ndarray, frames: ReferenceFrames | None = None) -> LiveReference:
    """A LiveReference straight from (N, 33, 4) world landmarks at FPS (no cleaning)."""
    n = world.shape[0]
    return LiveReference(name="ref.mp4", t=(np.arange(n) / FPS).astype(np.float32),
                         image=np.stack([to_image(w) for w in world]).astype(np.float32),
                         world=world.astype(np.float32), angles=joint_angles(world), fps=FPS, frames=frames)


def torso_px(image: np.ndarray) -> float:
    px = image[:, :2] * (W, H)
    return float(np.linalg.norm(0.5 * (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER])
                                - 0.5 * (px[L.LEFT_HIP] + px[L.RIGHT_HIP])))


def hip_px(image: np.ndarray) -> np.ndarray:
    return 0.5 * (image[L.LEFT_HIP, :2] + image[L.RIGHT_HIP, :2]) * (W, H)


def arm_sweep(n: int = 45, deg_per_s: float = 240.0) -> np.ndarray:
    """T-poses whose left arm sweeps up and down at deg_per_s (shoulder angle ~24..174 deg)."""
    t = np.arange(n) / FPS
    phase = (t * deg_per_s) % 300.0
    angle = np.where(phase < 150.0, phase, 300.0 - phase) - 75.0         # triangle, -75..75 deg
    return np.stack([swing(_t_pose(), L.LEFT_SHOULDER, LEFT_ARM, a) for a in angle]).astype(np.float32)


def static_reference(t_pose, n: int = 60) -> LiveReference:
    return reference_of(np.repeat(t_pose()[None], n, axis=0))


def total_weight(joints=SCORED_JOINTS) -> float:
    return sum(DEFAULT_JOINT_WEIGHT[JOINT_GROUP[j]] for j in joints)


class FakeCamera:
    """A fake clock and a fake pose model: each process() call sees `pose` (33, 4) world."""

    def __init__(self, pose: np.ndarray | None, hip=(320.0, 260.0), px_per_m: float = 300.0) -> None:
        self.now = 0.0
        self.world = pose
        self.hip, self.px_per_m = hip, px_per_m
        self.closed = 0
        self.calls = 0

    def clock(self) -> float:
        return self.now

    def process(self, rgb: np.ndarray) -> PoseFrame:
        self.calls += 1
        if self.world is None:
            empty = np.full((33, 4), np.nan, np.float32)
            return PoseFrame(empty, empty.copy(), None)
        image = to_image(self.world, px_per_m=self.px_per_m, hip_px=self.hip)
        return PoseFrame(image.astype(np.float32), self.world.astype(np.float32), None)

    def close(self) -> None:
        self.closed += 1


def session(ref, cam, **kw) -> PracticeSession:
    return PracticeSession(ref, countdown_s=kw.pop("countdown_s", 1.0), estimator=cam, clock=cam.clock, **kw)


def camera_frame(w: int = W, h: int = H) -> np.ndarray:
    return np.full((h, w, 3), 40, np.uint8)


def run(s: PracticeSession, cam: FakeCamera, until: float, fps: float = 25.0, frame=None) -> np.ndarray:
    out = None
    frame = camera_frame() if frame is None else frame
    while cam.now < until - 1e-9:
        out = s.process(frame)
        cam.now = round(cam.now + 1.0 / fps, 9)
    return out
