"""engine.live.session.Section: a stretch of the reference looped, slowed, each repetition scored."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.errors import EngineError
from engine.live import PracticeSession, Section
from engine.live.overlay import reference_caption
from tests.engine.analysis.metrics.posekit import dance
from tests.engine.live.helpers import (
    DancingCamera,
    FakeCamera,
    hanging_left_arm,
    run,
    session,
)
from tests.factories import FPS, camera_frame, reference_of, static_reference


@pytest.mark.parametrize(("start", "end", "speed", "loops", "error"), [
    (0.5, 1.5, 0.5, 3, None),
    (1.5, 1.5, 1.0, 1, ValueError),          # empty
    (2.0, 1.0, 1.0, 1, ValueError),          # backwards
    (0.0, 1.0, 0.0, 1, ValueError),          # no speed
    (0.0, 1.0, -1.0, 1, ValueError),
    (0.0, 1.0, 1.0, 0, ValueError),          # no repetition
    (0.0, 1.0, 1.0, 1.5, ValueError),        # half a repetition
    (float("nan"), 1.0, 1.0, 1, ValueError),
])
def test_section_checks_its_values(start, end, speed, loops, error):
    if error is None:
        sec = Section(start, end, speed=speed, loops=loops)
        assert sec.span_s == pytest.approx(1.0) and sec.wall_s() == pytest.approx(6.0)   # 3 x 1 s at half speed
    else:
        with pytest.raises(error):
            Section(start, end, speed=speed, loops=loops)


def test_the_clock_loops_the_section_at_its_speed(t_pose):
    ref = static_reference(t_pose, n=60)                                   # 2.0 s
    cam = FakeCamera(t_pose())
    s = session(ref, cam, countdown_s=1.0, section=Section(0.5, 1.5, speed=0.5, loops=3))
    assert s.state().ref_t == 0.5                                          # waiting: at the section's start
    cam.now = 10.0
    s.process(camera_frame())                                              # the clock starts
    # (wall-clock seconds after the first frame, expected phase, reference time, repetition), by hand:
    # 1 s countdown, then reference time = 0.5 + (0.5 * dancing seconds) mod 1.0, three times.
    expected = [(0.5, "countdown", 0.5, 0), (1.0, "dancing", 0.5, 0), (2.0, "dancing", 1.0, 0),
                (2.9, "dancing", 1.45, 0), (3.0, "dancing", 0.5, 1), (4.5, "dancing", 1.25, 1),
                (5.2, "dancing", 0.6, 2), (6.9, "dancing", 1.45, 2), (7.0, "finished", 1.5, 2),
                (30.0, "finished", 1.5, 2)]
    for dt, phase, ref_t, rep in expected:
        cam.now = 10.0 + dt
        st = s.state()
        assert (st.phase, st.repetition) == (phase, rep), dt
        assert st.ref_t == pytest.approx(ref_t), dt


def looped_dance(section: Section, reps: list[str], track) -> np.ndarray:
    """What the camera sees, (frames at FPS, 33, 4), in the section's repetitions (speed 1): per
    repetition "other" (another stretch of the choreography), "arm" (the left arm hanging instead
    of following) or "right" (the section danced as the reference)."""
    n_rep = round(section.span_s * FPS)
    hanging = hanging_left_arm(len(track))
    out = []
    for kind in reps:
        for k in range(n_rep):
            i = round(section.start_s * FPS) + k
            out.append({"other": track[(i + round(1.3 * FPS)) % len(track)], "arm": hanging[i], "right": track[i]}[kind])
    return np.stack(out)


def test_each_repetition_is_scored_on_its_own():
    """Another stretch of the dance in the first repetition, the left arm hanging in the second,
    the section itself in the third: three scores, rising (measured 25, 59, 95.5: the third
    repetition's first windows still reach into the second)."""
    track = dance(round(8.0 * FPS), FPS)
    section = Section(1.0, 4.0, speed=1.0, loops=3)
    cam = DancingCamera(looped_dance(section, ["other", "arm", "right"], track), FPS)
    s = session(reference_of(track), cam, countdown_s=0.0, section=section)
    run(s, cam, 2.96)
    assert s.state().repetition == 0 and len(s.state().repetition_scores) == 1      # still the first
    run(s, cam, 3.2)
    first = s.state()                                                      # the second has begun
    assert first.repetition == 1 and len(first.repetition_scores) == 2
    run(s, cam, 9.2)
    st = s.state()
    assert st.phase == "finished" and st.repetition == 2
    a, b, c = st.repetition_scores
    assert a < b < c and c >= 90.0 and a <= 55.0, st.repetition_scores
    assert a == first.repetition_scores[0]                                 # a finished repetition keeps its score
    assert s.finish() is None                                              # nothing recorded
    s.close()


def test_a_short_section_is_scored_on_a_window_half_its_length():
    track = dance(round(4.0 * FPS), FPS)
    section = Section(0.0, 1.2, loops=2)
    cam = DancingCamera(looped_dance(section, ["right", "right"], track), FPS)
    s = session(reference_of(track), cam, countdown_s=0.0, section=section)
    run(s, cam, 0.5)
    assert s.state().score is None and s.state().message == "Keep dancing: the live score starts after 0.6 s"
    run(s, cam, 2.4)
    assert all(score >= 95.0 for score in s.state().repetition_scores), s.state().repetition_scores


def test_a_repetition_without_a_visible_dancer_has_no_score(t_pose):
    ref = static_reference(t_pose, n=60)
    cam = FakeCamera(None)
    s = session(ref, cam, countdown_s=0.0, section=Section(0.0, 1.0, loops=2))
    run(s, cam, 1.0)
    cam.world = t_pose()
    run(s, cam, 2.2)
    assert s.state().repetition_scores == (None, 100.0)


def test_a_session_without_a_section_reports_no_repetitions(t_pose):
    cam = FakeCamera(t_pose())
    s = session(static_reference(t_pose), cam, countdown_s=0.0)
    run(s, cam, 0.5)
    assert s.state().repetition_scores == () and s.state().repetition == 0


def test_a_section_is_not_recorded_and_must_lie_in_the_reference(t_pose, tmp_path):
    ref = static_reference(t_pose, n=60)                                   # 0 .. 2.0 s
    with pytest.raises(ValueError, match="cannot be recorded"):
        PracticeSession(ref, section=Section(0.0, 1.0), record_path=tmp_path / "a.mp4")
    with pytest.raises(EngineError, match=r"not within the reference \(0.00-2.00 s\)"):
        PracticeSession(ref, section=Section(1.0, 2.5))


def test_the_reference_panel_names_the_repetition_and_speed(t_pose, monkeypatch):
    ref = static_reference(t_pose, n=60)
    cam = FakeCamera(t_pose())
    s = session(ref, cam, countdown_s=0.0, section=Section(0.0, 1.0, speed=0.5, loops=3))
    notes = []
    draw = s._overlay.draw
    monkeypatch.setattr(s._overlay, "draw", lambda *a, **kw: notes.append(kw["note"]) or draw(*a, **kw))
    run(s, cam, 4.5)                                       # 2 s a repetition at half speed
    assert notes[0] == "REP 1/3 0.5x" and notes[-1] == "REP 3/3 0.5x" and "REP 2/3 0.5x" in notes
    assert reference_caption(2.25, 12.0, "REP 2/3 0.5x") == "REFERENCE   2.2 / 12.0 s  REP 2/3 0.5x"
    assert reference_caption(2.25, 12.0) == "REFERENCE   2.2 / 12.0 s"
