"""Video -> `Performance`: decode, run the pose model frame by frame, keep compact results.

Streaming: decoded frames are never kept. Landmarks (about 1 KB a frame) are kept in memory;
the 128x128 mask crops (16 KB a frame, most of the data) go either to memory or, when a
`MaskSink` is given, straight to it (the cache writer compresses them to disk as they come),
so extracting a long video takes the same memory as a short one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from .body import Landmark, hip_centre
from .errors import ClipTooShortError, NoPersonError, VideoError
from .performance import Performance, SourceInfo
from .pose import PoseEstimator, model_name
from .settings import ExtractSettings
from .video import expected_frame_count, frames, probe

#: progress(fraction 0..1, message)
Progress = Callable[[float, str], None]

#: Side of the person-centred mask crop, in torso lengths (head to feet with raised arms fits).
MASK_CROP_TORSOS = 5.0
#: Fewer detected frames than this share means we are not looking at a dancer.
MIN_DETECTED_RATIO = 0.2
#: How often progress is reported, frames.
PROGRESS_EVERY = 10


class MaskSink(Protocol):
    """Where streamed mask crops go, one (M, M) uint8 array per frame, in frame order."""

    def append(self, mask: np.ndarray) -> None: ...


class _MaskList:
    """The in-memory `MaskSink`: masks kept in a list until `stack`."""

    def __init__(self) -> None:
        self.masks: list[np.ndarray] = []

    def append(self, mask: np.ndarray) -> None:
        self.masks.append(mask)

    def stack(self, m: int) -> np.ndarray:
        return np.stack(self.masks) if self.masks else np.zeros((0, m, m), np.uint8)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def torso_length_px(image: np.ndarray, width: int, height: int) -> float:
    """Shoulder-midpoint to hip-midpoint distance of one frame's image landmarks (33, 4), pixels."""
    scale = np.array([width, height], dtype=np.float32)
    shoulders = 0.5 * (image[Landmark.LEFT_SHOULDER, :2] + image[Landmark.RIGHT_SHOULDER, :2]) * scale
    hips = hip_centre(image) * scale
    return float(np.linalg.norm(shoulders - hips))


def crop_mask(mask: np.ndarray, image: np.ndarray, size: int) -> np.ndarray:
    """Person-centred crop of a full-frame mask, so body size and place in the frame do not matter.

    Parameters
    ----------
    mask : (H, W) float32 person probability 0..1
    image : (33, 4) image landmarks of the same frame
    size : output side, pixels

    Returns
    -------
    (size, size) uint8, 0..255; centred on the hips, side = MASK_CROP_TORSOS torso lengths.
    """
    h, w = mask.shape
    cx, cy = hip_centre(image) * np.array([w, h], dtype=np.float32)
    side = max(MASK_CROP_TORSOS * torso_length_px(image, w, h), 8.0)
    s = size / side
    # One affine warp from the full mask straight to the small crop: no intermediate copies.
    M = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], dtype=np.float32)
    crop = cv2.warpAffine(mask, M, (size, size), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(crop * 255.0 + 0.5, 0, 255).astype(np.uint8)


def extract(path: str | Path, *, settings: ExtractSettings = ExtractSettings(), sha256: str | None = None,
            display_name: str | None = None, progress: Progress | None = None,
            mask_sink: MaskSink | None = None) -> Performance:
    """Run pose extraction over a whole video.

    Parameters
    ----------
    path : video file
    settings : extraction settings (analysis fps, model, mask size, decode size)
    sha256 : the file's content hash if the caller already has it
    display_name : file name to record (defaults to the path's name)
    progress : called as progress(fraction, message) every few frames
    mask_sink : if given, every frame's mask crop is appended to it as it is made and the
        returned Performance's `mask` is empty, shape (N, 0, 0) (the cache writer uses this to
        keep memory flat); otherwise the masks are returned in memory

    Raises
    ------
    VideoError, ClipTooShortError, NoPersonError
    """
    path = Path(path)
    name = display_name or path.name
    try:
        return _extract(path, name, settings, sha256, progress, mask_sink)
    except VideoError as exc:
        if name == path.name:
            raise
        # Uploads are stored under hashed names; the user knows the file by its own name.
        raise VideoError(str(exc).replace(path.name, name)) from None


def _extract(path: Path, name: str, settings: ExtractSettings, sha256: str | None,
             progress: Progress | None, mask_sink: MaskSink | None) -> Performance:
    info = probe(path)
    if info.duration_s < settings.min_duration_s:
        raise ClipTooShortError(
            f"{name} is {info.duration_s:.2f} s long; at least {settings.min_duration_s:.0f} s of dancing "
            "is needed to compare. Record a longer clip.")
    sha = sha256 or sha256_file(path)
    total = max(expected_frame_count(info, settings.analysis_fps), 1)
    m = settings.mask_size
    images, worlds, ts = [], [], []
    masks = _MaskList() if mask_sink is None else mask_sink
    empty_mask = np.zeros((m, m), dtype=np.uint8)
    started = time.perf_counter()
    with PoseEstimator(model_complexity=settings.model_complexity, segmentation=True,
                       min_detection_confidence=settings.min_detection_confidence,
                       min_tracking_confidence=settings.min_tracking_confidence) as estimator:
        for i, (t, rgb) in enumerate(frames(path, fps=settings.analysis_fps, max_side=settings.max_side)):
            result = estimator.process(rgb)
            images.append(result.image)
            worlds.append(result.world)
            masks.append(crop_mask(result.mask, result.image, m) if result.detected and result.mask is not None
                         else empty_mask)
            ts.append(t)
            if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                done = i + 1
                rate = done / max(time.perf_counter() - started, 1e-6)
                left = max(total - done, 0) / rate
                progress(min(done / total, 0.99), f"{name}: frame {done}/{total}, {rate:.0f} fps, ~{left:.0f} s left")
        model = estimator.name
    if not ts:
        raise NoPersonError(f"{name}: no frames could be decoded, so no person could be found.")
    image = np.stack(images)
    detected = np.isfinite(image[:, 0, 0])
    ratio = float(detected.mean())
    if ratio < MIN_DETECTED_RATIO:
        raise NoPersonError(
            f"{name}: a person was detected in only {100 * ratio:.0f}% of frames. Film the whole body, "
            "well lit, with the dancer clearly in frame.")
    if progress is not None:
        progress(1.0, f"{name}: done, {len(ts)} frames, person found in {100 * ratio:.0f}%")
    source = SourceInfo(file=name, sha256=sha, source_fps=info.fps, width=info.width, height=info.height,
                        rotation=info.rotation, duration_s=info.duration_s, has_audio=info.has_audio,
                        model=model, fingerprint=settings.fingerprint(model_name(settings.model_complexity)))
    mask = masks.stack(m) if isinstance(masks, _MaskList) else np.zeros((len(ts), 0, 0), np.uint8)
    return Performance(image=image, world=np.stack(worlds), mask=mask,
                       hip_xy=hip_centre(image).astype(np.float32), t=np.asarray(ts, dtype=np.float32),
                       detected=detected, fps=float(settings.analysis_fps), source=source)
