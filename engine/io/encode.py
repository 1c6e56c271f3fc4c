"""Write RGB frames (and optional mono audio) to a browser-playable H.264 MP4 with PyAV.

Used for the demo clips and for the side-by-side annotated comparison video. The profile is
the one every browser plays: H.264 in yuv420p with even dimensions, AAC audio, and the `moov`
index at the front of the file (`+faststart`) so playback can start before the download ends.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.core.errors import EngineError

#: H.264 encoders in order of preference; libx264 ships in the PyPI av wheels.
H264_ENCODERS: tuple[str, ...] = ("libx264", "libopenh264", "h264")
#: The only chroma layout browsers decode reliably for H.264 (High profile, 8 bit, 4:2:0).
PIX_FMT = "yuv420p"
#: AAC encodes in frames of this many samples; feeding exactly that avoids an internal FIFO.
AAC_FRAME_SAMPLES = 1024
AUDIO_BIT_RATE = 128_000            # bits/s, plenty for mono
#: The stream time base is 1/fps as a fraction; a float fps of 30000/1001 maps back to it exactly.
MAX_RATE_DENOMINATOR = 1001


def write_mp4(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    audio: np.ndarray | None = None,
    sr: int = 44100,
    crf: int = 23,
    preset: str = "veryfast",
) -> None:
    """Encode frames (and optional mono audio) to an H.264/AAC MP4, atomically.

    Frames are consumed one at a time, so a generator of any length streams through in constant
    memory. The file is written to a temporary name in the destination folder and renamed over
    `path` only once complete: a reader never sees a half-written file, and a failure leaves any
    previous file at `path` untouched.

    Parameters
    ----------
    path : path-like
        Output file; its folder must exist.
    frames : iterable of (H, W, 3) uint8 arrays
        RGB frames, all the same size. Odd sizes are padded by one edge-replicated pixel on the
        right/bottom, because yuv420p needs even dimensions.
    fps : float
        Frame rate, frames/s (> 0); fractional rates (30000/1001) are kept as exact fractions.
    audio : (S,) or (S, 1) float array, optional
        Mono samples in [-1, 1] (values outside are clipped), starting at the first frame's
        time. Encoded as AAC; it may be shorter or longer than the video.
    sr : int
        Audio sample rate, Hz.
    crf : int
        libx264 constant rate factor (0 best .. 51 worst; 18-28 is the useful range).
    preset : str
        libx264 speed/size trade-off ("ultrafast" .. "veryslow").

    Raises
    ------
    ValueError
        No frames, a frame of the wrong shape/dtype or size, bad fps/sr/audio.
    EngineError
        This PyAV build has no H.264 encoder.
    """
    if not fps > 0:
        raise ValueError(f"write_mp4: fps must be > 0, got {fps}")
    samples = _check_audio(audio, sr)
    codec = _h264_encoder()
    path = Path(path)
    # A unique hidden name beside the target (same file system, so os.replace is atomic). Not
    # mkstemp: its 0600 mode would stick to the finished file instead of the usual umask.
    tmp_name = str(path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part"))
    try:
        _encode(tmp_name, iter(frames), fps, codec, samples, sr, crf, preset)
        os.replace(tmp_name, path)
    except BaseException:
        # Why BaseException: an interrupted encode (Ctrl-C) must not leave a stray temp file.
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _encode(
    tmp_name: str,
    frames: Iterator[np.ndarray],
    fps: float,
    codec: str,
    samples: np.ndarray | None,
    sr: int,
    crf: int,
    preset: str,
) -> None:
    first = next(frames, None)
    if first is None:
        raise ValueError("write_mp4: no frames to write")
    _check_frame(first, 0, None)
    height, width = first.shape[:2]
    rate = Fraction(fps).limit_denominator(MAX_RATE_DENOMINATOR)

    # `format` is explicit because the temporary name does not end in .mp4.
    with av.open(tmp_name, mode="w", format="mp4", container_options={"movflags": "+faststart"}) as out:
        vstream = out.add_stream(codec, rate=rate)
        vstream.width = width + width % 2
        vstream.height = height + height % 2
        vstream.pix_fmt = PIX_FMT
        if codec == "libx264":
            vstream.options = {"crf": str(crf), "preset": preset}
        astream = None
        if samples is not None:
            astream = out.add_stream("aac", rate=sr, layout="mono")
            astream.bit_rate = AUDIO_BIT_RATE
        audio_pos = 0  # next audio sample to encode

        def mux_audio_until(pos: int, n_samples: int) -> int:
            while astream is not None and pos < min(n_samples, len(samples)):
                chunk = samples[pos:pos + AAC_FRAME_SAMPLES]
                aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                aframe.sample_rate = sr
                aframe.pts = pos
                aframe.time_base = Fraction(1, sr)
                out.mux(astream.encode(aframe))
                pos += len(chunk)
            return pos

        index = 0
        frame = first
        while frame is not None:
            _check_frame(frame, index, (height, width))
            vframe = av.VideoFrame.from_ndarray(_pad_even(frame), format="rgb24")
            vframe.pts = index
            vframe.time_base = 1 / rate
            out.mux(vstream.encode(vframe))
            index += 1
            # Interleave: audio up to the end of this frame, so the muxer never buffers much.
            audio_pos = mux_audio_until(audio_pos, math.ceil(index / rate * sr))
            frame = next(frames, None)
        out.mux(vstream.encode(None))
        if astream is not None:
            mux_audio_until(audio_pos, len(samples))
            out.mux(astream.encode(None))


def _h264_encoder() -> str:
    for name in H264_ENCODERS:
        if name in av.codecs_available:
            try:
                if av.Codec(name, "w").type == "video":
                    return name
            except av.FFmpegError:  # listed but decode-only in this build
                continue
    raise EngineError(
        "this PyAV build has no H.264 encoder; install the 'av' wheel from PyPI, which bundles libx264"
    )


def _check_frame(frame: np.ndarray, index: int, size: tuple[int, int] | None) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        got = f"{frame.shape} {frame.dtype}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise ValueError(f"write_mp4: frame {index} must be (H, W, 3) uint8 RGB, got {got}")
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise ValueError(f"write_mp4: frame {index} is too small: {frame.shape[:2]}")
    if size is not None and frame.shape[:2] != size:
        raise ValueError(f"write_mp4: frame {index} is {frame.shape[:2]}, but the first frame was {size}")


def _pad_even(frame: np.ndarray) -> np.ndarray:
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if not (pad_h or pad_w):
        return np.ascontiguousarray(frame)
    return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")


def _check_audio(audio: np.ndarray | None, sr: int) -> np.ndarray | None:
    if audio is None:
        return None
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"write_mp4: sr must be a positive integer, got {sr!r}")
    arr = np.asarray(audio)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"write_mp4: audio must be mono (S,) or (S, 1) with S > 0, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"write_mp4: audio must be float in [-1, 1], got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("write_mp4: audio contains NaN or infinite samples")
    # A copy: clipping must not modify the caller's array.
    return np.clip(arr, -1.0, 1.0).astype(np.float32)
