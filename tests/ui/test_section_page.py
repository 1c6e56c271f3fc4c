"""The Live practice page's "Practise a section" under AppTest (the stream faked as in test_live_page)."""

from __future__ import annotations

import time

from engine.io.video import frames
from engine.live import Section
from tests.ui.test_live_page import (  # noqa: F401 (fixtures)
    all_text,
    assert_no_problem,
    env,
    new_page,
    sample,
    stream,
)
from ui.live_view import SessionSlot


def test_section_controls_check_the_section_and_say_how_long_it_takes(env, stream):  # noqa: F811
    at = new_page()
    assert_no_problem(at)
    assert not at.session_state["live_section"] and not at.number_input   # off: no section controls
    at.toggle(key="live_section").set_value(True).run()
    assert_no_problem(at)
    assert (at.number_input(key="live_section_start").value, at.number_input(key="live_section_end").value) == (0.0, 4.0)
    assert at.number_input(key="live_section_loops").value == 3 and at.radio(key="live_section_speed").value == 1.0
    assert "3 × 4.0 s of the reference at 1x: 12 s of dancing after the countdown." in all_text(at)
    at.number_input(key="live_section_start").set_value(2.0)
    at.number_input(key="live_section_end").set_value(2.3).run()
    assert "must end at least 0.5 s after it starts" in " ".join(w.value for w in at.warning)
    at.number_input(key="live_section_end").set_value(4.0)
    at.radio(key="live_section_speed").set_value(0.5).run()
    assert "3 × 2.0 s of the reference at 0.5x: 12 s of dancing after the countdown." in all_text(at)


def test_a_section_session_loops_and_ends_with_each_repetitions_score(env, stream):  # noqa: F811
    at = new_page()
    at.slider(key="live_countdown").set_value(0)
    at.toggle(key="live_section").set_value(True).run()
    at.number_input(key="live_section_start").set_value(2.0)
    at.number_input(key="live_section_end").set_value(2.5)
    at.number_input(key="live_section_loops").set_value(2).run()
    stream.playing = True                                   # Start
    at.run()
    assert_no_problem(at)
    slot: SessionSlot = at.session_state["live_slot"]
    session = slot.session
    assert session.section == Section(2.0, 2.5, speed=1.0, loops=2)
    camera = [rgb for t, rgb in frames(sample(env)["teacher"], fps=10.0) if 2.0 <= t < 2.5]
    until = time.monotonic() + 1.3                          # two repetitions of 0.5 s, then a little
    i = 0
    while time.monotonic() < until:
        stream.send(camera[i % len(camera)])
        i += 1
    assert session.state().phase == "finished"
    at.run()                                                # the page sees the end and stops the stream
    assert_no_problem(at)
    assert at.session_state["live_stop"]                   # asks the browser to stop
    stream.playing = False
    at.run()
    assert_no_problem(at)
    text = all_text(at)
    assert "Finished: each repetition's score is below." in text, text
    assert "Repetition 1 of 2: " in text and "Repetition 2 of 2: " in text, text
    assert slot.session is None and "too short" not in text
    assert at.session_state["live_attempt"] is None         # a section is not recorded
