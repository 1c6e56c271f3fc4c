"""Tests for engine.present.feedback: rule-based text, the LLM prompt, env config, and the real openai
client against a fake OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py)."""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from types import SimpleNamespace

import numpy as np
import pytest

from engine.analysis.score import Moment, Scorecard, describe_form, describe_timing
from engine.core.errors import SettingsError
from engine.core.settings import ScoreSettings
from engine.present.feedback import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    MIRROR_NOTE,
    ComparisonFacts,
    Feedback,
    LLMConfig,
    build_prompt,
    format_time,
    llm_config_from_env,
    llm_feedback,
    rules_feedback,
)
from tests.fake_openai import fake_openai_server

KEY = "sk-test-123"
#: Each fake-server test must finish well inside this, seconds (no slow retries).
FAST_S = 5.0


# --- factories ------------------------------------------------------------------------------

def form(joint: str, error_deg: float, start: float, severity: float, dur: float = 0.8) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="form",
                  joint=joint, error_deg=error_deg, late_s=None, severity=severity,
                  detail=describe_form(joint, error_deg))


def timing(late_s: float, start: float, severity: float, dur: float = 0.6) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="timing",
                  joint=None, error_deg=None, late_s=late_s, severity=severity,
                  detail=f"{describe_timing(late_s)} (at worst) against the music")


def freeze(start: float, severity: float, dur: float = 1.2) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="freeze",
                  joint=None, error_deg=None, late_s=None, severity=severity,
                  detail=f"stood still for {dur:.1f} s while the teacher kept moving")


def default_moments() -> list[Moment]:
    """Most important first, as score.score returns them; the timing moment is fourth."""
    return [form("left_elbow", -34.0, 4.23, 90.0), freeze(9.1, 60.0), form("right_knee", 22.0, 12.5, 40.0),
            timing(0.42, 7.0, 30.0), form("neck", 25.0, 15.0, 10.0)]


def make_card(*, overall: float = 78.4, components: dict | None = None, joints: dict | None = None,
              joint_error_deg: dict | None = None, moments: list[Moment] | None = None,
              late_s: np.ndarray | None = None, k: int = 120) -> Scorecard:
    components = {"pose": 81.0, "timing": 90.2, "trajectory": 70.1, "silhouette": 75.5, "dynamics": 66.0} \
        if components is None else components
    joints = {"left_elbow": 52.0, "right_knee": 71.5, "left_knee": 95.0, "right_hip": 93.5, "neck": 80.0,
              "torso": 88.0} if joints is None else joints
    joint_error_deg = {"left_elbow": 21.3, "right_knee": 12.0, "left_knee": 3.1, "right_hip": 2.0, "neck": 9.0,
                       "torso": 4.0} if joint_error_deg is None else joint_error_deg
    t = np.arange(k) / 30.0
    return Scorecard(overall=overall, components=components, joints=joints, joint_error_deg=joint_error_deg,
                     teacher_s=t + 0.5, student_s=t, timeline=np.full(k, overall),
                     joint_timeline=np.full((k, 14), overall), late_s=np.zeros(k) if late_s is None else late_s,
                     moments=default_moments() if moments is None else moments, settings=ScoreSettings())


def make_facts(**kw) -> ComparisonFacts:
    base = dict(teacher_file="teacher.mp4", student_file="student.mp4", mirror=False, sync_method="audio",
                sync_offset_s=0.81, sync_confidence=0.9, teacher_active_s=(0.4, 20.1),
                student_active_s=(0.0, 19.3), compared_s=19.7)
    return ComparisonFacts(**{**base, **kw})


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert all(i >= 0 for i in found), f"missing {[n for n, i in zip(needles, found) if i < 0]} in: {text}"
    return found


# --- helpers --------------------------------------------------------------------------------

@pytest.mark.parametrize("t, expected", [
    (0.0, "0:00.0"), (4.23, "0:04.2"), (4.26, "0:04.3"), (59.97, "1:00.0"), (83.4, "1:23.4"),
    (600.0, "10:00.0"), (-0.3, "0:00.0"), (float("nan"), "0:00.0")])
def test_format_time(t, expected):
    assert format_time(t) == expected


# --- rules_feedback -------------------------------------------------------------------------

@pytest.mark.parametrize("overall, words", [
    (92.0, "very close"), (85.0, "very close"), (84.9, "good, with a few things to fix"),
    (70.0, "good, with a few things to fix"), (60.0, "on the way"), (30.0, "still far")])
def test_rules_band_words(overall, words):
    fb = rules_feedback(make_card(overall=overall), make_facts())
    assert fb.source == "rules" and fb.notice is None
    assert words in fb.text
    assert f"{overall:.0f} out of 100" in fb.text


def test_rules_top_three_fixes_in_order_with_timestamps():
    moments = default_moments()
    text = rules_feedback(make_card(moments=moments), make_facts()).text
    needles = []
    for m in moments[:3]:
        needles += [f"at {format_time(m.student_s[0])}", m.detail]
    found = positions(text, needles)
    assert found == sorted(found), text
    assert "at 0:04.2, left elbow 34 degrees more bent than the teacher" in text
    assert moments[4].detail not in text   # only three fixes


def test_rules_timing_note_from_timing_moment_outside_top_three():
    text = rules_feedback(make_card(), make_facts()).text
    assert "watch 0:07.0, where you were late by 0.4 s" in text


def test_rules_timing_moment_in_top_three_is_not_repeated():
    moments = [timing(-0.5, 3.0, 99.0), form("left_elbow", -34.0, 4.23, 90.0)]
    text = rules_feedback(make_card(moments=moments), make_facts()).text
    assert "at 0:03.0, early by 0.5 s (at worst) against the music" in text
    assert text.count("0:03.0") == 1
    assert "apart from the timing slip above" in text


@pytest.mark.parametrize("late, words", [(0.3, "behind the music, by about 0.3 s"),
                                         (-0.25, "rushed ahead of the music"),
                                         (0.05, "mostly with the music")])
def test_rules_timing_tendency(late, words):
    text = rules_feedback(make_card(late_s=np.full(120, late), moments=[]), make_facts()).text
    assert words in text


def test_rules_without_timing_reference_says_so_without_a_score():
    card = make_card(components={"pose": 81.0, "timing": None, "trajectory": 70.1, "silhouette": None,
                                 "dynamics": 66.0}, late_s=np.full(120, np.nan), moments=[])
    text = rules_feedback(card, make_facts(sync_method="none", sync_confidence=0.0)).text
    assert "Timing against the music was not checked" in text
    assert "On timing" not in text


@pytest.mark.parametrize("mirror", [False, True])
def test_rules_mirror_note_only_when_mirrored(mirror):
    text = rules_feedback(make_card(), make_facts(mirror=mirror)).text
    assert (MIRROR_NOTE in text) is mirror
    assert ("mirrored" in text) is mirror


def test_rules_no_moments_praise_and_weakest_joint():
    text = rules_feedback(make_card(overall=91.0, moments=[]), make_facts()).text
    assert "No single moment stood out" in text
    assert "work on your left elbow (score 52, about 21 degrees off on average)" in text
    assert "Fix" not in text


def test_rules_strengths_name_best_components_and_joints():
    text = rules_feedback(make_card(), make_facts()).text
    assert "body positions (81) and shape and extension (76)" in text
    assert "timing (90)" not in text.split(".")[1]   # timing gets its own sentence
    assert "left knee and right hip matched the teacher most closely" in text


@pytest.mark.parametrize("card", [
    make_card(components={"pose": 81.0, "timing": None, "trajectory": float("nan"), "silhouette": None,
                          "dynamics": None},
              joint_error_deg={"left_elbow": float("nan")}, late_s=np.full(120, np.nan), moments=[]),
    make_card(overall=float("nan"), components={c: None for c in ("pose", "timing")}, joints={},
              joint_error_deg={}, late_s=np.full(120, np.nan), moments=[]),
    make_card(joints={"left_elbow": float("nan"), "neck": 60.0}, moments=[timing(float("nan"), 1.0, 5.0)]),
], ids=["missing-components", "nothing-measured", "nan-joint"])
def test_rules_never_leak_none_or_nan(card):
    text = rules_feedback(card, make_facts()).text
    assert "None" not in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), text
    assert 3 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 6, text


def test_rules_sentence_count_and_determinism():
    card, facts = make_card(), make_facts(mirror=True)
    a, b = rules_feedback(card, facts), rules_feedback(card, facts)
    assert a == b
    # "0:04.2"-style decimals are not sentence ends: count ". " and the final ".".
    assert 3 <= len(re.findall(r"\.(?:\s|$)", a.text)) <= 6, a.text


def test_feedback_to_json_matches_report_contract():
    assert Feedback("llm", "Hi.", notice="x").to_json() == {"source": "llm", "text": "Hi."}


# --- build_prompt ---------------------------------------------------------------------------

def _user_payload(messages: list[dict]) -> dict:
    content = messages[1]["content"]
    return json.loads(content[content.index("{"):])


def test_build_prompt_is_pure_and_deterministic():
    card = make_card()
    facts = make_facts(mirror=True)
    moments_before, joints_before = copy.deepcopy(card.moments), copy.deepcopy(card.joints)
    late_before = card.late_s.copy()
    first, second = build_prompt(card, facts), build_prompt(card, facts)
    assert first == second
    assert card.moments == moments_before and card.joints == joints_before
    np.testing.assert_array_equal(card.late_s, late_before)
    assert [m["role"] for m in first] == ["system", "user"]


def test_build_prompt_content():
    messages = build_prompt(make_card(), make_facts(mirror=True))
    system, user = messages[0]["content"], messages[1]["content"]
    assert "4 to 6 sentences" in system and "do not invent numbers" in system
    payload = _user_payload(messages)
    assert payload["overall"] == 78.4
    assert payload["worst_joints"][0] == {"joint": "left_elbow", "score": 52.0, "mean_error_deg": 21.3,
                                          "worst_moment_at": "0:04.2"}
    assert len(payload["worst_joints"]) == 4
    assert payload["moments"][0]["student_time"] == "0:04.2-0:05.0"
    assert payload["moments"][0]["error_deg"] == -34.0
    assert payload["moments"][3]["late_s"] == 0.42
    assert payload["mirror"] is True
    assert payload["sync"] == {"method": "audio", "offset_s": 0.81, "confidence": 0.9}
    assert payload["active_s"] == {"teacher": [0.4, 20.1], "student": [0.0, 19.3]}
    assert "NaN" not in user and KEY not in user and "sk-" not in user


def test_build_prompt_uses_base_file_names_and_nulls():
    card = make_card(components={"pose": 81.0, "timing": None, "trajectory": float("nan"), "silhouette": None,
                                 "dynamics": 66.0}, late_s=np.full(120, np.nan))
    facts = make_facts(teacher_file="/home/ana/private/teacher.mp4", student_file=r"C:\Users\ana\me.mov")
    messages = build_prompt(card, facts)
    text = json.dumps(messages)
    assert "/home/ana" not in text and "Users" not in text
    payload = _user_payload(messages)
    assert payload["clips"] == {"teacher": "teacher.mp4", "student": "me.mov"}
    assert payload["components"]["timing"] is None and payload["components"]["trajectory"] is None
    assert payload["timing"] is None


# --- llm_config_from_env --------------------------------------------------------------------

@pytest.mark.parametrize("env", [{}, {"OPENAI_API_KEY": ""}, {"OPENAI_API_KEY": "   "}])
def test_config_none_without_key(env):
    assert llm_config_from_env(env) is None


def test_config_from_env_values_and_hidden_key():
    config = llm_config_from_env({"OPENAI_API_KEY": KEY, "OPENAI_MODEL": "my-model",
                                  "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_TIMEOUT_S": "2.5"})
    assert config == LLMConfig(api_key=KEY, model="my-model", base_url="http://127.0.0.1:9/v1", timeout_s=2.5)
    assert KEY not in repr(config) and KEY not in str(config)


def test_config_defaults():
    config = llm_config_from_env({"OPENAI_API_KEY": KEY})
    assert (config.model, config.base_url, config.timeout_s, config.max_retries) == \
        (DEFAULT_MODEL, None, DEFAULT_TIMEOUT_S, DEFAULT_MAX_RETRIES)
    assert config.max_retries == 0


@pytest.mark.parametrize("value", ["soon", "0", "-3", "inf"])
def test_config_bad_timeout(value):
    with pytest.raises(SettingsError, match="OPENAI_TIMEOUT_S") as info:
        llm_config_from_env({"OPENAI_API_KEY": KEY, "OPENAI_TIMEOUT_S": value})
    assert KEY not in str(info.value)


# --- ComparisonFacts.from_analysis ------------------------------------------------------------

def test_facts_from_analysis():
    a = SimpleNamespace(
        teacher=SimpleNamespace(source=SimpleNamespace(file="t.mp4")),
        student=SimpleNamespace(source=SimpleNamespace(file="clips/s.mp4")),
        sync=SimpleNamespace(method="motion", offset_s=np.float64(-1.25), confidence=0.55,
                             teacher_active_s=(0.5, 10.0), student_active_s=(1.75, 11.25)),
        mirror=np.bool_(True), teacher_s=np.linspace(0.5, 10.0, 50))
    facts = ComparisonFacts.from_analysis(a)
    assert facts == ComparisonFacts(teacher_file="t.mp4", student_file="s.mp4", mirror=True, sync_method="motion",
                                    sync_offset_s=-1.25, sync_confidence=0.55, teacher_active_s=(0.5, 10.0),
                                    student_active_s=(1.75, 11.25), compared_s=9.5)
    assert type(facts.mirror) is bool and type(facts.sync_offset_s) is float


# --- llm_feedback over real HTTP ----------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """The fake server is local: make sure no proxy from the environment sits in between."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _ask(base_url: str, *, timeout_s: float = 3.0, card: Scorecard | None = None) -> tuple[Feedback, float]:
    config = LLMConfig(api_key=KEY, base_url=base_url, timeout_s=timeout_s)
    start = time.monotonic()
    fb = llm_feedback(card or make_card(), make_facts(), config)
    return fb, time.monotonic() - start


def test_llm_ok_sends_metrics_and_returns_text():
    answer = "You are close: lift the left elbow at 0:04.2 and stay on the beat."
    with fake_openai_server("ok", text=answer) as (base_url, requests):
        fb, took = _ask(base_url)
    assert fb == Feedback(source="llm", text=answer, notice=None)
    assert took < FAST_S
    assert len(requests) == 1
    req = requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["authorization"] == f"Bearer {KEY}"
    body = req["body"]
    assert body["model"] == DEFAULT_MODEL
    sent = json.dumps(body["messages"])
    assert "78.4" in sent and "left_elbow" in sent and "0:04.2" in sent
    assert KEY not in sent


def test_llm_also_served_without_v1_prefix():
    with fake_openai_server("ok", text="Fine.") as (base_url, requests):
        fb, _ = _ask(base_url.removesuffix("/v1"))
    assert fb.source == "llm" and requests[0]["path"] == "/chat/completions"


@pytest.mark.parametrize("mode, words", [
    ("error500", "HTTP 500"),
    ("unauthorized", "authentication failed: check OPENAI_API_KEY"),
    ("ratelimit", "rate limit"),
    ("empty", "empty answer"),
])
def test_llm_failures_fall_back_to_rules(mode, words, caplog):
    caplog.set_level(logging.DEBUG)
    with fake_openai_server(mode) as (base_url, requests):
        fb, took = _ask(base_url)
    assert took < FAST_S
    assert len(requests) == 1  # no retries
    assert fb.source == "rules"
    assert fb.text == rules_feedback(make_card(), make_facts()).text
    assert fb.notice and words in fb.notice and "rule-based feedback" in fb.notice
    assert KEY not in fb.notice and KEY not in repr(fb) and KEY not in caplog.text


def test_llm_timeout_falls_back_quickly():
    with fake_openai_server("slow", delay_s=10.0) as (base_url, requests):
        fb, took = _ask(base_url, timeout_s=0.5)
    assert took < 3.0
    assert len(requests) == 1
    assert fb.source == "rules"
    assert "did not answer within 0.5 s" in fb.notice and "OPENAI_TIMEOUT_S" in fb.notice


def test_llm_connection_refused():
    with fake_openai_server("ok") as (base_url, _):
        pass  # the server is gone: its port now refuses connections
    fb, took = _ask(base_url)
    assert took < FAST_S
    assert fb.source == "rules"
    assert "could not be reached" in fb.notice and "127.0.0.1" in fb.notice


def test_llm_client_factory_is_used_and_closed():
    calls = []

    class FakeClient:
        def __init__(self):
            self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))
            self.closed = False

        def create(self, **kwargs):
            calls.append(kwargs)
            msg = SimpleNamespace(content="  Keep going.  ")
            return SimpleNamespace(choices=[SimpleNamespace(message=msg)])

        def close(self):
            self.closed = True

    client = FakeClient()
    config = LLMConfig(api_key=KEY, model="m", max_tokens=300)
    fb = llm_feedback(make_card(), make_facts(), config, client_factory=lambda c: client)
    assert fb == Feedback("llm", "Keep going.")
    assert client.closed
    assert calls[0]["model"] == "m" and calls[0]["max_tokens"] == 300
    assert calls[0]["messages"] == build_prompt(make_card(), make_facts())


def test_llm_config_validation_hides_key():
    with pytest.raises(SettingsError, match="timeout") as info:
        LLMConfig(api_key=KEY, timeout_s=0)
    assert KEY not in str(info.value)
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        LLMConfig(api_key="")
