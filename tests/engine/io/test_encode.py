"""engine.io.encode: the streaming H.264 MP4 writer and `write_mp4` on top of it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.io.encode import Mp4Writer, write_mp4


def _video_frames(path: Path):
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def _frame_times(path: Path) -> list[float]:
    """Presentation times of the video frames, seconds."""
    with av.open(str(path)) as container:
        return [float(f.pts * f.time_base) for f in container.decode(video=0)]


def test_write_mp4_is_browser_playable(tmp_path):
    """Odd size padded to even, NTSC rate kept, yuv420p H.264 + AAC, index at the front."""
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (45, 63, 3), dtype=np.uint8) for _ in range(20)]
    sr = 22050
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)
    before = tone.copy()
    path = tmp_path / "clip.mp4"
    write_mp4(path, iter(frames), 30000 / 1001, audio=tone, sr=sr)
    assert np.array_equal(tone, before), "write_mp4 must not modify its inputs"
    data = path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat"), "not faststart: moov after mdat"
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and video.format.name == "yuv420p"
        assert (video.width, video.height) == (64, 46)
        assert float(video.average_rate) == pytest.approx(30000 / 1001)
        assert audio.codec_context.name == "aac" and audio.layout.nb_channels == 1
    decoded = list(_video_frames(path))
    assert len(decoded) == len(frames)
    # Lossy, but a mid-grey mean must survive: catches swapped channels or garbage frames.
    assert abs(decoded[5][:45, :63].mean() - frames[5].mean()) < 5.0
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("frames, error", [
    ([], "no frames"),
    ([np.zeros((16, 16, 3), np.float32)], "uint8"),
    ([np.zeros((16, 16), np.uint8)], r"\(H, W, 3\)"),
    ([np.zeros((16, 16, 3), np.uint8), np.zeros((18, 16, 3), np.uint8)], "first frame"),
])
def test_write_mp4_rejects_bad_frames_and_leaves_nothing(tmp_path, frames, error):
    path = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match=error):
        write_mp4(path, iter(frames), 30.0)
    assert list(tmp_path.iterdir()) == []


def test_write_mp4_failure_keeps_the_previous_file(tmp_path):
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"previous")
    frames = [np.zeros((16, 16, 3), np.uint8)] * 3 + [np.zeros((16, 18, 3), np.uint8)]
    with pytest.raises(ValueError, match="frame 3"):       # fails mid-encode, after the header
        write_mp4(path, iter(frames), 30.0, audio=np.zeros(8000), sr=8000)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def test_writer_with_timestamps_keeps_each_frame_time_and_commits_atomically(tmp_path):
    """Variable rate: frame times to the millisecond, two frames at one ms get distinct times."""
    path = tmp_path / "vfr.mp4"
    path.write_bytes(b"previous")
    times = [0.0, 0.04, 0.1, 0.1, 0.35]
    writer = Mp4Writer(path, 30, timestamps=True, faststart=False)
    for k, t in enumerate(times):
        writer.write(np.full((32, 48, 3), 20 * k, np.uint8), t)
    writer.close()
    assert path.read_bytes() == b"previous"                 # not yet committed
    assert writer.commit() == path
    assert _frame_times(path) == pytest.approx([0.0, 0.04, 0.1, 0.101, 0.35], abs=1e-9)
    assert [p.name for p in tmp_path.iterdir()] == ["vfr.mp4"]
    with pytest.raises(ValueError, match="already closed"):
        writer.write(np.zeros((32, 48, 3), np.uint8), 1.0)


def test_writer_at_a_fixed_rate_numbers_frames_from_zero(tmp_path):
    path = tmp_path / "cfr.mp4"
    with Mp4Writer(path, 25.0) as writer:
        for k in range(4):
            writer.write(np.full((16, 16, 3), 60 * k, np.uint8))
    assert writer.n_frames == 4
    assert _frame_times(path) == pytest.approx([0.0, 0.04, 0.08, 0.12], abs=1e-9)
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == Fraction(25)


def test_writer_abort_leaves_the_previous_file(tmp_path):
    path = tmp_path / "a.mp4"
    path.write_bytes(b"previous")
    writer = Mp4Writer(path, 30.0)
    for _ in range(60):                                      # past the encoder's lookahead: bytes on disk
        writer.write(np.zeros((16, 16, 3), np.uint8))
    assert writer.tmp.exists()
    writer.abort()
    writer.abort()                                           # idempotent
    assert path.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["a.mp4"]


def test_writer_context_manager_drops_the_file_on_an_exception(tmp_path):
    path = tmp_path / "b.mp4"
    with pytest.raises(KeyboardInterrupt), Mp4Writer(path, 30.0) as writer:
        for _ in range(60):
            writer.write(np.zeros((16, 16, 3), np.uint8))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_a_bad_rate():
    with pytest.raises(ValueError, match="fps must be > 0"):
        Mp4Writer("x.mp4", 0.0)
