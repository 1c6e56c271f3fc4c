"""`Performance`: one clip's pose track, the unit the cache stores and every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.core.body import N_LANDMARKS


def _check(name: str, arr: np.ndarray, shape: tuple[int | None, ...], dtype: type | None = None) -> None:
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"Performance.{name}: expected shape {want}, got {arr.shape}")
    if dtype is not None and arr.dtype != dtype:
        raise ValueError(f"Performance.{name}: expected dtype {np.dtype(dtype)}, got {arr.dtype}")


@dataclass(frozen=True)
class SourceInfo:
    """Where a Performance came from: the video file and how it was analyzed."""

    file: str                 # file name as the user gave it (display only, never used as a path)
    sha256: str               # content hash of the file's bytes
    source_fps: float         # container frame rate (average), frames/s
    width: int                # upright frame width after rotation, pixels
    height: int               # upright frame height after rotation, pixels
    rotation: int             # degrees clockwise that were applied to make frames upright
    duration_s: float         # container duration, seconds
    has_audio: bool
    model: str = ""           # pose model name, e.g. "mediapipe-0.10.21-pose-full"
    fingerprint: str = ""     # extractor settings fingerprint (part of the cache key)


@dataclass(frozen=True, eq=False)
class Performance:
    """One clip's pose track at the analysis rate. Missing detections are NaN rows, never zeros.

    Attributes
    ----------
    image : (N, 33, 4) float32
        Image landmarks: x, y normalized to the upright frame (0..1), z relative depth
        (MediaPipe's scale, roughly like x), visibility 0..1.
    world : (N, 33, 4) float32
        World landmarks: x, y, z in metres, hip-centred, MediaPipe's axes (y down), visibility.
    mask : (N, M, M) uint8
        Person-centred segmentation crop (centred on the hips, scaled by torso length),
        0..255 probability. All zeros where nothing was detected.
    hip_xy : (N, 2) float32
        Hip centre in the upright frame, normalized coordinates (trajectory across the floor).
    t : (N,) float32
        Seconds from the start of the file.
    detected : (N,) bool
        Whether a person was detected in the frame.
    fps : float
        Analysis frame rate, frames/s.
    source : SourceInfo
    filled : (N, 33) bool, optional
        Set by `clean`: values that were interpolated rather than observed.
    """

    image: np.ndarray
    world: np.ndarray
    mask: np.ndarray
    hip_xy: np.ndarray
    t: np.ndarray
    detected: np.ndarray
    fps: float
    source: SourceInfo
    filled: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        n = self.t.shape[0] if self.t.ndim == 1 else -1
        _check("t", self.t, (None,), np.float32)
        _check("image", self.image, (n, N_LANDMARKS, 4), np.float32)
        _check("world", self.world, (n, N_LANDMARKS, 4), np.float32)
        _check("mask", self.mask, (n, None, None), np.uint8)
        _check("hip_xy", self.hip_xy, (n, 2), np.float32)
        _check("detected", self.detected, (n,), np.bool_)
        if self.filled is not None:
            _check("filled", self.filled, (n, N_LANDMARKS), np.bool_)
        if not self.fps > 0:
            raise ValueError(f"Performance.fps must be > 0, got {self.fps}")

    @property
    def n_frames(self) -> int:
        return int(self.t.shape[0])

    @property
    def duration_s(self) -> float:
        """Analyzed span in seconds (last timestamp + one frame)."""
        return float(self.t[-1] + 1.0 / self.fps) if self.n_frames else 0.0

    @property
    def detected_ratio(self) -> float:
        return float(self.detected.mean()) if self.n_frames else 0.0
