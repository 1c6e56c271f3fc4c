"""Tests for engine/video.py: probing, decoding, rotation, timestamps, audio, bad files.

Synthetic clips are written with PyAV into tmp_path; the real-footage tests read
../shared/data/videos and check it against its SOURCES.md.
"""

from __future__ import annotations

import math
import re
import struct
import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.core.errors import VideoError
from engine.io.video import (
    VideoInfo,
    _display_rotation,
    _rotate,
    audio,
    display_frames,
    display_size,
    expected_frame_count,
    frames,
    output_size,
    probe,
)
from tests.conftest import SHARED_VIDEOS, footage, needs_footage

# --- synthetic clips -----------------------------------------------------------------------------

BLOCK = 255  # the white block marks the stored frame's top-left corner


def _pattern(w: int, h: int, i: int, rng: np.random.Generator | None) -> np.ndarray:
    """(h, w, 3) uint8: black, a white block in the top-left (top third, left quarter)."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 3, : w // 4] = BLOCK
    if rng is not None:  # busy bottom half so every frame costs bytes (for truncation tests)
        img[h // 2 :] = rng.integers(0, 256, (h - h // 2, w, 3), dtype=np.uint8)
    return img


def write_clip(
    path: Path,
    *,
    n: int = 30,
    fps: int = 30,
    size: tuple[int, int] = (64, 48),
    pts_ms: list[int] | None = None,
    rotation_ccw: float | None = None,
    audio_start_s: float | None = None,
    audio_only: bool = False,
    noise: bool = False,
    sar: Fraction | None = None,
    fmt: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Write a small H.264 (+ AAC) clip.

    pts_ms gives explicit frame times in milliseconds (VFR); rotation_ccw writes a display matrix
    (PyAV's counter-clockwise convention); audio_start_s adds a 440 Hz mono tone starting then;
    sar sets a non-square pixel aspect ratio.
    """
    w, h = size
    rng = np.random.default_rng(0) if noise else None
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        # Every stream must exist before the first packet is muxed (the header is written then).
        vs = None if audio_only else out.add_stream("libx264", rate=fps)
        aus = out.add_stream("aac", rate=16000) if audio_start_s is not None or audio_only else None
        if aus is not None:
            aus.layout = "mono"
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            if pts_ms is not None:
                vs.time_base = vs.codec_context.time_base = Fraction(1, 1000)
            if rotation_ccw is not None:
                vs.set_display_rotation(rotation_ccw)
            if sar is not None:
                vs.codec_context.sample_aspect_ratio = sar
            for i in range(n):
                frame = av.VideoFrame.from_ndarray(_pattern(w, h, i, rng), format="rgb24")
                if pts_ms is not None:
                    frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
                out.mux(vs.encode(frame))
            out.mux(vs.encode(None))
        if aus is not None:
            sr, start = 16000, round((audio_start_s or 0.0) * 16000)
            tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(round(n / fps * sr)) / sr)).astype(np.float32)
            for j in range(0, tone.size - 1024 + 1, 1024):
                frame = av.AudioFrame.from_ndarray(tone[None, j : j + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = sr, start + j, Fraction(1, sr)
                out.mux(aus.encode(frame))
            out.mux(aus.encode(None))
    return path


def half_copy(src: Path, dst: Path) -> Path:
    """The first half of a file's bytes, as an interrupted download leaves it."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def tkhd_clockwise_deg(path: Path) -> int:
    """Clockwise display rotation read straight from the MP4 track header (tkhd) matrix.

    Independent of FFmpeg's sign conventions: the matrix maps the x unit vector to (a, b) in
    screen coordinates (y down), so atan2(b, a) is the clockwise angle.
    """
    data = path.read_bytes()
    at = data.index(b"tkhd") + 4
    version = data[at]
    matrix_at = at + 4 + (32 if version == 1 else 20) + 16
    a, b = struct.unpack(">ii", data[matrix_at : matrix_at + 8])
    return round(math.degrees(math.atan2(b, a))) % 360


def block_corner(rgb: np.ndarray) -> str:
    """Which corner of an (H, W, 3) frame holds the white block."""
    h, w = rgb.shape[:2]
    quads = {
        "top_left": rgb[: h // 2, : w // 2],
        "top_right": rgb[: h // 2, w // 2 :],
        "bottom_left": rgb[h // 2 :, : w // 2],
        "bottom_right": rgb[h // 2 :, w // 2 :],
    }
    return max(quads, key=lambda k: float(quads[k].mean()))


# --- rotation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written_ccw", "rotation", "corner"),
    [
        (None, 0, "top_left"),
        (-90, 90, "top_right"),     # a phone filmed upright, stored landscape ("rotate=90")
        (90, 270, "bottom_left"),
        (180, 180, "bottom_right"),
    ],
)
def test_display_matrix_rotation_makes_frames_upright(tmp_path, written_ccw, rotation, corner):
    path = write_clip(tmp_path / "rot.mp4", n=3, size=(64, 48), rotation_ccw=written_ccw)
    if written_ccw is not None:  # the file itself says so, read without FFmpeg
        assert tkhd_clockwise_deg(path) == rotation
    info = probe(path)
    assert info.rotation == rotation
    upright = (48, 64) if rotation in (90, 270) else (64, 48)
    assert (info.width, info.height) == upright
    _, rgb = next(frames(path))
    assert rgb.shape == (upright[1], upright[0], 3)
    assert rgb.flags.c_contiguous and rgb.dtype == np.uint8
    assert block_corner(rgb) == corner


@pytest.mark.parametrize(
    ("frame_rotation", "rotate_tag", "expected"),
    [
        (0, None, 0),
        (-90, None, 90),      # display matrix, counter-clockwise -90 = clockwise 90
        (90, None, 270),
        (180, None, 180),
        (-180, None, 180),
        (-89, None, 90),      # snapped to a quarter turn
        (0, "90", 90),        # legacy "rotate" tag, already clockwise
        (0, "270", 270),
        (0, "-90", 270),
        (0, "abc", 0),
        (90, "90", 270),      # the display matrix wins over the tag
    ],
)
def test_display_rotation_convention(frame_rotation, rotate_tag, expected):
    # FFmpeg 8's MP4 muxer no longer writes the legacy "rotate" tag, so that path is unit-tested.
    assert _display_rotation(frame_rotation, rotate_tag) == expected


def test_rotate_helper_turns_clockwise():
    img = np.arange(6).reshape(2, 3, 1)   # [[0 1 2], [3 4 5]]
    assert _rotate(img, 90)[..., 0].tolist() == [[3, 0], [4, 1], [5, 2]]
    assert _rotate(img, 180)[..., 0].tolist() == [[5, 4, 3], [2, 1, 0]]
    assert _rotate(img, 270)[..., 0].tolist() == [[2, 5], [1, 4], [0, 3]]
    assert _rotate(img, 90).flags.c_contiguous
    with pytest.raises(ValueError, match="multiple of 90"):
        _rotate(img, 45)


# --- timestamps and decimation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src_fps", "n", "target", "n_out", "dt"),
    [
        (60, 60, 30.0, 30, 1 / 30),   # decimated by timestamp
        (60, 60, 20.0, 20, 1 / 20),
        (30, 30, 30.0, 30, 1 / 30),   # at the rate: every frame
        (25, 25, 30.0, 25, 0.04),     # slower: every frame, its own spacing
        (50, 50, 30.0, 30, None),     # 50 -> 30 keeps 3 of every 5 (uneven spacing)
    ],
)
def test_frame_rate_conversion(tmp_path, src_fps, n, target, n_out, dt):
    path = write_clip(tmp_path / f"c{src_fps}.mp4", n=n, fps=src_fps, size=(32, 32))
    t = np.array([t for t, _ in frames(path, fps=target)])
    assert len(t) == n_out
    assert expected_frame_count(probe(path), target) == n_out
    assert t[0] == 0.0
    if dt is not None:
        np.testing.assert_allclose(np.diff(t), dt, atol=1e-6)
    else:
        assert np.all(np.diff(t) > 0) and t[-1] < n / src_fps


def test_millisecond_timestamps_decimate_evenly(tmp_path):
    # 60 fps with pts rounded to ms (0, 17, 33, 50, ...), as MKV/WebM store them.
    pts = [round(k * 1000 / 60) for k in range(120)]
    path = write_clip(tmp_path / "ms60.mp4", n=120, size=(32, 32), pts_ms=pts)
    t = np.array([t for t, _ in frames(path, fps=30.0)])
    assert len(t) == 60
    np.testing.assert_allclose(t, np.array(pts[::2]) / 1000, atol=1e-9)  # container times
    assert np.abs(np.diff(t) - 1 / 30).max() <= 0.001 + 1e-9


def test_variable_frame_rate_keeps_container_timestamps(tmp_path):
    pts = [0, 40, 50, 120, 200, 210, 300, 310, 400, 460]   # irregular, about 22 fps on average
    path = write_clip(tmp_path / "vfr.mp4", n=len(pts), size=(32, 32), pts_ms=pts)
    t = [t for t, _ in frames(path, fps=30.0)]
    np.testing.assert_allclose(t, np.array(pts) / 1000, atol=1e-9)
    index_times = np.arange(len(pts)) / probe(path).fps
    assert not np.allclose(t, index_times, atol=0.01)


# --- scaling -------------------------------------------------------------------------------------


def _info(width: int, height: int, rotation: int = 0) -> VideoInfo:
    return VideoInfo("x.mp4", width, height, rotation, 30.0, 1.0, 30, "h264", False, None)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((1920, 1080), 480, (480, 270)),
        ((576, 1280), 480, (216, 480)),    # portrait stays portrait
        ((720, 1280), 480, (270, 480)),
        ((528, 360), 480, (480, 328)),     # 327.3 rounded to even
        ((320, 240), 480, (320, 240)),     # never upscaled
        ((1920, 1080), None, (1920, 1080)),
    ],
)
def test_output_size(size, max_side, expected):
    assert output_size(_info(*size), max_side) == expected


@pytest.mark.parametrize(("rotation_ccw", "expected_shape"), [(None, (36, 64, 3)), (-90, (64, 36, 3))])
def test_max_side_keeps_aspect_ratio(tmp_path, rotation_ccw, expected_shape):
    path = write_clip(tmp_path / "wide.mp4", n=2, size=(160, 90), rotation_ccw=rotation_ccw)
    _, rgb = next(frames(path, max_side=64))
    assert rgb.shape == expected_shape
    _, full = next(frames(path))
    assert full.shape[:2] == ((90, 160) if rotation_ccw is None else (160, 90))
    assert block_corner(rgb) == block_corner(full)


def test_non_square_pixels_are_made_square(tmp_path):
    # 64x48 stored with pixels twice as wide as tall displays as 128x48.
    path = write_clip(tmp_path / "anamorphic.mp4", n=2, size=(64, 48), sar=Fraction(2, 1))
    info = probe(path)
    assert (info.width, info.height) == (128, 48)
    assert next(frames(path))[1].shape == (48, 128, 3)
    assert next(frames(path, max_side=64))[1].shape == (24, 64, 3)


def test_bad_arguments(tmp_path):
    path = write_clip(tmp_path / "a.mp4", n=2)
    with pytest.raises(ValueError, match="fps"):
        frames(path, fps=0)
    with pytest.raises(ValueError, match="max_side"):
        frames(path, max_side=1)
    with pytest.raises(ValueError, match="sr"):
        audio(path, sr=0)


def test_frames_stream_without_holding_frames(tmp_path):
    # 300 frames of 160x120 RGB are 17 MB; a streaming decoder never holds more than a few.
    path = write_clip(tmp_path / "long.mp4", n=300, size=(160, 120))
    tracemalloc.start()
    try:
        count = sum(1 for _ in frames(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300
    assert peak < 4e6


# --- audio ---------------------------------------------------------------------------------------


def test_audio_starts_on_the_file_clock(tmp_path):
    path = write_clip(tmp_path / "late_audio.mp4", n=60, fps=30, audio_start_s=0.5)
    info = probe(path)
    assert info.has_audio and info.audio_rate == 16000
    y = audio(path, sr=8000)
    assert y.dtype == np.float32 and y.ndim == 1
    onset = np.argmax(np.abs(y) > 0.05) / 8000
    assert onset == pytest.approx(0.5, abs=0.005)
    assert np.abs(y[: int(0.45 * 8000)]).max() < 0.01
    assert len(y) / 8000 == pytest.approx(0.5 + 2.0, abs=0.1)
    assert np.abs(y).max() <= 1.0


def test_audio_none_without_audio_stream(tmp_path):
    path = write_clip(tmp_path / "silent.mp4", n=5)
    assert probe(path).has_audio is False
    assert audio(path) is None


def test_audio_of_audio_only_file(tmp_path):
    path = write_clip(tmp_path / "song.m4a", n=60, fps=30, audio_only=True)
    y = audio(path)
    assert len(y) / 16000 == pytest.approx(2.0, abs=0.1)


# --- bad inputs ----------------------------------------------------------------------------------


def _text(tmp: Path) -> Path:
    path = tmp / "notes.mp4"
    path.write_text("These are my dance notes, not a video.\n" * 40)
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.mp4"
    path.write_bytes(b"")
    return path


def _audio_only(tmp: Path) -> Path:
    return write_clip(tmp / "music.mp4", n=30, audio_only=True)


def _half_mp4_index_last(tmp: Path) -> Path:   # moov after mdat: cannot even be opened
    return half_copy(write_clip(tmp / "full.mp4", n=60, size=(64, 64), noise=True), tmp / "cut.mp4")


def _half_mp4_index_first(tmp: Path) -> Path:  # moov first: opens, index points past the end
    src = write_clip(tmp / "full.mp4", n=60, size=(64, 64), noise=True, options={"movflags": "faststart"})
    return half_copy(src, tmp / "cut.mp4")


def _half_mkv(tmp: Path) -> Path:              # no sample index: fails only while decoding
    src = write_clip(tmp / "full.mkv", n=60, size=(64, 64), noise=True, fmt="matroska")
    return half_copy(src, tmp / "cut.mkv")


def _missing(tmp: Path) -> Path:
    return tmp / "never_recorded.mp4"


BAD_FILES = [
    (_text, "not a video file PyAV/FFmpeg can read"),
    (_empty, r"is empty \(0 bytes\)"),
    (_missing, "does not exist"),
    (_audio_only, r"has no video stream \(audio only\?\)"),
    (_half_mp4_index_last, "truncated or incomplete"),
    (_half_mp4_index_first, "truncated or incomplete"),
    (_half_mkv, "truncated or incomplete"),
]


@pytest.mark.parametrize(("make", "match"), BAD_FILES, ids=[m.__name__.strip("_") for m, _ in BAD_FILES])
def test_bad_files_raise_video_error(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(VideoError, match=match) as exc:
        list(frames(path, max_side=64))
    assert path.name in str(exc.value) and str(tmp_path) not in str(exc.value)
    if make is not _half_mkv:  # the cut MKV opens and probes fine; only decoding finds the gap
        with pytest.raises(VideoError, match=match):
            probe(path)


def test_truncated_mkv_fails_during_iteration(tmp_path):
    it = frames(_half_mkv(tmp_path))
    t, _ = next(it)  # the first half decodes
    assert t == 0.0
    with pytest.raises(VideoError, match=r"only \d+\.\d s of its declared 2\.0 s"):
        list(it)


@pytest.mark.parametrize("make", [_text, _empty, _missing])
def test_audio_of_bad_files_raises_video_error(tmp_path, make):
    with pytest.raises(VideoError):
        audio(make(tmp_path))


def test_bad_file_raises_when_frames_is_called(tmp_path):
    with pytest.raises(VideoError, match="not a video file"):
        frames(_text(tmp_path))  # before any iteration


# --- real footage --------------------------------------------------------------------------------

CODECS = {"HEVC": "hevc", "H.264": "h264", "MPEG-4 Part 2": "mpeg4"}
ROW = re.compile(
    r"^\| `(?P<file>[^`]+\.mp4)` \| [^|]+ \| (?P<dur>[\d.]+) s, (?P<fps>[\d.]+) fps[^,]*, "
    r"(?P<w>\d+)x(?P<h>\d+), (?P<codec>[^|]+?) \| (?P<audio>yes|no)[^|]* \|",
    re.MULTILINE,
)
# SOURCES.md lists the container duration rounded to 0.01 s, which may include an audio tail up
# to two frames past the last video frame. Two rows are off by more; these values were measured
# (PyAV and OpenCV agree on the frame counts): (video stream seconds, audio seconds).
DURATION_ERRATA = {
    "multi/fitness_class_group_15s.mp4": (15.03, 15.05),  # listed 15.21 s; 451 frames at 30 fps
    "solo/tsinghua_stage_solo_52s.mp4": (51.30, 51.59),   # listed 51.62 s; 1539 frames at 30 fps
}


def _sources() -> dict[str, dict]:
    if not (SHARED_VIDEOS / "SOURCES.md").is_file():
        return {}
    text = (SHARED_VIDEOS / "SOURCES.md").read_text(encoding="utf-8")
    rows = {}
    for m in ROW.finditer(text):
        listed = float(m["dur"])
        video_s, audio_s = DURATION_ERRATA.get(m["file"], (listed, listed))
        rows[m["file"]] = dict(
            video_s=video_s, audio_s=audio_s, fps=float(m["fps"]), size=(int(m["w"]), int(m["h"])),
            codec=CODECS[m["codec"]], has_audio=m["audio"] == "yes",
        )
    return rows


SOURCES = _sources()
CLIPS = sorted(p.relative_to(SHARED_VIDEOS).as_posix() for p in SHARED_VIDEOS.glob("**/*.mp4"))


def _listed(clip: str) -> dict:
    if clip not in SOURCES:
        pytest.skip(f"{clip} is not described in SOURCES.md")
    return SOURCES[clip]


@needs_footage
def test_sources_table_parsed():
    # Every clip in the folder has a parsed row (the table grows as footage is added).
    assert len(SOURCES) >= 15 and set(CLIPS) <= set(SOURCES)


@needs_footage
@pytest.mark.parametrize("clip", CLIPS)
def test_probe_matches_sources(clip):
    want = _listed(clip)
    info = probe(footage(clip))
    assert info.fps == pytest.approx(want["fps"], abs=0.005)
    assert info.duration_s == pytest.approx(want["video_s"], abs=2 / want["fps"] + 0.005)
    assert (info.width, info.height) == want["size"]
    assert info.codec == want["codec"]
    assert info.has_audio == want["has_audio"]
    assert info.n_frames == pytest.approx(info.duration_s * info.fps, abs=1)


@needs_footage
@pytest.mark.parametrize("clip", CLIPS)
def test_frames_of_real_footage(clip):
    want = _listed(clip)
    info = probe(footage(clip))
    rate = min(want["fps"], 30.0)
    t, shapes = [], set()
    for ti, rgb in frames(footage(clip), fps=30.0, max_side=480):
        t.append(ti)
        shapes.add(rgb.shape)
    assert shapes == {output_size(info, 480)[::-1] + (3,)}
    (h, w, _), = shapes
    assert max(h, w) == 480 or max(want["size"]) <= 480
    assert (h > w) == (want["size"][1] > want["size"][0])   # portrait clips come out portrait
    assert len(t) == pytest.approx(want["video_s"] * rate, abs=2)
    assert len(t) == pytest.approx(expected_frame_count(info, 30.0), abs=1)
    assert 0.0 <= t[0] < 1 / rate
    np.testing.assert_allclose(np.diff(t), 1 / rate, atol=1e-3)  # all clips here are constant-rate


@needs_footage
@pytest.mark.parametrize("clip", CLIPS)
def test_audio_of_real_footage(clip):
    want = _listed(clip)
    y = audio(footage(clip), sr=16000)
    if not want["has_audio"]:
        assert y is None
        return
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) / 16000 == pytest.approx(want["audio_s"], abs=0.1)
    assert 0.01 < np.abs(y).max() <= 1.0


@needs_footage
@pytest.mark.parametrize(
    "clip",
    [
        "pairs/callme404_teacher_douyin.mp4",          # moov first: index runs past the cut
        "aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4",  # moov last: cannot be opened
    ],
)
def test_truncated_real_footage(tmp_path, clip):
    cut = half_copy(footage(clip), tmp_path / Path(clip).name)
    with pytest.raises(VideoError, match="truncated or incomplete"):
        list(frames(cut))
    with pytest.raises(VideoError, match="truncated or incomplete"):
        audio(cut)


# --- decoding for display --------------------------------------------------------------------

@pytest.mark.parametrize(("size", "height", "expected"), [
    ((64, 48), 480, (640, 480)), ((64, 48), 101, (134, 100)),     # 101 rounds to 100 (even)
    ((48, 64), 480, (360, 480)), ((100, 30), 31, (106, 32)), ((2, 1000), 10, (2, 10))])
def test_display_size_keeps_the_upright_aspect_with_even_sides(size, height, expected):
    info = VideoInfo(path="x", width=size[0], height=size[1], rotation=0, fps=30.0, duration_s=1.0, n_frames=30,
                     codec="h264", has_audio=False, audio_rate=None)
    assert display_size(info, height) == expected


@pytest.mark.parametrize(("clip_size", "rotation_ccw", "size", "block_corner"), [
    ((160, 120), None, (40, 30), "left"),      # scaled down while decoding, exact
    ((160, 120), None, (42, 30), "left"),      # decoded near the target, then resized to exactly it
    ((64, 48), -90, (24, 32), "right"),        # stored landscape, turned upright (90 deg clockwise)
    ((64, 48), None, (128, 96), "left"),       # never upscaled by the decoder: resized up after
])
def test_display_frames_are_the_decoded_frames_resized_to_exactly_the_size(tmp_path, clip_size, rotation_ccw, size,
                                                                          block_corner):
    clip = write_clip(tmp_path / "c.mp4", n=12, size=clip_size, rotation_ccw=rotation_ccw)
    got = list(display_frames(clip, fps=30.0, size=size))
    # The obvious reference: decode at about the target height, then area-resize.
    info = probe(clip)
    max_side = max(math.ceil(max(info.width, info.height) * size[1] / info.height), 2)
    want = [(t, cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if rgb.shape[1::-1] != size else rgb)
            for t, rgb in frames(clip, fps=30.0, max_side=max_side)]
    assert len(got) == len(want) == 12
    for (t, rgb), (t_ref, rgb_ref) in zip(got, want):
        assert t == t_ref and rgb.shape == (size[1], size[0], 3) and rgb.dtype == np.uint8
        assert rgb.flags.c_contiguous
        np.testing.assert_array_equal(rgb, rgb_ref)
    top = got[0][1][: size[1] // 5]
    corner = top[:, : size[0] // 8] if block_corner == "left" else top[:, -(size[0] // 8):]
    assert corner.mean() > 200      # the white block (stored top-left) where the upright picture has it


def test_display_frames_probe_a_bad_file_at_once(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(VideoError, match="bad.mp4"):
        display_frames(bad, fps=30.0, size=(64, 48))          # raises before iteration
