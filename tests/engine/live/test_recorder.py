"""engine.live.recorder: camera frames to an MP4 on a background thread."""

from __future__ import annotations

import threading

import pytest

from engine.live.recorder import RECORD_QUEUE, RECORD_RATE, Recorder
from tests.engine.live.helpers import camera_frame


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
