"""Open media files with PyAV and check them, turning every failure into a `VideoError` a user
can act on: missing, empty, not a video, no video stream, or truncated (a cut-off MP4 is told
from a file that is no video by walking its top-level boxes).

Private to `engine.io`: `engine.io.video` is the public face. Times are seconds on the file's
clock (see `engine.io.video`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av

from engine.core.errors import VideoError

#: A decoded span shorter than this share of the declared duration means the file is truncated.
MIN_DECODED_SHARE = 0.75
#: ISO-BMFF (MP4/MOV) top-level box types, to tell a cut-off MP4 from a file that is no video.
_MP4_TOP_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pdin", b"moof", b"mfra"}


@contextmanager
def _open(p: Path) -> Iterator[av.container.InputContainer]:
    """Open a media file, turning every failure into a `VideoError` that names the file."""
    if not p.is_file():
        raise VideoError(f"{p.name} does not exist or is not a file. Check the path.")
    size = p.stat().st_size
    if size == 0:
        raise VideoError(f"{p.name} is empty (0 bytes). Record or export the video again.")
    try:
        container = av.open(str(p), mode="r")
    except av.FFmpegError as exc:
        if _mp4_looks_cut_off(p, size):
            raise VideoError(
                f"{p.name} looks truncated or incomplete: it starts like an MP4 but its index "
                "(moov atom) is missing, as after an interrupted download or recording. "
                "Download or export it again."
            ) from exc
        raise VideoError(
            f"{p.name} is not a video file PyAV/FFmpeg can read ({_reason(exc)}). "
            "Use an MP4, MOV, MKV or WebM video."
        ) from exc
    try:
        yield container
    finally:
        container.close()


def _video_stream(container: av.container.InputContainer, p: Path) -> av.VideoStream:
    if not container.streams.video:
        kind = " (audio only?)" if container.streams.audio else ""
        raise VideoError(f"{p.name} has no video stream{kind}. Choose a video file.")
    return container.streams.video[0]


def _stream_fps(stream: av.VideoStream, p: Path) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    raise VideoError(f"{p.name}: its video stream declares no frame rate. Re-encode it (e.g. to MP4).")


def _stream_duration_s(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    """Stream duration in seconds; the container's when the stream has none; 0 if unknown."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base - _file_start_s(container)
    return 0.0


def _file_start_s(container: av.container.InputContainer) -> float:
    """The container's start time (earliest stream start), seconds; 0 when unknown."""
    return container.start_time / av.time_base if container.start_time is not None else 0.0


def _first_frame(container: av.container.InputContainer, stream: av.VideoStream, p: Path) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise VideoError(
            f"{p.name}: its first video frame could not be decoded ({_reason(exc)}); "
            "the file looks damaged or incomplete."
        ) from exc
    raise VideoError(
        f"{p.name} has a video stream but no decodable frames; it looks truncated or incomplete."
    )


def _check_index_complete(stream: av.stream.Stream, p: Path, duration_s: float) -> None:
    """Raise if the container's sample index points past the end of the file for too long a span.

    MP4s whose index (moov) is written first open fine when cut off; their index then names
    byte ranges beyond the end of the file. Less than `MIN_DECODED_SHARE` present is refused.
    """
    entries = stream.index_entries
    size = p.stat().st_size
    n = len(entries)
    if n == 0 or duration_s <= 0 or entries[n - 1].pos + entries[n - 1].size <= size:
        return
    # Entries are in file order within a stream: binary search the last one fully present.
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if entries[mid].pos + entries[mid].size <= size:
            lo = mid + 1
        else:
            hi = mid
    start = stream.start_time or 0
    present_s = float((entries[lo - 1].timestamp - start) * stream.time_base) if lo else 0.0
    if present_s < MIN_DECODED_SHARE * duration_s:
        raise VideoError(_truncated_message(p.name, max(present_s, 0.0), duration_s))


def _mp4_looks_cut_off(p: Path, size: int) -> bool:
    """Whether the file starts like an MP4 but its boxes run past the end or it has no moov."""
    has_moov = False
    pos = 0
    with p.open("rb") as fh:
        while pos + 8 <= size:
            fh.seek(pos)
            head = fh.read(16)
            box_size, box_type = struct.unpack(">I4s", head[:8])
            if pos == 0 and box_type not in _MP4_TOP_BOXES:
                return False
            if box_size == 1 and len(head) == 16:
                box_size = struct.unpack(">Q", head[8:16])[0]
            elif box_size == 0:  # box runs to the end of the file
                box_size = size - pos
            if box_size < 8:
                return True  # garbage where a box header should be
            has_moov |= box_type == b"moov"
            pos += box_size
    return pos > size or not has_moov


def _truncated_message(name: str, decoded_s: float, declared_s: float) -> str:
    return (
        f"{name} looks truncated or incomplete: only {decoded_s:.1f} s of its declared "
        f"{declared_s:.1f} s can be decoded. Download or export it again."
    )


def _reason(exc: av.FFmpegError) -> str:
    return exc.strerror or str(exc)
