"""Write RGB frames (and optional mono audio) to a browser-playable H.264 MP4 with PyAV.

Used for the demo clips, the side-by-side annotated comparison video (`write_mp4`) and the
live practice recording (`Mp4Writer` with real timestamps). The profile is
the one every browser plays: H.264 in yuv420p with even dimensions, AAC audio, and the `moov`
index at the front of the file (`+faststart`) so playback can start before the download ends.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.core.errors import EngineError
from engine.core.files import temp_sibling

#: H.264 encoders in order of preference; libx264 ships in the PyPI av wheels.
H264_ENCODERS: tuple[str, ...] = ("libx264", "libopenh264", "h264")
#: The only chroma layout browsers decode reliably for H.264 (High profile, 8 bit, 4:2:0).
PIX_FMT = "yuv420p"
#: AAC encodes in frames of this many samples; feeding exactly that avoids an internal FIFO.
AAC_FRAME_SAMPLES = 1024
AUDIO_BIT_RATE = 128_000            # bits/s, plenty for mono
#: The stream time base is 1/fps as a fraction; a float fps of 30000/1001 maps back to it exactly.
MAX_RATE_DENOMINATOR = 1001
#: Time base of variable-rate (timestamped) streams: milliseconds.
MS = Fraction(1, 1000)


class Mp4Writer:
    """Streaming H.264 (+ optional AAC) MP4 writer: open on a path, `write` frames, `close`.

    The file is written to a hidden temporary sibling (`engine.core.files.temp_sibling`) and
    renamed over `path` by `commit` only once complete, so a reader never sees a half-written
    file and a failure leaves any previous file at `path` untouched. As a context manager it
    closes and commits on success and aborts (deletes the temporary file) on any exception.
    The container is opened on the first frame, whose size fixes the stream's.

    Parameters
    ----------
    path : path-like
        Output file; its folder must exist.
    fps : float
        Frame rate, frames/s (> 0); fractional rates (30000/1001) are kept as exact fractions.
        With `timestamps`, the nominal rate only (it sets the last frame's duration).
    audio : (S,) or (S, 1) float array, optional
        Mono samples in [-1, 1] (values outside are clipped), starting at the first frame's
        time, interleaved with the video as it is written. Encoded as AAC.
    sr : int
        Audio sample rate, Hz.
    crf, preset : libx264 constant rate factor (0 best .. 51 worst) and speed/size trade-off.
    timestamps : bool
        Variable frame rate: every `write` gives the frame's time (seconds), kept to the
        millisecond, and the encoder emits no B-frames (tune zerolatency) so the timestamps give
        the right duration. Otherwise frame k is at k / fps.
    faststart : bool
        Put the `moov` index at the front (browsers can play before the download ends).

    Raises
    ------
    ValueError
        Bad fps/sr/audio; from `write`: a frame of the wrong shape/dtype or size.
    EngineError
        This PyAV build has no H.264 encoder.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, *, audio: np.ndarray | None = None,
                 sr: int = 44100, crf: int = 23, preset: str = "veryfast", timestamps: bool = False,
                 faststart: bool = True) -> None:
        if not fps > 0:
            raise ValueError(f"write_mp4: fps must be > 0, got {fps}")
        self._samples = _check_audio(audio, sr)
        self._codec = _h264_encoder()
        self.path = Path(path)
        # Not mkstemp: its 0600 mode would stick to the finished file instead of the usual umask.
        self.tmp = temp_sibling(self.path)
        self._rate = Fraction(fps).limit_denominator(MAX_RATE_DENOMINATOR)
        self._sr, self._crf, self._preset = sr, crf, preset
        self._timestamps, self._faststart = timestamps, faststart
        self._out = self._vstream = self._astream = None
        self._size: tuple[int, int] | None = None
        self._audio_pos = 0                 # next audio sample to encode
        self._last_pts = -1
        self._closed = False
        self.n_frames = 0

    def _open(self, height: int, width: int) -> None:
        options = {"movflags": "+faststart"} if self._faststart else {}
        # `format` is explicit because the temporary name does not end in .mp4.
        self._out = av.open(str(self.tmp), mode="w", format="mp4", container_options=options)
        vstream = self._out.add_stream(self._codec, rate=self._rate)
        vstream.width = width + width % 2
        vstream.height = height + height % 2
        vstream.pix_fmt = PIX_FMT
        if self._codec == "libx264":
            vstream.options = {"crf": str(self._crf), "preset": self._preset,
                               **({"tune": "zerolatency"} if self._timestamps else {})}
        if self._timestamps:
            vstream.codec_context.time_base = MS
        self._vstream = vstream
        if self._samples is not None:
            self._astream = self._out.add_stream("aac", rate=self._sr, layout="mono")
            self._astream.bit_rate = AUDIO_BIT_RATE

    def write(self, frame: np.ndarray, t: float | None = None) -> None:
        """Encode one (H, W, 3) uint8 RGB frame; all frames the first one's size. Odd sizes are
        padded by one edge-replicated pixel on the right/bottom (yuv420p needs even sides).
        `t`: the frame's time, seconds (required with `timestamps`, ignored otherwise)."""
        if self._closed:
            raise ValueError(f"write_mp4: {self.path.name} is already closed")
        _check_frame(frame, self.n_frames, self._size)
        if self._out is None:
            self._size = frame.shape[:2]
            self._open(*self._size)
        vframe = av.VideoFrame.from_ndarray(_pad_even(frame), format="rgb24")
        if self._timestamps:
            vframe.pts = self._last_pts = max(int(round(t * 1000)), self._last_pts + 1)
            vframe.time_base = MS
        else:
            vframe.pts = self.n_frames
            vframe.time_base = 1 / self._rate
        self._out.mux(self._vstream.encode(vframe))
        self.n_frames += 1
        # Interleave: audio up to the end of this frame, so the muxer never buffers much.
        end = Fraction(self._last_pts + 1, 1000) if self._timestamps else self.n_frames / self._rate
        self._mux_audio_until(math.ceil(end * self._sr))

    def _mux_audio_until(self, n_samples: int) -> None:
        samples, pos = self._samples, self._audio_pos
        while self._astream is not None and pos < min(n_samples, len(samples)):
            chunk = samples[pos:pos + AAC_FRAME_SAMPLES]
            aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            aframe.sample_rate = self._sr
            aframe.pts = pos
            aframe.time_base = Fraction(1, self._sr)
            self._out.mux(self._astream.encode(aframe))
            pos += len(chunk)
        self._audio_pos = pos

    def close(self) -> None:
        """Flush the encoders and finish the file (still under its temporary name; see
        `commit`). Raises ValueError when no frame was written."""
        if self._out is None:
            raise ValueError("write_mp4: no frames to write")
        self._closed = True
        try:
            self._out.mux(self._vstream.encode(None))
            if self._astream is not None:
                self._mux_audio_until(len(self._samples))
                self._out.mux(self._astream.encode(None))
        finally:
            out, self._out = self._out, None
            out.close()

    def commit(self) -> Path:
        """Rename the finished file over `path` (atomic: same folder); returns `path`."""
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the file: close the container unflushed (errors ignored) and delete the
        temporary file. Idempotent; `path` is left as it was."""
        out, self._out = self._out, None
        self._closed = True
        if out is not None:
            try:
                out.close()
            except (av.FFmpegError, OSError):
                pass    # the file is being thrown away; the error that led here is what counts
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Any exception (BaseException too: an interrupted encode, Ctrl-C) leaves no temp file.
        if exc_type is not None:
            self.abort()
            return
        try:
            self.close()
            self.commit()
        except BaseException:
            self.abort()
            raise


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
    """Encode frames (and optional mono audio) to an H.264/AAC MP4, atomically (`Mp4Writer`).

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
    with Mp4Writer(path, fps, audio=audio, sr=sr, crf=crf, preset=preset) as writer:
        for frame in frames:
            writer.write(frame)


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
