"""Drivers of the engine.live tests: a fake camera and pose model, a session run on its clock,
and measurements of the landmarks it draws. The poses and references come from tests.factories."""

from __future__ import annotations

import numpy as np

from engine.core.body import DEFAULT_JOINT_WEIGHT, JOINT_GROUP, SCORED_JOINTS
from engine.core.body import Landmark as L
from engine.io.pose import PoseFrame
from engine.live import PracticeSession
from tests.engine.analysis.metrics.posekit import dance
from tests.factories import FPS, H, W, camera_frame, to_image


def torso_px(image: np.ndarray) -> float:
    px = image[:, :2] * (W, H)
    return float(np.linalg.norm(0.5 * (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER])
                                - 0.5 * (px[L.LEFT_HIP] + px[L.RIGHT_HIP])))


def hip_px(image: np.ndarray) -> np.ndarray:
    return 0.5 * (image[L.LEFT_HIP, :2] + image[L.RIGHT_HIP, :2]) * (W, H)


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


def hanging_left_arm(n: int) -> np.ndarray:
    """posekit's choreography (n frames at FPS) with the left arm hanging (elevation 10 degrees)
    instead of sweeping: a limb that does not follow the reference."""
    t = np.arange(n) / FPS
    return dance(n, FPS, left_arm_error=80.0 + 70.0 * np.sin(2 * np.pi * t / 3.1))   # posekit's elevation - 10


class DancingCamera(FakeCamera):
    """A FakeCamera whose pose is `track` (N, 33, 4) played at `fps` from clock time `start`."""

    def __init__(self, track: np.ndarray, fps: float, start: float = 0.0, **kw) -> None:
        super().__init__(track[0], **kw)
        self.track, self.fps, self.start = track, fps, start

    def process(self, rgb: np.ndarray) -> PoseFrame:
        i = int(np.clip(round((self.now - self.start) * self.fps), 0, len(self.track) - 1))
        self.world = self.track[i]
        return super().process(rgb)


def session(ref, cam, **kw) -> PracticeSession:
    return PracticeSession(ref, countdown_s=kw.pop("countdown_s", 1.0), estimator=cam, clock=cam.clock, **kw)


def run(s: PracticeSession, cam: FakeCamera, until: float, fps: float = 25.0, frame=None) -> np.ndarray:
    out = None
    frame = camera_frame() if frame is None else frame
    while cam.now < until - 1e-9:
        out = s.process(frame)
        cam.now = round(cam.now + 1.0 / fps, 9)
    return out
