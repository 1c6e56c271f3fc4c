"""The Compare page (app.py) under streamlit.testing.v1.AppTest: samples, sliders, uploads, the coach.

One page session runs for the whole module on the session's pose cache (tests/conftest.py), so the
sample clips are extracted at most once per test session. The engine's extraction and DTW entry
points are wrapped to count calls: slider moves must not reach them.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import engine.analysis.compare
import engine.analysis.score
import engine.io.extract
from engine.analysis.compare import analyze
from engine.analysis.score import score
from engine.core.settings import COMPONENTS, DEFAULT_COMPONENT_WEIGHTS, ScoreSettings
from engine.present.feedback import ComparisonFacts, format_time, rules_feedback
from engine.present.report import check_report
from tests.conftest import REPO
from tests.fake_openai import fake_openai_server
from ui.exports import report_json

APP = str(REPO / "app.py")
#: First run: sample clips made, extracted (if not cached yet), aligned, rendered. Seconds.
FIRST_RUN_TIMEOUT_S = 600
#: A slider move must redraw the page well within this (the target is under a second), seconds.
RESCORE_LIMIT_S = 2.5
KEY = "sk-test-123"
METRICS = ["Overall", *(c.capitalize() for c in COMPONENTS)]


class Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.n = 0

    def wrap(self, fn):
        def counted(*args, **kwargs):
            with self._lock:
                self.n += 1
            return fn(*args, **kwargs)
        return counted


@pytest.fixture(scope="module")
def env(session_cache):
    """Cache folder, call counters on extraction and DTW, no LLM configured."""
    counts = {"extract": Counter(), "dtw": Counter()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine.io.extract, "extract", counts["extract"].wrap(engine.io.extract.extract))
        mp.setattr(engine.analysis.compare, "dtw", counts["dtw"].wrap(engine.analysis.compare.dtw))
        mp.setenv("DANCE_CACHE_DIR", str(session_cache))
        # The counters see calls in this process only: comparisons and renders run here, not in
        # child processes (the browser tests in tests/e2e run the app with its children).
        mp.setenv("DANCE_CHILD_PROCESSES", "0")
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_TIMEOUT_S"):
            mp.delenv(var, raising=False)
        yield {"cache": Path(session_cache), "counts": counts, "mp": mp}


@pytest.fixture(scope="module")
def page(env):
    at = AppTest.from_file(APP, default_timeout=FIRST_RUN_TIMEOUT_S)
    at.run()
    return at


@pytest.fixture(scope="module")
def expected(env, page):
    """The engine's own result on the sample clips the page compared (cache hits: no extraction)."""
    samples = env["cache"] / "samples"
    a = analyze(samples / "teacher.mp4", samples / "student.mp4", cache_dir=env["cache"],
                teacher_name="sample_teacher.mp4", student_name="sample_student.mp4")
    return a


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def overall(at: AppTest) -> float:
    value = metrics(at)["Overall"]
    assert re.fullmatch(r"\d+ / 100", value), value
    return float(value.split()[0])


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]


def all_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def assert_no_problem(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- first visit ----------------------------------------------------------------------------

def test_first_visit_compares_the_sample_clips(page, expected):
    assert_no_problem(page)
    assert page.radio(key="source").value == "Built-in sample clips"
    assert list(metrics(page)) == METRICS
    assert overall(page) == round(score(expected).overall)
    titles = chart_titles(page)
    assert len(titles) == 4
    assert any(t.startswith("Score over time") for t in titles)
    assert any(t.startswith("Time alignment") for t in titles)
    assert any(t.startswith("Joint scores over time") for t in titles)
    assert any(t.startswith("Per-joint scores") for t in titles)
    assert len(page.get("video")) == 3                      # side by side, teacher, student
    assert {b.key for b in page.get("download_button")} >= {"dl_video", "dl_report", "dl_csv"}
    text = all_text(page)
    assert "Feedback (rule-based):" in text and "sample_teacher.mp4" in text and "sample_student.mp4" in text
    assert "200 MB" in text                                 # the upload limit is stated


def test_the_built_in_samples_are_not_recorded_in_the_library(env, tmp_path):
    # They are everybody's demo, not the visitor's clips or attempts (signed in, each user's
    # library would otherwise start with two clips and a comparison they never made). A library
    # of its own: the session's is shared with tests that do record these files.
    from engine.library import LOCAL_ADMIN, Library

    url = f"sqlite:///{tmp_path / 'library.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANCE_DB_URL", url)
        at = AppTest.from_file(APP, default_timeout=FIRST_RUN_TIMEOUT_S)
        at.run()
        assert_no_problem(at)
        assert any(m.label == "Overall" for m in at.metric)        # the samples were compared
    with Library(url, user=LOCAL_ADMIN) as lib:
        assert lib.counts() == (0, 0)


def test_choosing_a_moment_seeks_every_video(page, expected):
    card = score(expected)
    assert card.moments, "the sample clips have injected mistakes"
    labels = page.selectbox(key="moment").options
    assert len(labels) == len(card.moments) + 1
    page.selectbox(key="moment").set_value(labels[2]).run()   # the second most important moment
    assert_no_problem(page)
    m = card.moments[1]
    starts = [v.proto.start_time for v in page.get("video")]
    first_pair_teacher_s = float(expected.teacher_s[0])
    assert starts == [int(m.teacher_s[0] - first_pair_teacher_s), int(m.teacher_s[0]), int(m.student_s[0])]
    page.selectbox(key="moment").set_value(labels[0]).run()


# --- sliders --------------------------------------------------------------------------------

def test_sliders_rescore_without_extraction_or_dtw(page, env, expected):
    counts = env["counts"]
    before = (counts["extract"].n, counts["dtw"].n)
    page.slider(key="w_pose").set_value(100)
    for c in COMPONENTS[1:]:
        page.slider(key=f"w_{c}").set_value(0)
    started = time.perf_counter()
    page.run()
    weights_s = time.perf_counter() - started
    assert_no_problem(page)
    assert metrics(page)["Overall"].split()[0] == metrics(page)["Pose"]   # only pose counts now

    page.slider(key="tol_shoulders").set_value(60)
    started = time.perf_counter()
    page.run()
    tolerance_s = time.perf_counter() - started
    base = ScoreSettings()
    want = score(expected, replace(base, weights={c: 100.0 if c == "pose" else 0.0 for c in COMPONENTS},
                                   tolerance_deg={**base.tolerance_deg, "shoulders": 60.0}))
    assert overall(page) == round(want.overall)
    assert (counts["extract"].n, counts["dtw"].n) == before
    assert weights_s < RESCORE_LIMIT_S and tolerance_s < RESCORE_LIMIT_S, (weights_s, tolerance_s)
    print(f"\nrescore after a slider move: weights {weights_s:.2f} s, tolerance {tolerance_s:.2f} s (AppTest run)")


def test_all_zero_weights_warn_and_keep_the_last_scores(page):
    page.slider(key="w_pose").set_value(100)
    for c in COMPONENTS[1:]:
        page.slider(key=f"w_{c}").set_value(0)
    page.run()
    before = overall(page)
    page.slider(key="w_pose").set_value(0).run()
    assert_no_problem(page)
    warnings = " ".join(w.value for w in page.warning)
    assert "All score weights are zero, so there is no overall score" in warnings
    assert "last weights that gave one" in warnings
    assert overall(page) == before and metrics(page)["Overall"].split()[0] == metrics(page)["Pose"]
    page.slider(key="w_timing").set_value(5).run()
    assert_no_problem(page)
    assert "All score weights are zero" not in " ".join(w.value for w in page.warning)
    assert overall(page) == float(metrics(page)["Timing"])   # timing alone counts now
    page.button(key="reset").click().run()


def test_alignment_settings_rerun_dtw_but_never_extraction(page, env):
    counts = env["counts"]
    extract_before, dtw_before = counts["extract"].n, counts["dtw"].n
    page.slider(key="band").set_value(0.5).run()
    assert_no_problem(page)
    assert counts["dtw"].n == dtw_before + 1
    assert counts["extract"].n == extract_before
    page.button(key="reset").click().run()
    assert page.slider(key="band").value == pytest.approx(0.2) and page.slider(key="w_pose").value == DEFAULT_COMPONENT_WEIGHTS["pose"]
    assert page.slider(key="tol_shoulders").value == 15


def test_an_unexpected_failure_is_a_message_never_a_traceback(page, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail the user must not see")

    monkeypatch.setattr(engine.analysis.score, "score", broken)
    page.run()
    assert not page.exception
    assert len(page.error) == 1
    message = page.error[0].value
    assert "Something went wrong (RuntimeError)" in message and "internal detail" not in message
    monkeypatch.undo()
    page.run()
    assert_no_problem(page)


# --- the coach ------------------------------------------------------------------------------

def test_ask_the_coach_without_a_key_explains_how_to_configure(page):
    page.button(key="ask_coach").click().run()
    assert_no_problem(page)
    info = " ".join(i.value for i in page.info)
    assert "OPENAI_API_KEY" in info and "OPENAI_BASE_URL" in info and "OPENAI_MODEL" in info
    assert "Feedback (rule-based):" in all_text(page)


def test_ask_the_coach_sends_the_metrics_to_the_llm_and_shows_its_answer(page, env, expected):
    answer = "Lovely lines; lift the left arm at 0:03.2 and hold the freeze shorter."
    with fake_openai_server("ok", text=answer) as (base_url, requests):
        env["mp"].setenv("OPENAI_API_KEY", KEY)
        env["mp"].setenv("OPENAI_BASE_URL", base_url)
        env["mp"].setenv("OPENAI_MODEL", "coach-test-model")
        try:
            page.button(key="ask_coach").click().run()
        finally:
            for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
                env["mp"].delenv(var)
    assert_no_problem(page)
    text = all_text(page)
    assert "From the coach (LLM)" in text and answer in text
    assert len(requests) == 1
    req = requests[0]
    assert req["path"] == "/v1/chat/completions" and req["authorization"] == f"Bearer {KEY}"
    assert req["body"]["model"] == "coach-test-model"
    content = req["body"]["messages"][-1]["content"]
    facts = json.loads(content[content.index("{"):])
    card = score(expected)
    assert facts["overall"] == pytest.approx(card.overall)
    assert facts["components"] == pytest.approx({c: card.components[c] for c in COMPONENTS})
    worst_joint, _ = min(card.joints.items(), key=lambda kv: (kv[1], kv[0]))
    assert facts["worst_joints"][0]["joint"] == worst_joint
    for entry in facts["worst_joints"]:     # a joint's first form moment, when it has one
        first_form = next((m for m in card.moments if m.kind == "form" and m.joint == entry["joint"]), None)
        assert entry.get("worst_moment_at") == (None if first_form is None else format_time(first_form.student_s[0]))
    assert len(json.dumps(req["body"])) < 20_000                   # metrics only, no video
    # The key is neither shown nor kept in the session.
    assert KEY not in text
    assert KEY not in repr({k: page.session_state[k] for k in page.session_state.filtered_state})


@pytest.mark.parametrize("mode, notice", [("error500", "HTTP 500"), ("slow", "did not answer within")])
def test_coach_failure_keeps_the_rule_based_paragraph_with_a_notice(page, env, mode, notice):
    with fake_openai_server(mode, delay_s=5.0) as (base_url, requests):
        env["mp"].setenv("OPENAI_API_KEY", KEY)
        env["mp"].setenv("OPENAI_BASE_URL", base_url)
        env["mp"].setenv("OPENAI_TIMEOUT_S", "0.5")
        try:
            started = time.perf_counter()
            page.button(key="ask_coach").click().run()
            took = time.perf_counter() - started
        finally:
            for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_TIMEOUT_S"):
                env["mp"].delenv(var)
    assert_no_problem(page)
    assert len(requests) == 1 and took < 5.0
    warnings = " ".join(w.value for w in page.warning)
    assert notice in warnings and "rule-based" in warnings and KEY not in warnings
    text = all_text(page)
    assert "Feedback (rule-based):" in text and "From the coach (LLM)" not in text


def test_the_report_download_is_a_valid_report(expected):
    card = score(expected)
    report = json.loads(report_json(expected, card, rules_feedback(card, ComparisonFacts.from_analysis(expected))))
    assert check_report(report) == []
    assert report["scores"]["overall"] == card.overall and report["feedback"]["source"] == "rules"


def test_the_key_is_never_written_to_disk(env):
    needle = KEY.encode()
    for p in env["cache"].rglob("*"):
        if p.is_file():
            assert needle not in p.read_bytes(), p


# --- uploads --------------------------------------------------------------------------------

def test_a_bad_upload_shows_its_error_next_to_the_clip(env):
    counts = env["counts"]
    student_bytes = (env["cache"] / "samples" / "student.mp4").read_bytes()
    bad_bytes = b"definitely not a video\n" * 10
    at = AppTest.from_file(APP, default_timeout=FIRST_RUN_TIMEOUT_S)
    at.run()
    extract_before = counts["extract"].n
    at.file_uploader(key="teacher_upload").set_value(("bad.mp4", bad_bytes, "video/mp4"))
    at.file_uploader(key="student_upload").set_value(("my student.mp4", student_bytes, "video/mp4"))
    at.run()
    assert not at.exception
    assert at.radio(key="source").value == "My own clips"         # dropping a file switched the source
    teacher_col, student_col = at.columns[0], at.columns[1]
    assert len(teacher_col.error) == 1
    message = teacher_col.error[0].value
    assert message.startswith("bad.mp4") and "not a video" in message, message   # the user's name, not the hash
    assert not student_col.error and "my student.mp4" in " ".join(c.value for c in student_col.caption)
    assert "Overall" not in metrics(at)                          # no result from a failed clip
    assert counts["extract"].n == extract_before + 1             # the bad clip reached the extractor once
    # Stored under content hashes, never the user's file names.
    folder = env["cache"] / "uploads" / at.session_state["sid"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{hashlib.sha256(bad_bytes).hexdigest()}.mp4",
                            f"{hashlib.sha256(student_bytes).hexdigest()}.mp4"])
    # A rerun does not extract the bad clip again; removing it deletes its file.
    at.run()
    assert counts["extract"].n == extract_before + 1
    at.file_uploader(key="teacher_upload").set_value(None)
    at.run()
    assert not at.exception
    assert sorted(p.name for p in folder.iterdir()) == [f"{hashlib.sha256(student_bytes).hexdigest()}.mp4"]
    assert "teacher" in " ".join(i.value for i in at.info)       # asks for the missing clip


def test_moments_and_feedback_speak_in_the_sample_musics_counts(page, expected):
    # The sample music is 120 BPM from 0 s: every moment has its teacher's count.
    from engine.present.feedback import describe_counts, moment_label
    card = score(expected)
    assert expected.beats.reason is None and round(expected.beats.bpm) == 120
    options = page.selectbox(key="moment").options
    assert options[1:] == [moment_label(i, m) for i, m in enumerate(card.moments)]
    assert card.moments and all("(student, 8-count " in o for o in options[1:])
    text = all_text(page)
    assert "teacher's dance counts (120 BPM" in text
    assert f"({describe_counts(card.moments[0].counts)})" in text       # in the coaching paragraph
