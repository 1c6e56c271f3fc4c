"""Segment-parallel extraction: clips are cut into time segments tracked at once.

What must hold: a segment decodes exactly the frames a whole-file decode has there; the joins
cost no accuracy against ground truth; a tracker that locks on to another dancer at a join is
caught and the rest of the clip is tracked as one chain; a failing segment stops the others.
"""

from __future__ import annotations

import pickle
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import engine.io.extract as extract_module
from engine.analysis.clean import clean
from engine.core.errors import SettingsError
from engine.io.extract import _same_dancer, _Track, extract, plan_segments, pose_workers
from engine.io.video import frames
from tests.conftest import footage, needs_footage
from tests.engine.io.test_extract import AIST_GT, pck

SOLO = "solo/studio_bw_female_solo_10s.mp4"


def _numbered_clip(path: Path, *, seconds: float, fps: int, gop: int) -> Path:
    """A clip whose frame k shows k in its pixel values (so a wrong frame cannot look right)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps), options={"g": str(gop), "crf": "10"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for k in range(int(seconds * fps)):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:, : 1 + k % 64] = 40 + (k * 7) % 200
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize("source_fps", [30, 60, 25])
def test_a_span_decodes_exactly_what_the_whole_file_has_there(tmp_path, source_fps):
    path = _numbered_clip(tmp_path / "n.mp4", seconds=6, fps=source_fps, gop=40)
    whole = list(frames(path, fps=30.0))
    t_whole = np.array([t for t, _ in whole])
    plan = plan_segments(6.0, 30.0) if source_fps == 30 else [(0.0, 1.7), (1.7, 4.0), (4.0, None)]
    for start, stop in [*plan, (2.0, 3.0), (5.0, None), (0.1, 0.8)]:
        span = list(frames(path, fps=30.0, start_s=start, stop_s=stop))
        wanted = np.flatnonzero((t_whole >= start - 1e-6) & (t_whole < (stop or np.inf) - 1e-6))
        assert [t for t, _ in span] == [whole[i][0] for i in wanted], (start, stop)
        assert all(np.array_equal(rgb, whole[i][1]) for (_, rgb), i in zip(span, wanted))
    # The segments of a plan, one after another, are the whole decode.
    chained = [t for a, b in plan for t, _ in frames(path, fps=30.0, start_s=a, stop_s=b)]
    assert chained == list(t_whole)


def test_a_span_must_be_ordered(tmp_path):
    path = _numbered_clip(tmp_path / "n.mp4", seconds=2, fps=30, gop=30)
    with pytest.raises(ValueError, match="start_s"):
        frames(path, start_s=1.0, stop_s=0.5)


def test_plan_segments_covers_the_clip_on_the_analysis_grid():
    assert plan_segments(3.0, 30.0) == [(0.0, None)]
    assert plan_segments(10.0, 30.0) == [(0.0, None)]                 # 10 s rounds to one 12 s segment
    plan = plan_segments(21.7, 30.0)
    assert len(plan) == 2 and plan[0][0] == 0.0 and plan[-1][1] is None
    assert plan[0][1] == plan[1][0] and abs(plan[0][1] - 21.7 / 2) <= 1 / 30
    long = plan_segments(300.0, 30.0)
    assert len(long) == 25
    for (_, stop), (start, _) in zip(long, long[1:]):
        assert stop == start and abs(start * 30 - round(start * 30)) < 1e-9
    assert np.allclose(np.diff([a for a, _ in long]), 12.0, atol=1 / 30)


def test_pose_workers_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DANCE_POSE_WORKERS", "3")
    assert pose_workers() == 3
    for bad in ("0", "two"):
        monkeypatch.setenv("DANCE_POSE_WORKERS", bad)
        with pytest.raises(SettingsError, match="DANCE_POSE_WORKERS"):
            pose_workers()
    monkeypatch.delenv("DANCE_POSE_WORKERS")
    assert pose_workers() >= 1


# --------------------------------------------------------------------------- the same-dancer check

def _pose_at(x: float, y: float, torso: float = 0.1) -> np.ndarray:
    """(33, 4) image landmarks of a figure whose hips are at (x, y) and shoulders `torso` above."""
    pose = np.zeros((33, 4), np.float32)
    pose[:, 3] = 1.0
    pose[[11, 12], 0], pose[[11, 12], 1] = [x - 0.03, x + 0.03], y - torso
    pose[[23, 24], 0], pose[[23, 24], 1] = [x - 0.02, x + 0.02], y
    return pose


def _track(start_s: float, times: np.ndarray, poses: list[np.ndarray]) -> _Track:
    return _Track(start_s=start_s, t=list(times), image=poses, world=poses, masks=[])


NOBODY = np.full((33, 4), np.nan, np.float32)


@pytest.mark.parametrize("before, after, same", [
    ("A", "A", True),              # the fresh tracker found the same dancer
    ("A", "B", False),             # it locked on to someone else
    ("A", "nobody", False),        # it lost the dancer the earlier tracker still had
    ("nobody", "B", True),         # the earlier tracker had lost everyone: searching afresh is what it would do
    ("A", "A nearby", True),       # small differences between two trackers are not another dancer
])
def test_same_dancer_at_a_join(before, after, same):
    poses = {"A": _pose_at(0.3, 0.6), "A nearby": _pose_at(0.31, 0.61), "B": _pose_at(0.6, 0.6), "nobody": NOBODY}
    t = np.arange(60) / 30
    earlier = _track(0.0, t[:40], [poses[before]] * 40)                  # frames 0..39
    later = _track(t[30], t[15:], [poses[after]] * 45)                   # warm-up 15..29, then its own
    assert _same_dancer(earlier, later, 640, 360) is same


# ------------------------------------------------------------------------------- on real footage

def _extract_with(monkeypatch, path, segment_s: float, **kwargs):
    monkeypatch.setattr(extract_module, "SEGMENT_S", segment_s)
    return extract(path, **kwargs)


@needs_footage
@pytest.mark.slow
@pytest.mark.parametrize("choreography", ["ch01", "ch03"])
def test_joins_cost_no_accuracy_against_aist_ground_truth(monkeypatch, choreography):
    """The 3 s AIST clips cut at 1 s and 2 s: PCK against the annotation stays that of one tracker."""
    path = footage(f"aist/gBR_sBM_c01_d04_mBR0_{choreography}_first3s.mp4")
    with open(footage(AIST_GT.replace("ch01", choreography)), "rb") as f:
        keypoints = pickle.load(f)["keypoints2d"][0]
    one = _extract_with(monkeypatch, path, 1e9)
    cut = _extract_with(monkeypatch, path, 1.0)
    assert len(plan_segments(cut.source.duration_s, 30.0)) == 3
    assert np.array_equal(one.t, cut.t)
    gt = keypoints[2 * np.arange(one.n_frames)]
    w, h = one.source.width, one.source.height
    for alpha in (0.2, 0.1):
        single, segmented = (pck(clean(p).image, gt, w, h, alpha) for p in (one, cut))
        assert segmented >= single - 0.005, f"PCK@{alpha}: one tracker {single:.4f}, segments {segmented:.4f}"


@needs_footage
@pytest.mark.slow
def test_segments_follow_the_dancer_one_tracker_follows_in_a_crowd(monkeypatch):
    path = footage("multi/fitness_class_group_15s.mp4")
    one = _extract_with(monkeypatch, path, 1e9)
    cut = _extract_with(monkeypatch, path, 3.0)
    scale = np.array([one.source.width, one.source.height])
    apart = np.linalg.norm((one.hip_xy - cut.hip_xy) * scale, axis=1)
    assert np.nanmax(apart) < 25, f"hips up to {np.nanmax(apart):.0f} px apart"


@needs_footage
@pytest.mark.slow
def test_another_dancer_at_a_join_makes_the_rest_one_chain(monkeypatch):
    """When a join looks like another dancer, the clip is re-tracked from the segment before the
    join to the end by one tracker: at the first join that is exactly the single-tracker result."""
    path = footage(SOLO)
    one = _extract_with(monkeypatch, path, 1e9)
    joins = []

    def never_the_same(before, after, width, height):
        joins.append(after.start_s)
        return False

    monkeypatch.setattr(extract_module, "_same_dancer", never_the_same)
    messages = []
    chained = _extract_with(monkeypatch, path, 3.0, progress=lambda f, m: messages.append(m))
    assert len(joins) == 1                      # checked once, then one chain: no more joins
    assert np.array_equal(one.t, chained.t)
    assert np.array_equal(one.image, chained.image, equal_nan=True)
    assert np.array_equal(one.mask, chained.mask)
    assert "another dancer" in " ".join(messages)


@needs_footage
@pytest.mark.slow
def test_a_failing_segment_stops_the_others(monkeypatch):
    path = footage(SOLO)
    calls = []
    lock = threading.Lock()

    class Boom(Exception):
        pass

    def progress(fraction, message):
        with lock:
            calls.append(fraction)
            if len(calls) == 3:
                raise Boom

    with pytest.raises(Boom):
        _extract_with(monkeypatch, path, 2.0, progress=progress)
    # Every tracker has stopped by the time the error is raised: no more progress afterwards.
    n = len(calls)
    threading.Event().wait(0.5)
    assert len(calls) == n and n <= 3 + 2 * extract_module.pose_workers()


def test_a_clip_waiting_for_a_busy_pose_pool_says_so_then_tracks(monkeypatch):
    from engine.core.fair import FairExecutor

    pool = FairExecutor(1, name="test-pose")
    release = threading.Event()
    pool.submit("someone else", release.wait, 30)      # the only pose graph is busy
    monkeypatch.setattr(extract_module, "_pool", pool)
    messages = []

    def progress(fraction, message):
        messages.append(message)
        if len(messages) == 1:
            release.set()
    perf = extract(footage("aist/aist_c01_dancerB_clipA_3s.mp4"), progress=progress)
    assert messages[0].startswith("aist_c01_dancerB_clipA_3s.mp4: waiting for the pose model, busy with other clips")
    assert "frame 10/" in messages[1] and perf.n_frames > 60
