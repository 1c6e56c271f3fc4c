"""`compare._load_both`: the two clips of a comparison load at once, and one failing stops the other."""

from __future__ import annotations

import threading
import time

import pytest

import engine.analysis.compare
from engine.analysis.compare import _load_both
from engine.core.errors import VideoError
from tests.factories import make_perf


def test_both_clips_load_at_the_same_time_with_combined_progress(monkeypatch, tmp_path):
    both_running = threading.Barrier(2, timeout=10)   # breaks (and fails the test) unless both run at once

    def fake_load(path, *, cache_dir, settings, display_name, progress):
        both_running.wait()
        for k in range(1, 5):
            progress(k / 4, f"{display_name}: {k}/4")
        return make_perf(n=10, file=display_name)

    monkeypatch.setattr(engine.analysis.compare, "load_or_extract", fake_load)
    seen: list[tuple[float, str]] = []
    teacher, student = _load_both(("t.mp4", "s.mp4"), ("teacher.mp4", "student.mp4"), cache_dir=tmp_path,
                                  settings=engine.analysis.compare.ExtractSettings(), progress=lambda f, m: seen.append((f, m)))
    assert (teacher.source.file, student.source.file) == ("teacher.mp4", "student.mp4")
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(0.9)
    assert "teacher.mp4: 4/4" in seen[-1][1] and "student.mp4: 4/4" in seen[-1][1]


def test_a_failing_clip_stops_the_other_at_once(monkeypatch, tmp_path):
    stopped = threading.Event()

    def fake_load(path, *, cache_dir, settings, display_name, progress):
        if path == "bad.mp4":
            time.sleep(0.05)
            raise VideoError("bad.mp4 is not a video")
        try:
            for k in range(1000):           # a long extraction: 10 s if nobody stops it
                progress(k / 1000, "good")
                time.sleep(0.01)
        except BaseException:
            stopped.set()
            raise
        return make_perf()

    monkeypatch.setattr(engine.analysis.compare, "load_or_extract", fake_load)
    started = time.perf_counter()
    with pytest.raises(VideoError, match="bad.mp4 is not a video"):
        _load_both(("good.mp4", "bad.mp4"), (None, None), cache_dir=tmp_path,
                   settings=engine.analysis.compare.ExtractSettings(), progress=None)
    assert time.perf_counter() - started < 3.0
    assert stopped.is_set()
