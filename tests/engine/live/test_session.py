"""engine.live.session: a practice session driven by a fake camera and a fake clock."""

from __future__ import annotations

import threading

import pytest

from engine.core.body import Landmark as L
from engine.core.errors import EngineError
from engine.core.settings import ExtractSettings
from engine.io.video import frames as decode_frames
from engine.io.video import probe
from engine.live import PracticeSession, recorder
from tests.engine.live.helpers import FakeCamera, run, session
from tests.factories import LEFT_ARM, LEGS, H, W, camera_frame, static_reference, swing


def test_phases_follow_the_clock(t_pose):
    ref = static_reference(t_pose, n=60)                                  # 2.0 s
    cam = FakeCamera(t_pose())
    s = session(ref, cam)
    st = s.state()
    assert st.phase == "waiting" and st.frames_in == 0 and st.score is None
    cam.now = 5.0                                                         # the clock starts at the first frame
    s.process(camera_frame())
    st = s.state()
    assert (st.phase, st.countdown_s, st.ref_t) == ("countdown", 1.0, 0.0)
    cam.now = 5.6
    assert s.state().phase == "countdown" and s.state().countdown_s == pytest.approx(0.4)
    cam.now = 6.0
    s.process(camera_frame())
    st = s.state()
    assert (st.phase, st.ref_t) == ("dancing", 0.0) and st.frames_in == 2 and st.frames_scored == 1
    assert st.score == 100.0 and st.history == ((0.0, 100.0),) and st.message is None
    cam.now = 7.5
    assert s.state().ref_t == pytest.approx(1.5)
    cam.now = 8.0
    s.process(camera_frame())
    assert s.state().phase == "finished" and cam.calls == 2                # no pose work once finished
    assert s.state().message.startswith("Finished")


def test_session_scores_the_upper_body_when_the_legs_are_out_of_view(t_pose):
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    user[list(LEGS), 3] = 0.05
    cam = FakeCamera(user)
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    run(s, cam, 0.5)
    st = s.state()
    assert st.message == "Step back: your feet are out of view"
    assert st.frames_scored == st.frames_in and st.worst_joint == "left_shoulder"
    assert 90.0 < st.score < 100.0


def test_session_says_when_nobody_is_in_view(t_pose):
    cam = FakeCamera(None)
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    run(s, cam, 0.2)
    st = s.state()
    assert st.message == "Nobody in view: step into the frame" and st.score is None and st.frames_scored == 0


def test_recording_has_the_dancing_span_and_raw_frames(t_pose, tmp_path, monkeypatch):
    monkeypatch.setattr(recorder, "RECORD_QUEUE", 1000)   # frames come faster than real time here: drop none
    ref = static_reference(t_pose, n=60)                                  # 2.0 s
    cam = FakeCamera(t_pose())
    out_path = tmp_path / "attempt.mp4"
    s = session(ref, cam, record_path=out_path)
    run(s, cam, 3.4)                                                      # 1 s countdown, 2 s dancing, then finished
    assert s.state().phase == "finished"
    path = s.finish()
    assert path == out_path and s.finish() == out_path                   # idempotent
    info = probe(path)
    assert info.n_frames == 50 and s.frames_dropped == 0                  # 2.0 s at 25 fps
    assert info.duration_s == pytest.approx(1.96 + 1 / recorder.RECORD_RATE, abs=0.02)
    _, first = next(decode_frames(path))
    assert first.shape == (H, W, 3) and abs(float(first.mean()) - 40.0) < 3   # raw: no drawing
    assert [p.name for p in tmp_path.iterdir()] == ["attempt.mp4"]        # no temporary file left
    s.close()
    s.close()
    assert cam.closed == 1


def test_recording_shorter_than_a_second_is_dropped(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, record_path=tmp_path / "short.mp4")
    run(s, cam, 1.6)                                                      # 0.6 s of dancing
    assert s.finish() is None and s.finish() is None
    assert list(tmp_path.iterdir()) == []
    run(s, cam, 1.8)                                       # frames after finish(): finished, not recorded
    assert s.state().phase == "finished"
    s.close()


def test_no_recording_without_a_path(t_pose):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam)
    run(s, cam, 2.0)
    assert s.finish() is None and s.frames_dropped == 0


def test_a_writer_failure_is_reported_by_finish(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0, record_path=tmp_path / "missing" / "a.mp4")
    run(s, cam, 1.5)
    with pytest.raises(EngineError, match="could not be written"):
        s.finish()
    s.close()


def test_close_without_finish_discards_the_recording(t_pose, tmp_path):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0, record_path=tmp_path / "a.mp4")
    run(s, cam, 1.5)
    s.close()
    assert list(tmp_path.iterdir()) == [] and cam.closed == 1


def test_state_is_safe_to_read_while_frames_are_processed(t_pose):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    worker = threading.Thread(target=run, args=(s, cam, 1.5))
    worker.start()
    seen = []
    while worker.is_alive():
        seen.append(s.state().frames_in)
    worker.join()
    assert seen == sorted(seen) and s.state().frames_in == 38
    assert s.state().ms_per_frame > 0


def test_the_default_pose_model_is_built_from_extract_settings(t_pose, monkeypatch):
    built = []

    class FakeEstimator(FakeCamera):
        def __init__(self, **kwargs) -> None:
            super().__init__(t_pose())
            built.append(kwargs)

    import engine.io.pose
    monkeypatch.setattr(engine.io.pose, "PoseEstimator", FakeEstimator)
    settings = ExtractSettings(model_complexity=2, min_detection_confidence=0.7, min_tracking_confidence=0.6)
    s = PracticeSession(static_reference(t_pose), countdown_s=0.0, extract_settings=settings)
    s.process(camera_frame())
    assert built == [{"model_complexity": 2, "segmentation": False, "min_detection_confidence": 0.7,
                      "min_tracking_confidence": 0.6}]
    s.close()
