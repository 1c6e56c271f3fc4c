"""engine.live.session: a practice session driven by a fake camera and a fake clock."""

from __future__ import annotations

import threading

import pytest

from engine.core.errors import EngineError
from engine.core.settings import ExtractSettings
from engine.io.video import frames as decode_frames
from engine.io.video import probe
from engine.live import PracticeSession, recorder
from engine.live.scorer import HISTORY_S
from tests.engine.analysis.metrics.posekit import dance
from tests.engine.live.helpers import DancingCamera, FakeCamera, hanging_left_arm, run, session
from tests.factories import FPS, LEGS, H, W, camera_frame, reference_of, static_reference


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
    # No score until the scorer's window (HISTORY_S of dancing) is full.
    assert (st.phase, st.ref_t) == ("dancing", 0.0) and st.frames_in == 2 and st.frames_scored == 0
    assert st.score is None and st.history == () and st.message.startswith("Keep dancing")
    cam.now = 7.5
    assert s.state().ref_t == pytest.approx(1.5)
    cam.now = 8.0
    s.process(camera_frame())
    assert s.state().phase == "finished" and cam.calls == 2                # no pose work once finished
    assert s.state().message.startswith("Finished")


def test_session_scores_the_upper_body_when_the_legs_are_out_of_view():
    n = int(5.0 * FPS)
    user = hanging_left_arm(n)
    user[:, list(LEGS), 3] = 0.05
    cam = DancingCamera(user, FPS)
    s = session(reference_of(dance(n, FPS)), cam, countdown_s=0.0)
    run(s, cam, 4.0)
    st = s.state()
    assert st.message == "Step back: your feet are out of view"
    # Scored from the first frame HISTORY_S in (4.0 s at 25 fps: frames at 0, 0.04, ..., 3.96 s).
    assert st.frames_in == 100 and st.frames_scored == sum(k / 25 >= HISTORY_S - 1e-9 for k in range(100))
    assert st.worst_joint in ("left_shoulder", "left_elbow", "left_wrist")
    assert 50.0 < st.score < 95.0 and HISTORY_S <= st.history[0][0] < HISTORY_S + 0.04


def test_session_scores_the_reference_danced_back_high():
    n = int(4.0 * FPS)
    track = dance(n, FPS)
    cam = DancingCamera(track, FPS, start=1.0)                            # dancing starts after the countdown
    s = session(reference_of(track), cam)
    run(s, cam, 4.5)
    st = s.state()
    assert st.score >= 95.0 and st.worst_joint is None and st.message is None



def late_frames_score(stamped: bool) -> float:
    """The reference danced back perfectly, captured at 25 fps, but each frame reaches the session
    later and later (a loaded server: up to 2 s behind, beyond the scorer's late lag). The session is told the capture time
    when `stamped`. Returns the live score after 5.5 s of camera time."""
    n = int(10.0 * FPS)                                  # long enough that late arrivals are still dancing
    track = dance(n, FPS)
    cam = DancingCamera(track, FPS, start=1.0)          # the camera's clock: capture times
    s = session(reference_of(track), cam)
    frame, k = camera_frame(), 0
    while cam.now < 5.5:
        delay = min(2.0, 0.5 * k / FPS)                  # arrival - capture, seconds
        capture = cam.now
        s._clock = lambda: capture + delay               # what the server's clock reads on arrival
        s.process(frame, t=100.0 + capture if stamped else None)    # any origin: the first frame anchors
        k += 1
        cam.now = round(cam.now + 1.0 / FPS, 9)
    return s.state().score


def test_frames_placed_by_capture_time_score_as_if_on_time():
    on_time = late_frames_score(stamped=True)
    by_arrival = late_frames_score(stamped=False)
    assert on_time >= 95.0
    assert by_arrival < on_time - 10.0           # placed by arrival, the same dance falls out of step


def test_a_capture_clock_that_jumps_is_re_anchored(t_pose):
    ref = static_reference(t_pose, n=300)                                 # 10 s
    cam = FakeCamera(t_pose())
    s = session(ref, cam, countdown_s=0.0)
    cam.now = 2.0
    s.process(camera_frame(), t=50.0)
    cam.now = 3.0
    s.process(camera_frame(), t=51.0)
    assert s.state().ref_t == pytest.approx(1.0)
    cam.now = 4.0
    s.process(camera_frame(), t=9000.0)        # a restarted stream: its stamp is nowhere near
    cam.now = 4.5
    s.process(camera_frame(), t=9000.5)
    assert s.state().ref_t == pytest.approx(2.5) and max(t for t, _ in s.state().history or [(0, 0)]) <= 2.5

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
