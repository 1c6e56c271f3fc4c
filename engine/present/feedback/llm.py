"""Scorecard -> coaching paragraph by an OpenAI-compatible chat model, with safe fallbacks.

`llm_feedback` asks the model for the paragraph and, whatever goes wrong (no connection, timeout,
bad key, rate limit, server error, empty answer), returns the rule-based paragraph with a
`notice` saying in plain words what happened and what to do.

The API key lives only in `LLMConfig.api_key`: it is hidden from the config's repr, never put in a
prompt, a notice or a log line, and never written to disk. Notices are built from our own words
and the HTTP status only, never from the server's error text (OpenAI echoes part of a wrong key).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from engine.analysis.score import SCALE, Moment, Scorecard
from engine.core.errors import SettingsError
from engine.present.feedback.rules import (
    N_BEST_JOINTS,
    ComparisonFacts,
    Feedback,
    base_name,
    joints_worst_first,
    moment_time,
    rules_feedback,
    timing_tendency,
    timing_tolerance,
    usable_moments,
)
from engine.present.feedback.wording import (
    describe_counts,
    describe_moment,
    finite,
    format_time,
)

logger = logging.getLogger(__name__)

#: Default chat model and timeout when the environment does not say.
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 30.0
#: Retries inside the openai client. 0: a failure falls back to the rule-based text at once
#: instead of keeping the user waiting through the client's exponential back-off.
DEFAULT_MAX_RETRIES = 0
#: Environment variables read by `llm_config_from_env`.
ENV_KEY = "OPENAI_API_KEY"
ENV_MODEL = "OPENAI_MODEL"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_TIMEOUT = "OPENAI_TIMEOUT_S"
#: Moments and worst joints given to the model.
N_PROMPT_MOMENTS = 5
N_PROMPT_WORST_JOINTS = 4

RULES_FALLBACK = "showing the rule-based feedback."

SYSTEM_PROMPT = (
    "You are a kind, precise dance coach. A student filmed themself dancing a choreography and "
    "software compared it with the teacher's video; you receive its measurements as JSON. "
    "Write one paragraph of 4 to 6 sentences addressed to the student: start with an honest "
    "overall verdict, name what went well, then the most important fixes in order, each with its "
    "timestamp in the student's video exactly as given (m:ss.s) and, when a moment has a "
    "teacher_count, those dance counts too (dancers think in counts). Keep timing (early or late "
    "against the music) separate from form (joint angles, shape). Use only the metrics given and "
    "do not invent numbers, body parts or moments; a metric that is missing was not measured. "
    "Left and right are the student's own. If the student danced mirrored, say briefly that this "
    "is fine. No lists, no headings, no greeting.")


@dataclass(frozen=True)
class LLMConfig:
    """How to reach an OpenAI-compatible chat model. The key never appears in the repr.

    Attributes
    ----------
    api_key : secret; hidden from repr
    model : chat model name
    base_url : API root such as "http://127.0.0.1:8000/v1"; None: the openai default
    timeout_s : per-request timeout, seconds
    max_retries : retries inside the openai client (0 by default: fail over to rules at once)
    max_tokens : answer length cap, tokens; None sends no cap (some models reject `max_tokens`)
    """

    api_key: str = field(repr=False)
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.api_key:
            raise SettingsError(f"An API key is needed for LLM feedback; set {ENV_KEY}.")
        if not (self.timeout_s > 0 and math.isfinite(self.timeout_s)):
            raise SettingsError(f"The LLM timeout must be a positive number of seconds, got {self.timeout_s}.")
        if self.max_retries < 0:
            raise SettingsError(f"max_retries must be >= 0, got {self.max_retries}.")



# --- LLM prompt -----------------------------------------------------------------------------

def _num(x: Any, ndigits: int) -> float | None:
    """Rounded finite number, or None (never NaN in the prompt's JSON)."""
    return round(float(x), ndigits) if finite(x) else None


def _moment_facts(m: Moment) -> dict:
    out: dict[str, Any] = {"kind": m.kind, "student_time": f"{format_time(m.student_s[0])}-{format_time(m.student_s[1])}",
                           "teacher_time": f"{format_time(m.teacher_s[0])}-{format_time(m.teacher_s[1])}",
                           "detail": describe_moment(m)}
    if m.counts is not None:
        out["teacher_count"] = describe_counts(m.counts)
    if m.joint:
        out["joint"] = m.joint
    if finite(m.error_deg):
        out["error_deg"] = _num(m.error_deg, 1)
    if finite(m.late_s):
        out["late_s"] = _num(m.late_s, 2)
    return out


def _prompt_facts(card: Scorecard, facts: ComparisonFacts) -> dict:
    first_moment = {}
    moments = usable_moments(card)
    for m in moments:
        if m.kind == "form" and m.joint and m.joint not in first_moment:
            first_moment[m.joint] = moment_time(m)
    worst = []
    for name, v in joints_worst_first(card)[:N_PROMPT_WORST_JOINTS]:
        entry: dict[str, Any] = {"joint": name, "score": _num(v, 1),
                                 "median_error_deg": _num(card.joint_error_deg.get(name), 1)}
        if name in first_moment:
            entry["worst_moment_at"] = first_moment[name]
        worst.append(entry)
    tendency = timing_tendency(card)
    timing = None
    if tendency is not None or finite(card.components.get("timing")):
        timing = {"score": _num(card.components.get("timing"), 1),
                  "tendency": None if tendency is None else {"late": "late", "early": "early",
                                                             "on": "on time"}[tendency[0]],
                  "median_late_s": None if tendency is None else _num(tendency[1], 2),
                  "tolerance_s": _num(timing_tolerance(card), 2)}
    return {
        "clips": {"teacher": base_name(facts.teacher_file), "student": base_name(facts.student_file)},
        "overall": _num(card.overall, 1),
        "components": {name: _num(v, 1) for name, v in card.components.items()},
        "worst_joints": worst,
        "best_joints": [{"joint": n, "score": _num(v, 1)}
                        for n, v in sorted(joints_worst_first(card), key=lambda kv: (-kv[1], kv[0]))[:N_BEST_JOINTS]],
        "moments": [_moment_facts(m) for m in moments[:N_PROMPT_MOMENTS]],
        "timing": timing,
        "mirror": bool(facts.mirror),
        "sync": {"method": facts.sync_method, "offset_s": _num(facts.sync_offset_s, 2),
                 "confidence": _num(facts.sync_confidence, 2)},
        "active_s": {"teacher": [_num(t, 2) for t in facts.teacher_active_s],
                     "student": [_num(t, 2) for t in facts.student_active_s]},
        "compared_s": _num(facts.compared_s, 1),
        "music": ({"bpm": _num(card.beats.bpm, 1), "counts": "teacher_count: 8-count and count of the teacher's music "
                   "(two 4/4 bars per 8-count; pickup = before the first downbeat)"}
                  if card.beats.has_counts else {"counts": None, "why_no_counts": card.beats.reason}),
        "not_in_view": list(card.not_in_view),
        "notes": [f"Scores are 0..100: {SCALE}; null = not measured.",
                  "pose: how each limb moves with the teacher's; not_in_view: joints a clip does not show, "
                  "not scored.",
                  "error_deg: student angle minus teacher angle; late_s > 0 late, < 0 early.",
                  "Times are the student's video time (m:ss.s) unless named teacher_time."],
    }


def build_prompt(card: Scorecard, facts: ComparisonFacts) -> list[dict]:
    """Chat messages asking for the coaching paragraph. Pure and deterministic.

    Returns
    -------
    list of dict
        [{"role": "system", ...}, {"role": "user", ...}]; the user message is compact JSON of
        the scores, worst joints, top moments (student's timestamps), timing, mirror and sync.
        No paths beyond base file names, no key.
    """
    payload = json.dumps(_prompt_facts(card, facts), separators=(",", ":"), allow_nan=False)
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": "Measurements of the student's dance compared with the teacher's:\n"
                                        + payload}]


# --- LLM call -------------------------------------------------------------------------------

def llm_config_from_env(env: Mapping[str, str] = os.environ) -> LLMConfig | None:
    """LLM settings from the environment; None when OPENAI_API_KEY is unset or empty.

    Reads OPENAI_API_KEY, OPENAI_MODEL (default "gpt-4o-mini"), OPENAI_BASE_URL (default: the
    openai client's) and OPENAI_TIMEOUT_S (default 30).

    Raises
    ------
    SettingsError
        OPENAI_TIMEOUT_S is not a positive number.
    """
    key = (env.get(ENV_KEY) or "").strip()
    if not key:
        return None
    raw_timeout = (env.get(ENV_TIMEOUT) or "").strip()
    try:
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_S
    except ValueError:
        raise SettingsError(f"{ENV_TIMEOUT} must be a number of seconds, got {raw_timeout!r}.") from None
    if not (timeout > 0 and math.isfinite(timeout)):
        raise SettingsError(f"{ENV_TIMEOUT} must be a positive number of seconds, got {raw_timeout!r}.")
    return LLMConfig(api_key=key, model=(env.get(ENV_MODEL) or "").strip() or DEFAULT_MODEL,
                     base_url=(env.get(ENV_BASE_URL) or "").strip() or None, timeout_s=timeout)


def _default_client(config: LLMConfig) -> Any:
    import openai
    return openai.OpenAI(api_key=config.api_key, base_url=config.base_url, timeout=config.timeout_s,
                         max_retries=config.max_retries)


def _host(config: LLMConfig) -> str:
    """Host (and port) of the service, without any credentials a URL might carry."""
    if not config.base_url:
        return "api.openai.com"
    parts = urlsplit(config.base_url)
    host = parts.hostname or "the configured address"
    return f"{host}:{parts.port}" if parts.port else host


def _failure_notice(exc: Exception, config: LLMConfig) -> str:
    """Plain words for what went wrong and what to do. Never the server's own error text."""
    import openai
    if isinstance(exc, openai.APITimeoutError):
        what = (f"The coach did not answer within {config.timeout_s:g} s (try again, or raise "
                f"{ENV_TIMEOUT})")
    elif isinstance(exc, openai.APIConnectionError):
        what = (f"The coach could not be reached (no connection to {_host(config)}: check the network "
                f"and {ENV_BASE_URL})")
    elif isinstance(exc, openai.AuthenticationError):
        what = f"The coach could not be reached (authentication failed: check {ENV_KEY})"
    elif isinstance(exc, openai.PermissionDeniedError):
        what = (f"The coach refused the request (permission denied for model {config.model!r}: check "
                f"{ENV_KEY} and {ENV_MODEL})")
    elif isinstance(exc, openai.RateLimitError):
        what = "The coach is busy or out of quota (rate limit reached: try again in a minute or check your plan)"
    elif isinstance(exc, (openai.NotFoundError, openai.BadRequestError)):
        what = (f"The coach service rejected the request (HTTP {exc.status_code}: check {ENV_MODEL}, "
                f"now {config.model!r}, and {ENV_BASE_URL})")
    elif isinstance(exc, openai.APIStatusError):
        what = f"The coach service had a problem (HTTP {exc.status_code}: try again later)"
    elif isinstance(exc, openai.APIError):
        what = f"The coach sent an answer that could not be read (check {ENV_BASE_URL})"
    else:
        what = "The coach could not be asked (unexpected error in the client)"
    return f"{what}; {RULES_FALLBACK}"


def _answer_text(response: Any) -> str:
    """The first choice's text, stripped; "" when there is none."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    return content.strip() if isinstance(content, str) else ""


def llm_feedback(card: Scorecard, facts: ComparisonFacts, config: LLMConfig, *,
                 client_factory: Callable[[LLMConfig], Any] | None = None) -> Feedback:
    """Ask an OpenAI-compatible chat model for the coaching paragraph.

    Parameters
    ----------
    card, facts : as for `rules_feedback`
    config : model, base URL, timeout, key
    client_factory : builds the client from `config` (default: `openai.OpenAI(...)`); the client
        needs `chat.completions.create(model=..., messages=...)` and may have `close()`

    Returns
    -------
    Feedback
        source "llm" with the model's text; or, on timeout, connection, authentication, rate
        limit or server errors and on an empty answer, `rules_feedback(...)` with a `notice`
        saying what happened and what to do. Errors are not raised.
    """
    import openai

    messages = build_prompt(card, facts)
    kwargs: dict[str, Any] = {"model": config.model, "messages": messages}
    if config.max_tokens is not None:
        kwargs["max_tokens"] = config.max_tokens
    factory = client_factory or _default_client
    client = None
    try:
        client = factory(config)
        response = client.chat.completions.create(**kwargs)
    except openai.OpenAIError as exc:
        # Type and status only: the server's message may quote part of the key.
        logger.warning("LLM feedback failed (%s, status %s); using rule-based feedback",
                       type(exc).__name__, getattr(exc, "status_code", None))
        return replace(rules_feedback(card, facts), notice=_failure_notice(exc, config))
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
    text = _answer_text(response)
    if not text:
        logger.warning("LLM feedback: empty answer from model %s; using rule-based feedback", config.model)
        return replace(rules_feedback(card, facts),
                       notice=f"The coach returned an empty answer (model {config.model!r}); {RULES_FALLBACK}")
    return Feedback(source="llm", text=text)
