""""Practice a moment" on the Compare page under AppTest: the span's clips, and slider moves that keep them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.analysis.compare import analyze
from engine.analysis.score import score
from engine.present.practice import span_rows, widen
from tests.conftest import REPO
from ui.practice_view import SPAN_CHOICE, aligned_span

APP = str(REPO / "app.py")
FIRST_RUN_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def env(session_cache):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANCE_CACHE_DIR", str(session_cache))
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            mp.delenv(var, raising=False)
        yield Path(session_cache)


@pytest.fixture(scope="module")
def page(env):
    at = AppTest.from_file(APP, default_timeout=FIRST_RUN_TIMEOUT_S)
    at.run()
    return at


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def assert_no_problem(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def practice_caption(at: AppTest) -> tuple[float, float, float, float]:
    m = re.search(r"Teacher ([\d.]+)-([\d.]+) s, student ([\d.]+)-([\d.]+) s: ", captions(at))
    assert m, captions(at)
    return tuple(float(x) for x in m.groups())


def test_a_moment_is_practised_over_its_span_widened_to_two_seconds(page, env):
    assert_no_problem(page)
    samples = env / "samples"
    a = analyze(samples / "teacher.mp4", samples / "student.mp4", cache_dir=env)
    card = score(a)
    box = page.selectbox(key="practice_moment")
    assert box.options[-1] == SPAN_CHOICE and len(box.options) == len(card.moments) + 1
    box.select_index(1).run()
    assert_no_problem(page)
    span = widen(card.moments[1].teacher_s, aligned_span(a))
    rows = span_rows(a, (round(span[0], 2), round(span[1], 2)))
    t = a.teacher.t[rows[:, 0]]
    s = a.student.t[rows[:, 1]]
    assert practice_caption(page) == pytest.approx((t[0], t[-1], s[0], s[-1]), abs=0.006)
    assert len(page.get("iframe")) == 1
    assert len(list((env / "renders" / "practice").glob("*-teacher.mp4"))) >= 1


def test_a_slider_move_keeps_the_clips_until_asked_to_redraw(page, env):
    folder = env / "renders" / "practice"
    before = set(folder.glob("*.mp4"))
    page.slider(key="tol_elbows").set_value(40).run()
    assert_no_problem(page)
    assert set(folder.glob("*.mp4")) == before                  # nothing drawn on a slider move
    assert "The red joints were drawn with earlier slider settings." in captions(page)
    page.button(key="practice_redraw").click().run()
    assert_no_problem(page)
    assert len(set(folder.glob("*.mp4")) - before) == 2         # the pair for the new settings
    assert "The red joints were drawn with earlier slider settings." not in captions(page)


def test_a_chosen_span_is_practised(page):
    page.selectbox(key="practice_moment").set_value(SPAN_CHOICE).run()
    assert_no_problem(page)
    page.slider(key="practice_span").set_value((3.0, 6.0)).run()
    assert_no_problem(page)
    t0, t1, _, _ = practice_caption(page)
    assert abs(t0 - 3.0) < 0.04 and abs(t1 - 6.0) < 0.04
