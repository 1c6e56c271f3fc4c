"""The pages' pose extraction in the pose process: one child process whose fair pose pool every
clip shares, so the web server never runs the pose model and a short clip queued behind a long
one is tracked after one of the long one's segments, not after all of them."""

from __future__ import annotations

import time

import pytest

import engine.io.extract
from engine.core.errors import NoPersonError
from engine.io import store
from engine.io.extract import plan_segments
from engine.io.video import probe
from tests.conftest import footage, needs_footage
from ui.child_processes import ThreadedChild
from ui.job_view import POSE_PRELOAD
from ui.jobs import Jobs, extraction_function

LONG = "solo/studio_cropTop_solo_23s.mp4"    # 2 segments
SHORT = "aist/aist_c01_dancerB_clipA_3s.mp4"  # 1 segment


@pytest.fixture
def pose_process(monkeypatch):
    """A pose process with one pose graph (segments then run one at a time), as the pages start it."""
    monkeypatch.delenv("DANCE_DASK_SCHEDULER", raising=False)
    monkeypatch.setenv("DANCE_POSE_WORKERS", "1")     # the child inherits the environment at its start

    def no_extraction_here(*args, **kwargs):
        raise AssertionError("extracted in the web server's process")
    monkeypatch.setattr(engine.io.extract, "_shared_pool", no_extraction_here)
    child = ThreadedChild(preload=POSE_PRELOAD, name="test-poses")
    yield child
    child.shutdown()


@pytest.mark.slow
@needs_footage
def test_a_short_clip_behind_a_long_one_is_tracked_after_one_of_its_segments(pose_process, tmp_path):
    assert len(plan_segments(probe(footage(LONG)).duration_s, 30.0)) == 2
    run = extraction_function(store.load_or_extract, pose_process)
    jobs = Jobs(max_workers=1)
    marks: dict[str, float] = {}
    t0 = time.monotonic()

    def extraction(name: str, rel: str):
        job = jobs.submit(name, run, footage(rel), cache_dir=tmp_path, display_name=f"{name}.mp4", masks=False,
                          owner=name, queued_elsewhere=True)
        job.future.add_done_callback(lambda _: marks.setdefault(f"{name} done", time.monotonic() - t0))
        return job

    long_job = extraction("long", LONG)
    deadline = time.monotonic() + 120       # until the child's progress shows its first segment tracking
    while "frame" not in long_job.message and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "long.mp4: frame" in long_job.message
    short_job = extraction("short", SHORT)
    short_perf = short_job.future.result(timeout=300)
    long_perf = long_job.future.result(timeout=300)
    assert marks["short done"] < marks["long done"]     # first-in first-out, it would end last
    assert short_perf.mask.shape == (short_perf.n_frames, 0, 0) and short_perf.detected_ratio > 0.9
    assert long_perf.source.file == "long.mp4" and long_perf.source.duration_s > 20
    assert len(list(tmp_path.glob("*.h5"))) == 2        # written by the child, read here from the cache


@pytest.mark.slow
@needs_footage
def test_the_pose_process_raises_the_engines_message_and_keeps_serving(pose_process, tmp_path):
    run = extraction_function(store.load_or_extract, pose_process)
    still = tmp_path / "still.mp4"
    _write_empty_room(still)
    with pytest.raises(NoPersonError, match="empty room.mp4: a person was detected in only 0% of frames"):
        run(still, cache_dir=tmp_path / "cache", display_name="empty room.mp4", masks=False)
    perf = run(footage(SHORT), cache_dir=tmp_path / "cache", display_name="short.mp4", masks=False)
    assert perf.n_frames > 60


def _write_empty_room(path) -> None:
    """A 3-s video of a grey wall: no person anywhere."""
    import cv2
    import numpy as np

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (320, 240))
    for _ in range(90):
        out.write(np.full((240, 320, 3), 128, np.uint8))
    out.release()
