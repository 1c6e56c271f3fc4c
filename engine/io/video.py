"""Probe and decode videos with PyAV: upright RGB frames at the analysis rate (or resized for
display, `display_frames`), and mono audio.

Time convention: every time here is seconds from the start of the file, on one clock for video
and audio. It is ``pts * time_base - file_start``, where ``file_start`` is the container's start
time (the earliest start over its streams; 0 for nearly every MP4). So the first video frame has
``t = 0`` unless the video starts after the audio, and `audio` sample ``i`` is at ``i / sr``.

Rotation convention: `VideoInfo.rotation` is the clockwise angle (0, 90, 180, 270) that makes a
decoded frame upright, the angle FFmpeg's own auto-rotation applies. A phone clip filmed upright
and stored landscape ("rotate=90", display matrix rotating 90 degrees clockwise) has rotation 90.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine.core.errors import VideoError
from engine.io._container import (
    MIN_DECODED_SHARE,
    _check_index_complete,
    _file_start_s,
    _first_frame,
    _open,
    _reason,
    _stream_duration_s,
    _stream_fps,
    _truncated_message,
    _video_stream,
)

#: Sources up to this factor faster than the analysis rate are not decimated (VFR phone jitter).
_RATE_SLACK = 1.05
#: How early (in source frame periods) a frame may arrive and still fill its analysis slot;
#: absorbs timestamps rounded to a coarse time base such as milliseconds.
_SLOT_EARLY = 0.25


@dataclass(frozen=True)
class VideoInfo:
    """What `probe` learns about a video file without decoding it all.

    Sizes are in square pixels of the upright picture (rotation and pixel aspect applied).
    """

    path: str
    width: int              # upright width, pixels
    height: int             # upright height, pixels
    rotation: int           # degrees clockwise applied to decoded frames: 0, 90, 180 or 270
    fps: float              # average frame rate of the video stream, frames/s
    duration_s: float       # video stream duration, seconds
    n_frames: int           # source frames (container count, else duration * fps)
    codec: str              # decoder name, e.g. "h264", "hevc", "mpeg4"
    has_audio: bool
    audio_rate: int | None  # audio sample rate, Hz; None without audio


def probe(path: str | Path) -> VideoInfo:
    """Read a video's stream parameters and decode its first frame.

    Parameters
    ----------
    path : str or Path
        Video file.

    Returns
    -------
    VideoInfo

    Raises
    ------
    VideoError
        The file is missing, empty, not a video, has no video stream, or is truncated.
    """
    p = Path(path)
    with _open(p) as container:
        stream = _video_stream(container, p)
        fps = _stream_fps(stream, p)
        duration_s = _stream_duration_s(container, stream)
        _check_index_complete(stream, p, duration_s)
        first = _first_frame(container, stream, p)
        rotation = _display_rotation(first.rotation, stream.metadata.get("rotate"))
        width, height = _square_pixel_size(first.width, first.height, stream.sample_aspect_ratio)
        if rotation in (90, 270):
            width, height = height, width
        audio_streams = container.streams.audio
        return VideoInfo(
            path=str(p),
            width=width,
            height=height,
            rotation=rotation,
            fps=fps,
            duration_s=duration_s,
            n_frames=int(stream.frames) if stream.frames > 0 else round(duration_s * fps),
            codec=stream.codec_context.name,
            has_audio=len(audio_streams) > 0,
            audio_rate=int(audio_streams[0].rate) if audio_streams else None,
        )


def frames(
    path: str | Path, *, fps: float = 30.0, max_side: int | None = None,
    start_s: float = 0.0, stop_s: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Decode upright RGB frames at (at most) the analysis rate, one at a time.

    The file is probed when this is called, so a bad file raises here, before iteration.
    Sources faster than `fps` (by more than 5 %) are decimated by timestamp: a frame is kept
    when its time reaches the next ``1 / fps`` slot, so 60 fps gives 30 frames per second.
    Other sources yield every frame with its own (possibly irregular) timestamp.

    Parameters
    ----------
    path : str or Path
        Video file.
    fps : float
        Analysis rate, frames/s.
    max_side : int, optional
        Frames are scaled down (never up) so their long side is at most this, pixels, keeping
        the aspect ratio with even sides. None keeps the source size.
    start_s, stop_s : float
        Only frames with ``start_s <= t < stop_s`` (None: to the end). Decoding starts at the
        keyframe before `start_s`, and a span starting on an analysis slot (a multiple of
        ``1 / fps``) yields exactly the frames a whole-file decode yields there.

    Yields
    ------
    t : float
        Seconds from the start of the file, from the container's timestamps (see module doc).
    rgb : (H, W, 3) uint8
        Upright, C-contiguous RGB frame.

    Raises
    ------
    VideoError
        From `probe`; or, during iteration, when decoding fails or stops before
        `MIN_DECODED_SHARE` of the declared duration (a truncated file).
    """
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if max_side is not None and max_side < 2:
        raise ValueError(f"max_side must be >= 2 pixels, got {max_side}")
    if start_s < 0 or (stop_s is not None and stop_s <= start_s):
        raise ValueError(f"need 0 <= start_s < stop_s, got {start_s}, {stop_s}")
    info = probe(path)
    return _decode(Path(path), info, fps, max_side, start_s, stop_s)


def expected_frame_count(info: VideoInfo, fps: float) -> int:
    """About how many frames ``frames(info.path, fps=fps)`` yields (for progress bars)."""
    if info.fps <= fps * _RATE_SLACK:
        return info.n_frames
    return min(info.n_frames, math.ceil(info.duration_s * fps - 1e-6))


def output_size(info: VideoInfo, max_side: int | None) -> tuple[int, int]:
    """Upright ``(width, height)`` in pixels of the frames ``frames(..., max_side=...)`` yields."""
    width, height = _scaled_size(info.width, info.height, max_side)
    return width, height


def display_size(info: VideoInfo, height: int) -> tuple[int, int]:
    """``(width, height)`` of a picture `height` pixels high (rounded to even) with the video's
    upright aspect ratio, the width rounded to even too: a size to show its frames at."""
    height = even(height)
    return even(height * info.width / max(info.height, 1)), height


def display_frames(path: str | Path, *, fps: float, size: tuple[int, int],
                   start_s: float = 0.0) -> Iterator[tuple[float, np.ndarray]]:
    """Frames decoded for showing: upright RGB at (at most) `fps`, each exactly `size` pixels.

    Decoding scales to about the target height (as `frames` with `max_side`) and the rest is
    resized with area interpolation, so the render and the live reference look the same. The
    file is probed when this is called (a bad file raises `VideoError` here).

    Parameters
    ----------
    path : video file
    fps : frames/s, as in `frames`
    size : (width, height) of every frame yielded, pixels (e.g. from `display_size`)
    start_s : only frames from this time on, seconds (decoding starts at the keyframe before it)

    Yields
    ------
    t : float, seconds from the start of the file
    rgb : (size[1], size[0], 3) uint8, C-contiguous
    """
    info = probe(path)
    max_side = max(math.ceil(max(info.width, info.height) * size[1] / max(info.height, 1)), 2)
    return _resized(frames(path, fps=fps, max_side=max_side, start_s=start_s), size)


def _resized(decoded: Iterator[tuple[float, np.ndarray]], size: tuple[int, int]) -> Iterator[tuple[float, np.ndarray]]:
    for t, rgb in decoded:
        if rgb.shape[1] != size[0] or rgb.shape[0] != size[1]:
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        yield t, np.ascontiguousarray(rgb)


def even(x: float) -> int:
    """`x` pixels rounded to the nearest even integer, at least 2 (yuv420p needs even sides)."""
    return max(2, int(round(x / 2.0)) * 2)


def audio(path: str | Path, *, sr: int = 16000) -> np.ndarray | None:
    """Decode the first audio stream as mono, resampled, on the file's clock.

    Channels are averaged after resampling. The start is padded with zeros (or trimmed) so that
    sample ``i`` is at ``i / sr`` seconds from the start of the file, the clock `frames` uses.

    Parameters
    ----------
    path : str or Path
        Media file.
    sr : int
        Output sample rate, Hz.

    Returns
    -------
    (S,) float32 in [-1, 1], or None when the file has no audio stream.

    Raises
    ------
    VideoError
        The file is missing, empty, unreadable, or its audio is truncated or undecodable.
    """
    if sr <= 0:
        raise ValueError(f"sr must be > 0, got {sr}")
    p = Path(path)
    with _open(p) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        declared_s = _stream_duration_s(container, stream)
        _check_index_complete(stream, p, declared_s)
        file_start = _file_start_s(container)
        # Keep the source layout and average channels ourselves: swresample's stereo->mono
        # matrix sums L and R at 0.707 each without normalizing float output (peaks reach 1.41).
        resampler = av.AudioResampler(format="fltp", rate=sr)
        chunks: list[np.ndarray] = []
        first_s: float | None = None
        try:
            for frame in container.decode(stream):
                if first_s is None and frame.pts is not None:
                    first_s = float(frame.pts * frame.time_base) - file_start
                chunks.extend(out.to_ndarray().mean(axis=0) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().mean(axis=0) for out in resampler.resample(None))
        except av.FFmpegError as exc:
            raise VideoError(
                f"{p.name}: its audio could not be decoded ({_reason(exc)}); the file may be "
                "damaged or incomplete. Export or download it again."
            ) from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    decoded_s = samples.size / sr
    if declared_s > 0 and decoded_s < MIN_DECODED_SHARE * declared_s:
        raise VideoError(_truncated_message(p.name, decoded_s, declared_s))
    lead = round((first_s or 0.0) * sr)
    if lead > 0:
        samples = np.concatenate([np.zeros(lead, np.float32), samples])
    elif lead < 0:
        samples = samples[-lead:]
    return np.clip(samples, -1.0, 1.0, out=samples)


# --- decoding ----------------------------------------------------------------------------------


def _decode(p: Path, info: VideoInfo, fps: float, max_side: int | None, start_s: float,
            stop_s: float | None) -> Iterator[tuple[float, np.ndarray]]:
    out_w, out_h = _scaled_size(info.width, info.height, max_side)
    if info.rotation in (90, 270):
        out_w, out_h = out_h, out_w  # swscale works in the stored orientation
    decimate = info.fps > fps * _RATE_SLACK
    early = _SLOT_EARLY * fps / info.fps  # in analysis-slot units
    # A whole-file decode has filled every slot before `start_s` when it gets there.
    next_slot = round(start_s * fps) if start_s > 0 else -math.inf
    first_t: float | None = None
    last_t = start_s
    with _open(p) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        file_start = _file_start_s(container)
        tb = stream.time_base
        try:
            for frame in _decode_from(container, stream, start_s, file_start):
                if frame.pts is None:  # rare (raw streams): continue the clock at the source rate
                    t = last_t + 1.0 / info.fps if first_t is not None else 0.0
                else:
                    t = float(frame.pts * tb) - file_start
                if t < start_s - 1e-6:
                    continue
                if stop_s is not None and t >= stop_s - 1e-6:
                    break
                first_t = t if first_t is None else first_t
                last_t = t
                if decimate:
                    slot = t * fps
                    if slot < next_slot - early:
                        continue
                    next_slot = max(next_slot + 1, math.floor(slot + early) + 1)
                rgb = frame.to_ndarray(width=out_w, height=out_h, format="rgb24", interpolation="AREA")
                yield t, _rotate(rgb, info.rotation)
        except av.FFmpegError as exc:
            raise VideoError(
                f"{p.name}: decoding failed at {last_t:.2f} s of {info.duration_s:.2f} s "
                f"({_reason(exc)}); the file looks damaged or incomplete. Export or download it again."
            ) from exc
    end_s = info.duration_s if stop_s is None else min(stop_s, info.duration_s)
    decoded_s = 0.0 if first_t is None else last_t + 1.0 / info.fps - (first_t if start_s == 0 else start_s)
    if info.duration_s > 0 and decoded_s < MIN_DECODED_SHARE * (end_s - start_s):
        raise VideoError(_truncated_message(p.name, start_s + decoded_s, info.duration_s))


def _decode_from(container: av.container.InputContainer, stream: av.VideoStream, start_s: float,
                 file_start: float) -> Iterator[av.VideoFrame]:
    """Decoded frames from the keyframe at or before `start_s` (file seconds), else from the start."""
    if start_s > 0:
        try:
            container.seek(max(int(math.floor((start_s + file_start) / stream.time_base)), 0), stream=stream,
                           backward=True, any_frame=False)
        except av.FFmpegError:
            pass
        else:
            decoded = container.decode(stream)
            first = next(decoded, None)
            if first is None or first.pts is None or float(first.pts * stream.time_base) - file_start <= start_s:
                if first is not None:
                    yield first
                yield from decoded
                return
        container.seek(0)  # no usable index: decode from the beginning
    yield from container.decode(stream)


def _rotate(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate an (H, W, C) image `rotation` degrees clockwise; always C-contiguous."""
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90 degrees, got {rotation}")
    return np.ascontiguousarray(np.rot90(rgb, k=-(rotation // 90) % 4))


def _display_rotation(frame_rotation: int, rotate_tag: str | None) -> int:
    """Clockwise degrees that make a frame upright, snapped to 0/90/180/270.

    `frame_rotation` is PyAV's ``VideoFrame.rotation``: the display matrix's rotation,
    counter-clockwise, so its negative is clockwise. Without a display matrix, fall back to the
    ``rotate`` tag older FFmpeg versions exported (already clockwise).
    """
    if frame_rotation:
        clockwise = -float(frame_rotation)
    else:
        try:
            clockwise = float(rotate_tag) if rotate_tag else 0.0
        except ValueError:
            clockwise = 0.0
    return int(round(clockwise / 90.0)) % 4 * 90


def _square_pixel_size(width: int, height: int, sar: Fraction | None) -> tuple[int, int]:
    """Stored frame size with non-square pixels stretched to square (widths scale)."""
    if sar is None or sar <= 0 or sar == 1:
        return width, height
    return max(2, round(width * sar)), height


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Size with the long side at most `max_side`, aspect kept, even sides; never upscaled."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))
