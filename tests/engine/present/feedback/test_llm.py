"""Tests for engine.present.feedback.llm: the prompt, env config, and the real openai client against a
fake OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py)."""

from __future__ import annotations

import copy
import json
import logging
import time
from types import SimpleNamespace

import numpy as np
import pytest

from engine.analysis.score import Scorecard
from engine.core.errors import SettingsError
from engine.core.settings import ScoreSettings
from engine.analysis.score import SCALE
from engine.present.feedback import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    Feedback,
    LLMConfig,
    build_prompt,
    llm_config_from_env,
    llm_feedback,
    rules_feedback,
)
from tests.factories import feedback_card, make_facts
from tests.fake_openai import fake_openai_server

#: A fake OpenAI key: it must never reach a prompt, a repr, an error or a log.
KEY = "sk-test-123"
#: Each fake-server test must finish well inside this, seconds (no slow retries).
FAST_S = 5.0


# --- build_prompt ---------------------------------------------------------------------------

def _user_payload(messages: list[dict]) -> dict:
    content = messages[1]["content"]
    return json.loads(content[content.index("{"):])


def test_build_prompt_is_pure_and_deterministic():
    card = feedback_card()
    facts = make_facts(mirror=True)
    moments_before, joints_before = copy.deepcopy(card.moments), copy.deepcopy(card.joints)
    late_before = card.late_s.copy()
    first, second = build_prompt(card, facts), build_prompt(card, facts)
    assert first == second
    assert card.moments == moments_before and card.joints == joints_before
    np.testing.assert_array_equal(card.late_s, late_before)
    assert [m["role"] for m in first] == ["system", "user"]


def test_build_prompt_content():
    messages = build_prompt(feedback_card(), make_facts(mirror=True))
    system, user = messages[0]["content"], messages[1]["content"]
    assert "4 to 6 sentences" in system and "do not invent numbers" in system
    payload = _user_payload(messages)
    assert payload["overall"] == 78.4
    assert payload["worst_joints"][0] == {"joint": "left_elbow", "score": 52.0, "median_error_deg": 21.3,
                                          "worst_moment_at": "0:04.2"}
    assert len(payload["worst_joints"]) == 4
    assert payload["moments"][0]["student_time"] == "0:04.2-0:05.0"
    assert payload["moments"][0]["error_deg"] == -34.0
    assert payload["moments"][3]["late_s"] == 0.42
    assert payload["mirror"] is True
    assert payload["sync"] == {"method": "audio", "offset_s": 0.81, "confidence": 0.9}
    assert payload["active_s"] == {"teacher": [0.4, 20.1], "student": [0.0, 19.3]}
    assert "NaN" not in user and KEY not in user and "sk-" not in user
    assert any(SCALE in note for note in payload["notes"]) and payload["not_in_view"] == []


def test_build_prompt_timing_tolerance_comes_from_the_settings():
    card = feedback_card(late_s=np.full(120, 0.3), settings=ScoreSettings(timing_tolerance_s=0.4))
    timing = _user_payload(build_prompt(card, make_facts()))["timing"]
    assert timing == {"score": 90.2, "tendency": "on time", "median_late_s": 0.3, "tolerance_s": 0.4}


def test_build_prompt_moment_detail_is_the_wording():
    payload = _user_payload(build_prompt(feedback_card(), make_facts()))
    assert [m["detail"] for m in payload["moments"]] == [
        "left elbow 34 degrees more bent than the teacher", "stood still for 1.2 s while the teacher kept moving",
        "right knee 22 degrees straighter than the teacher", "late by 0.4 s (at worst) against the music",
        "head tilted 25 degrees more than the teacher"]


def test_build_prompt_uses_base_file_names_and_nulls():
    card = feedback_card(components={"pose": 81.0, "timing": None, "trajectory": float("nan"), "silhouette": None,
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


# --- llm_feedback over real HTTP ----------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """The fake server is local: make sure no proxy from the environment sits in between."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _ask(base_url: str, *, timeout_s: float = 3.0, card: Scorecard | None = None) -> tuple[Feedback, float]:
    config = LLMConfig(api_key=KEY, base_url=base_url, timeout_s=timeout_s)
    start = time.monotonic()
    fb = llm_feedback(card or feedback_card(), make_facts(), config)
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
    assert fb.text == rules_feedback(feedback_card(), make_facts()).text
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
    fb = llm_feedback(feedback_card(), make_facts(), config, client_factory=lambda c: client)
    assert fb == Feedback("llm", "Keep going.")
    assert client.closed
    assert calls[0]["model"] == "m" and calls[0]["max_tokens"] == 300
    assert calls[0]["messages"] == build_prompt(feedback_card(), make_facts())


def test_llm_config_validation_hides_key():
    with pytest.raises(SettingsError, match="timeout") as info:
        LLMConfig(api_key=KEY, timeout_s=0)
    assert KEY not in str(info.value)
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        LLMConfig(api_key="")


def test_build_prompt_gives_each_moment_its_teacher_count_and_the_tempo():
    from dataclasses import replace

    from engine.analysis.beats import BeatGrid, no_beats
    card = feedback_card()
    counted = replace(card, moments=[replace(m, counts=((1, 2 + i), (1, 3 + i))) for i, m in enumerate(card.moments)],
                      beats=BeatGrid(beats_s=np.arange(40) * 0.6, bpm=100.0))
    payload = _user_payload(build_prompt(counted, make_facts()))
    assert [m["teacher_count"] for m in payload["moments"]][:2] == ["8-count 1, count 2-3", "8-count 1, count 3-4"]
    assert payload["music"]["bpm"] == 100.0 and "8-count" in payload["music"]["counts"]
    assert "teacher_count" in build_prompt(counted, make_facts())[0]["content"]
    plain = _user_payload(build_prompt(replace(card, beats=no_beats("the teacher's music has no steady beat")),
                                       make_facts()))
    assert all("teacher_count" not in m for m in plain["moments"])
    assert plain["music"] == {"counts": None, "why_no_counts": "the teacher's music has no steady beat"}
