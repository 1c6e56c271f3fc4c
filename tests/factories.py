"""Tiny hand-built test data (no video, no model)."""

from __future__ import annotations

import numpy as np

from engine.core.performance import Performance, SourceInfo


def make_perf(n: int = 60, fps: float = 30.0, seed: int = 0, *, file: str = "x.mp4", sha256: str = "0" * 64,
              fingerprint: str = "", mask_size: int = 8) -> Performance:
    """A smoothly moving, fully visible skeleton of n frames, noisy at 1 cm."""
    rng = np.random.default_rng(seed)
    t = (np.arange(n) / fps).astype(np.float32)
    world = np.zeros((n, 33, 4), np.float32)
    world[..., :3] = np.sin(t)[:, None, None] + rng.normal(0, 0.01, (n, 33, 3))
    world[..., 3] = 0.9
    image = world.copy()
    image[..., :2] = 0.5 + 0.1 * world[..., :2]
    src = SourceInfo(file=file, sha256=sha256, source_fps=fps, width=640, height=480, rotation=0,
                     duration_s=n / fps, has_audio=False, model="fake", fingerprint=fingerprint)
    mask = rng.integers(0, 255, (n, mask_size, mask_size)).astype(np.uint8)
    return Performance(image=image, world=world, mask=mask, hip_xy=np.full((n, 2), 0.5, np.float32), t=t,
                       detected=np.ones(n, bool), fps=fps, source=src)
