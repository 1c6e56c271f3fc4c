"""engine.live.recorder: camera frames to an MP4 on a background thread."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest

from engine.live.recorder import RECORD_QUEUE, RECORD_RATE, Recorder
from tests.factories import camera_frame


def test_recorder_drops_frames_instead_of_blocking(tmp_path, monkeypatch):
    release = threading.Event()
    original = Recorder._run

    def slow_run(self):
        release.wait(5.0)
        original(self)

    monkeypatch.setattr(Recorder, "_run", slow_run)
    rec = Recorder(tmp_path / "r.mp4")
    frame = camera_frame(64, 48)
    for k in range(20):
        rec.put(frame, k / 25)
    assert rec.dropped == 20 - RECORD_QUEUE
    release.set()
    assert rec.stop() == pytest.approx((RECORD_QUEUE - 1) / 25 + 1 / RECORD_RATE)
    assert rec.written == RECORD_QUEUE
    rec.discard()


def test_recorder_scales_frames_to_the_first_one_rounded_to_even_and_keeps_their_times(tmp_path):
    rec = Recorder(tmp_path / "r.mp4")
    times = [0.0, 0.05, 0.2]
    rec.put(np.full((49, 65, 3), 90, np.uint8), times[0])          # odd: 48 x 64 in the file
    rec.put(np.full((96, 128, 3), 90, np.uint8), times[1])         # another size: scaled to the first
    rec.put(np.full((49, 65, 3), 90, np.uint8), times[2])
    assert rec.stop() == pytest.approx(0.2 + 1 / RECORD_RATE)
    assert rec.error is None and rec.written == 3
    assert rec.keep() == tmp_path / "r.mp4"
    with av.open(str(tmp_path / "r.mp4")) as container:
        decoded = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    assert [t for t, _ in decoded] == pytest.approx(times, abs=1e-9)
    assert all(img.shape == (48, 64, 3) and abs(float(img.mean()) - 90) < 3 for _, img in decoded)
    assert [p.name for p in tmp_path.iterdir()] == ["r.mp4"]


def test_discard_leaves_nothing(tmp_path):
    rec = Recorder(tmp_path / "r.mp4")
    for k in range(5):
        rec.put(camera_frame(64, 48), k / 25)
    rec.stop()
    rec.discard()
    assert list(tmp_path.iterdir()) == []
