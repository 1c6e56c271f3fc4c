"""Video -> `Performance`: decode, run the pose model frame by frame, keep compact results.

Parallel: a clip is cut into time segments of about `SEGMENT_S` (`plan_segments`), each tracked
by its own pose graph on the process's shared pool of `pose_workers` threads, so one clip uses
every core and two clips keep them all busy to the end. Each tracker after the first starts
`WARMUP_S` early to lock on; at each join the warm-up must show the dancer the previous segment
followed (`_same_dancer`), else the rest of the clip is tracked by one chain, as before.

Streaming: decoded frames are never kept. Landmarks (about 1 KB a frame) are kept in memory;
the 128x128 mask crops (16 KB a frame, most of the data) go either to memory or, when a
`MaskSink` is given, straight to it (the cache writer compresses them to disk as they come),
so extracting a long video takes the same memory as a short one.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from engine.core.body import hip_centre, mid_shoulder
from engine.core.errors import ClipTooShortError, NoPersonError, SettingsError, VideoError
from engine.core.fair import FairExecutor
from engine.core.performance import Performance, SourceInfo
from engine.core.progress import Progress
from engine.core.settings import ExtractSettings
from engine.io.pose import PoseEstimator, model_name
from engine.io.video import expected_frame_count, frames, output_size, probe

#: Side of the person-centred mask crop, in torso lengths (head to feet with raised arms fits).
MASK_CROP_TORSOS = 5.0
#: Fewer detected frames than this share means we are not looking at a dancer.
MIN_DETECTED_RATIO = 0.2
#: How often progress is reported, frames.
PROGRESS_EVERY = 10
#: Clips are cut into time segments of about this length, each tracked by its own pose graph, in
#: parallel (`plan_segments`), seconds.
SEGMENT_S = 12.0
#: Each segment's tracker after the first starts this much early: the frames before the segment
#: let it lock on and its filters settle, and show whether it follows the same dancer, seconds.
WARMUP_S = 0.5
#: How many frames at the end of a warm-up are compared with the previous segment's.
JOIN_FRAMES = 5
#: At a segment join, hip centres further apart than this many torso lengths mean another dancer.
SAME_DANCER_TORSOS = 0.5


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
    """SHA-256 of a file's bytes, hex.

    Remembered per file version (device, inode, size, modification time in ns, as git's index
    does): a comparison asks for each clip's hash twice (poses, soundtrack), and the web app again
    on every rerun; a 100 MB phone video costs ~0.25 s to hash."""
    st = os.stat(path)
    return _sha256_of_version(str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, chunk)


@lru_cache(maxsize=256)
def _sha256_of_version(path: str, _dev: int, _ino: int, _size: int, _mtime_ns: int, chunk: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def torso_length_px(image: np.ndarray, width: int, height: int) -> float:
    """Shoulder-midpoint to hip-midpoint distance of one frame's image landmarks (33, 4), pixels."""
    scale = np.array([width, height], dtype=np.float32)
    shoulders = mid_shoulder(image[..., :2]) * scale
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


def plan_segments(duration_s: float, fps: float) -> list[tuple[float, float | None]]:
    """Cut a clip into time segments of about `SEGMENT_S` that are tracked in parallel.

    Returns [(start_s, stop_s)], seconds from the start of the file; the last stop is None (to
    the end). Boundaries sit on the analysis slot grid (multiples of 1 / fps), so a segment
    decodes exactly the frames a whole-file decode has there. The plan depends only on the
    clip, never on the machine's core count: the same file always gives the same landmarks.
    """
    n = max(1, round(duration_s / SEGMENT_S))
    bounds = [round(k * duration_s / n * fps) / fps for k in range(1, n)]
    return list(zip([0.0, *bounds], [*bounds, None]))


def pose_workers() -> int:
    """How many pose graphs run at once in this process: ``DANCE_POSE_WORKERS``, else the CPU count."""
    value = os.environ.get("DANCE_POSE_WORKERS", "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise SettingsError(f"DANCE_POSE_WORKERS must be a whole number, got {value!r}") from None
        if n < 1:
            raise SettingsError(f"DANCE_POSE_WORKERS must be at least 1, got {n}")
        return n
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 1)


_pool: FairExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> FairExecutor:
    """One pool of `pose_workers` threads for the whole process, shared by every clip being
    extracted (both clips of a comparison, every dashboard session), so the CPU is never
    oversubscribed. MediaPipe and the decoder release the GIL, so the threads run in parallel.
    Clips take turns segment by segment (`FairExecutor`): a short clip submitted behind a long
    one starts as soon as one of the long one's segments ends."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = FairExecutor(pose_workers(), name="pose")
        return _pool


class _Stopped(Exception):
    """A segment's tracker was told to stop (another segment failed, or it is no longer needed)."""


@dataclass
class _Track:
    """One tracker's output over one segment, warm-up frames included.

    start_s : first time that belongs to the segment (earlier frames are warm-up)
    t : frame times, seconds; image, world : (33, 4) landmarks per frame; masks : (M, M) uint8 crops
    """

    start_s: float
    t: list[float] = field(default_factory=list)
    image: list[np.ndarray] = field(default_factory=list)
    world: list[np.ndarray] = field(default_factory=list)
    masks: list[np.ndarray] = field(default_factory=list)

    @property
    def first_kept(self) -> int:
        """Index of the first frame that belongs to the segment."""
        return int(np.searchsorted(np.asarray(self.t), self.start_s - 1e-6))


class _Progress:
    """Frames tracked so far over all of a clip's segments; reports every `PROGRESS_EVERY`."""

    def __init__(self, name: str, total: int, progress: Progress | None) -> None:
        self.name, self.total, self.progress = name, total, progress
        self.done = 0
        self.started = time.perf_counter()
        self.lock = threading.Lock()

    def frame(self) -> None:
        with self.lock:
            self.done += 1
            if self.progress is not None and self.done % PROGRESS_EVERY == 0:
                rate = self.done / max(time.perf_counter() - self.started, 1e-6)
                left = max(self.total - self.done, 0) / rate
                self.progress(min(self.done / self.total, 0.99),
                              f"{self.name}: frame {self.done}/{self.total}, {rate:.0f} fps, ~{left:.0f} s left")


def _track(path: Path, settings: ExtractSettings, start_s: float, stop_s: float | None,
           on_frame: Callable[[], None], *stops: threading.Event) -> _Track:
    """Run one pose tracker from `WARMUP_S` before `start_s` (from 0 for the first segment) to `stop_s`."""
    fps = settings.analysis_fps
    warm_s = max(round((start_s - WARMUP_S) * fps) / fps, 0.0) if start_s > 0 else 0.0
    out = _Track(start_s=start_s)
    m = settings.mask_size
    empty_mask = np.zeros((m, m), dtype=np.uint8)
    with PoseEstimator(model_complexity=settings.model_complexity, segmentation=True,
                       min_detection_confidence=settings.min_detection_confidence,
                       min_tracking_confidence=settings.min_tracking_confidence) as estimator:
        for t, rgb in frames(path, fps=fps, max_side=settings.max_side, start_s=warm_s, stop_s=stop_s):
            if any(stop.is_set() for stop in stops):
                raise _Stopped
            result = estimator.process(rgb)
            out.t.append(t)
            out.image.append(result.image)
            out.world.append(result.world)
            out.masks.append(crop_mask(result.mask, result.image, m) if result.detected and result.mask is not None
                             else empty_mask)
            on_frame()
    return out


def _same_dancer(before: _Track, after: _Track, width: int, height: int) -> bool:
    """Whether `after`'s tracker, at the end of its warm-up, follows the dancer `before` tracked.

    A fresh tracker locks on to the most confident person; in a crowd that may be someone else
    than the one a single tracker would have kept following.
    """
    warm = np.asarray(after.t[:after.first_kept])[-JOIN_FRAMES:]
    if warm.size == 0:
        return True
    t_before = np.asarray(before.t)
    idx = np.clip(np.searchsorted(t_before, warm - 1e-6), 0, max(len(t_before) - 1, 0))
    if t_before.size == 0 or not np.allclose(t_before[idx], warm, atol=1e-6):
        return True  # nothing to compare with (the earlier segment ended early)
    a = np.stack([before.image[i] for i in idx])
    b = np.stack(after.image[after.first_kept - warm.size:after.first_kept])
    seen_a, seen_b = np.isfinite(a[:, 0, 0]), np.isfinite(b[:, 0, 0])
    if not seen_a.any():
        return True  # the earlier tracker had lost everyone: it would have searched afresh too
    both = seen_a & seen_b
    if not both.any():
        return False
    scale = np.array([width, height], dtype=np.float32)
    apart = np.linalg.norm((hip_centre(a[both]) - hip_centre(b[both])) * scale, axis=-1)
    torso = np.array([torso_length_px(f, width, height) for f in a[both]])
    return float(np.median(apart / np.maximum(torso, 1.0))) < SAME_DANCER_TORSOS


def extract(path: str | Path, *, settings: ExtractSettings = ExtractSettings(), sha256: str | None = None,
            display_name: str | None = None, progress: Progress | None = None,
            mask_sink: MaskSink | None = None) -> Performance:
    """Run pose extraction over a whole video.

    The clip is cut into segments (`plan_segments`) tracked at once by the process's pose workers
    (`pose_workers`); each tracker after the first starts `WARMUP_S` early, and where its warm-up
    shows another dancer than the segment before, the rest of the clip is re-tracked as one chain.

    Parameters
    ----------
    path : video file
    settings : extraction settings (analysis fps, model, mask size, decode size)
    sha256 : the file's content hash if the caller already has it
    display_name : file name to record (defaults to the path's name)
    progress : called as progress(fraction, message) every few frames, from worker threads; an
        exception it raises stops the extraction and is re-raised here
    mask_sink : if given, every frame's mask crop is appended to it, in frame order, and the
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
    fps = settings.analysis_fps
    segments = plan_segments(info.duration_s, fps)
    counter = _Progress(name, max(expected_frame_count(info, fps), 1) + round(WARMUP_S * fps) * (len(segments) - 1),
                        progress)
    masks = _MaskList() if mask_sink is None else mask_sink
    width, height = output_size(info, settings.max_side)
    kept_t: list[float] = []
    kept_image: list[np.ndarray] = []
    kept_world: list[np.ndarray] = []

    def keep(track: _Track) -> None:
        k = track.first_kept
        kept_t.extend(track.t[k:])
        kept_image.extend(track.image[k:])
        kept_world.extend(track.world[k:])
        for mask in track.masks[k:]:
            masks.append(mask)

    pool = _shared_pool()
    failed = threading.Event()  # any segment failing stops all of them at their next frame

    def track(start_s: float, stop_s: float | None, stop: threading.Event) -> _Track:
        try:
            return _track(path, settings, start_s, stop_s, counter.frame, stop, failed)
        except _Stopped:
            raise
        except BaseException:
            failed.set()
            raise

    stops = [threading.Event() for _ in segments]
    turn = object()   # this extraction's place in the pool's turns
    futures: list[Future | None] = [pool.submit(turn, track, a, b, stop) for (a, b), stop in zip(segments, stops)]
    try:
        if progress is not None and not (futures[0].running() or futures[0].done()):
            progress(0.0, f"{name}: waiting for the pose model, busy with other clips (clips take turns: "
                          f"this one starts when one of their {SEGMENT_S:.0f}-s pieces is done)")
        held: _Track | None = None  # written out once the next segment is known to follow the same dancer
        for k, future in enumerate(futures):
            following = future.result()
            futures[k] = None  # the future holds the track: drop it so memory stays flat with length
            if held is not None and not _same_dancer(held, following, width, height):
                for stop in stops[k:]:
                    stop.set()
                wait(futures[k + 1:])
                with counter.lock:  # what is left: the held segment (and its warm-up) to the end
                    counter.total = counter.done + max(expected_frame_count(info, fps) - len(kept_t), 1)
                if progress is not None:
                    progress(min(counter.done / counter.total, 0.99),
                             f"{name}: another dancer was picked up at {following.start_s:.1f} s; "
                             f"following one dancer from {held.start_s:.1f} s to the end")
                held = pool.submit(turn, track, held.start_s, None, threading.Event()).result()
                break
            if held is not None:
                keep(held)
            held = following
        keep(held)
    except BaseException as exc:
        failed.set()
        running = [f for f in futures if f is not None]
        wait(running)
        # Report the segment that failed, not one that was stopped because of it.
        first = next((e for f in running if not f.cancelled() and (e := f.exception()) is not None
                      and not isinstance(e, _Stopped)), exc)
        if first is exc:
            raise
        raise first from None
    if not kept_t:
        raise NoPersonError(f"{name}: no frames could be decoded, so no person could be found.")
    image = np.stack(kept_image)
    detected = np.isfinite(image[:, 0, 0])
    ratio = float(detected.mean())
    if ratio < MIN_DETECTED_RATIO:
        raise NoPersonError(
            f"{name}: a person was detected in only {100 * ratio:.0f}% of frames. Film the whole body, "
            "well lit, with the dancer clearly in frame.")
    if progress is not None:
        progress(1.0, f"{name}: done, {len(kept_t)} frames, person found in {100 * ratio:.0f}%")
    model = model_name(settings.model_complexity)
    source = SourceInfo(file=name, sha256=sha, source_fps=info.fps, width=info.width, height=info.height,
                        rotation=info.rotation, duration_s=info.duration_s, has_audio=info.has_audio,
                        model=model, fingerprint=settings.fingerprint(model))
    mask = masks.stack(settings.mask_size) if isinstance(masks, _MaskList) else np.zeros((len(kept_t), 0, 0), np.uint8)
    return Performance(image=image, world=np.stack(kept_world), mask=mask,
                       hip_xy=hip_centre(image).astype(np.float32), t=np.asarray(kept_t, dtype=np.float32),
                       detected=detected, fps=float(fps), source=source)
