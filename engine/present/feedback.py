"""Scorecard -> coaching paragraph: rule-based text, and the same facts asked of an LLM.

`rules_feedback` always works (no network, deterministic). `llm_feedback` asks an
OpenAI-compatible chat model for the paragraph and, whatever goes wrong (no connection, timeout,
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
import numbers
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from engine.analysis.score import Moment, Scorecard, describe_timing
from engine.core.errors import SettingsError

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis

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

#: Overall-score bands, highest first: (lowest score in the band, verdict words).
SCORE_BANDS: tuple[tuple[float, str], ...] = (
    (85.0, "very close to the teacher"),
    (70.0, "good, with a few things to fix"),
    (50.0, "on the way, with the outline of the routine in place but several parts to work on"),
    (-math.inf, "still far from the teacher, so take it slower and learn it section by section"),
)
#: A component at or above this counts as a strength worth naming.
STRONG_COMPONENT = 70.0
#: Fixes named in the rule-based text, and moments / worst joints given to the LLM.
N_FIXES = 3
N_PROMPT_MOMENTS = 5
N_PROMPT_WORST_JOINTS = 4
N_BEST_JOINTS = 2
#: Component names as a dance teacher says them.
COMPONENT_WORDS: dict[str, str] = {
    "pose": "body positions", "timing": "timing", "trajectory": "floor pattern",
    "silhouette": "shape and extension", "dynamics": "energy and accents"}
#: Joint names in words (others: "left_knee" -> "left knee").
JOINT_WORDS: dict[str, str] = {"neck": "head", "torso": "torso"}
#: Fallback timing tolerance when a scorecard carries no settings, seconds.
TIMING_TOLERANCE_S = 0.15

MIRROR_NOTE = ("You danced it mirrored, which is fine when practising in front of a mirror; "
               "the feedback names your own limbs.")
RULES_FALLBACK = "showing the rule-based feedback."

SYSTEM_PROMPT = (
    "You are a kind, precise dance coach. A student filmed themself dancing a choreography and "
    "software compared it with the teacher's video; you receive its measurements as JSON. "
    "Write one paragraph of 4 to 6 sentences addressed to the student: start with an honest "
    "overall verdict, name what went well, then the most important fixes in order, each with its "
    "timestamp in the student's video exactly as given (m:ss.s). Keep timing (early or late "
    "against the music) separate from form (joint angles, shape). Use only the metrics given and "
    "do not invent numbers, body parts or moments; a metric that is missing was not measured. "
    "Left and right are the student's own. If the student danced mirrored, say briefly that this "
    "is fine. No lists, no headings, no greeting.")


@dataclass(frozen=True)
class Feedback:
    """A coaching paragraph.

    Attributes
    ----------
    source : "rules" or "llm"
    text : the paragraph shown to the student
    notice : why the LLM's answer is not shown (None when nothing went wrong)
    """

    source: str
    text: str
    notice: str | None = None

    def to_json(self) -> dict:
        """The report's `feedback` object (report_version 1: source and text only)."""
        return {"source": self.source, "text": self.text}


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


@dataclass(frozen=True)
class ComparisonFacts:
    """What the feedback needs beyond the scorecard. Times in seconds from each file's start.

    Attributes
    ----------
    teacher_file, student_file : display file names (base names only)
    mirror : whether the student danced mirrored
    sync_method : "audio", "motion" or "none"
    sync_offset_s : teacher_s = student_s + offset_s
    sync_confidence : 0..1
    teacher_active_s, student_active_s : (start, end) where each dancer dances
    compared_s : length of the compared stretch, teacher's seconds
    """

    teacher_file: str
    student_file: str
    mirror: bool
    sync_method: str
    sync_offset_s: float
    sync_confidence: float
    teacher_active_s: tuple[float, float]
    student_active_s: tuple[float, float]
    compared_s: float

    @classmethod
    def from_analysis(cls, a: Analysis) -> ComparisonFacts:
        """Collect the facts from an `engine.analysis.compare.Analysis`."""
        ts = a.teacher_s
        return cls(
            teacher_file=_base_name(a.teacher.source.file), student_file=_base_name(a.student.source.file),
            mirror=bool(a.mirror), sync_method=str(a.sync.method), sync_offset_s=float(a.sync.offset_s),
            sync_confidence=float(a.sync.confidence),
            teacher_active_s=(float(a.sync.teacher_active_s[0]), float(a.sync.teacher_active_s[1])),
            student_active_s=(float(a.sync.student_active_s[0]), float(a.sync.student_active_s[1])),
            compared_s=float(ts[-1] - ts[0]) if ts.size else 0.0)


# --- small formatting helpers -------------------------------------------------------------

def _base_name(name: str) -> str:
    """Last component of a path written with either separator."""
    return re.split(r"[\\/]", str(name))[-1]


def _finite(x: Any) -> bool:
    """A real, finite number (numpy scalars included; None, bools and NaN are not)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def format_time(t: float) -> str:
    """Seconds -> "m:ss.s" (e.g. 4.23 -> "0:04.2", 59.97 -> "1:00.0"); negatives clamp to 0."""
    tenths = int(round(max(float(t), 0.0) * 10)) if _finite(t) else 0
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def joint_words(joint: str) -> str:
    """"left_knee" -> "left knee", "neck" -> "head"."""
    return JOINT_WORDS.get(joint, joint.replace("_", " "))


def _score_words(score: float) -> str:
    return next(words for lo, words in SCORE_BANDS if score >= lo)


def _and_join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _timing_tolerance(card: Scorecard) -> float:
    settings = getattr(card, "settings", None)
    tol = getattr(settings, "timing_tolerance_s", None)
    return float(tol) if _finite(tol) else TIMING_TOLERANCE_S


def _median_late(card: Scorecard) -> float | None:
    """Median lateness over the compared pairs, seconds; None without a timing reference."""
    late = np.asarray(card.late_s, dtype=np.float64).ravel()
    late = late[np.isfinite(late)]
    return float(np.median(late)) if late.size else None


def _timing_tendency(card: Scorecard) -> tuple[str, float] | None:
    """("late" | "early" | "on", median lateness in s), or None when timing was not measured."""
    med = _median_late(card)
    if med is None:
        return None
    tol = _timing_tolerance(card)
    return ("late" if med > tol else "early" if med < -tol else "on"), med


def _components(card: Scorecard) -> list[tuple[str, float]]:
    """Measured components, best first (ties in the card's order)."""
    items = [(name, float(v)) for name, v in card.components.items() if _finite(v)]
    return sorted(items, key=lambda kv: -kv[1])


def _joints(card: Scorecard) -> list[tuple[str, float]]:
    """Scored joints, worst first (ties by name), NaNs dropped."""
    items = [(name, float(v)) for name, v in card.joints.items() if _finite(v)]
    return sorted(items, key=lambda kv: (kv[1], kv[0]))


def _moment_time(m: Moment) -> str:
    return format_time(m.student_s[0])


def _usable_moments(card: Scorecard) -> list[Moment]:
    """The card's moments in order, minus any whose number is missing (its detail would say "nan")."""
    def ok(m: Moment) -> bool:
        if m.kind == "form":
            return _finite(m.error_deg)
        if m.kind == "timing":
            return _finite(m.late_s)
        return True
    return [m for m in card.moments if ok(m) and all(_finite(t) for t in m.student_s)]


# --- rule-based text ----------------------------------------------------------------------

def _verdict(card: Scorecard) -> str:
    if not _finite(card.overall):
        return "This comparison could not be scored overall."
    return f"Your score is {card.overall:.0f} out of 100: {_score_words(card.overall)}."


def _strengths(card: Scorecard) -> str | None:
    # Timing has its own sentence; strengths are about form, so the two stay apart.
    comps = [c for c in _components(card) if c[0] != "timing"]
    joints = _joints(card)
    strong = [c for c in comps if c[1] >= STRONG_COMPONENT][:2]
    parts = []
    if strong:
        parts.append("your strongest areas were " + _and_join(
            [f"{COMPONENT_WORDS.get(n, n)} ({v:.0f})" for n, v in strong]))
    elif comps:
        name, v = comps[0]
        parts.append(f"your best area so far is {COMPONENT_WORDS.get(name, name)} ({v:.0f})")
    best = sorted(joints, key=lambda kv: (-kv[1], kv[0]))[:N_BEST_JOINTS]
    if best:
        names = _and_join([joint_words(n) for n, _ in best])
        parts.append(f"your {names} matched the teacher most closely")
    if not parts:
        return None
    text = ", and ".join(parts)
    return text[0].upper() + text[1:] + "."


def _fixes(moments: list[Moment]) -> str:
    items = [f"at {_moment_time(m)}, {m.detail}" for m in moments]
    lead = {1: "Fix this first", 2: "Fix these two first"}.get(len(items), "Fix these first")
    if len(items) > 1:
        items[-1] = "and " + items[-1]
    return f"{lead}: " + "; ".join(items) + "."


def _polish(card: Scorecard) -> str:
    joints = _joints(card)
    head = "No single moment stood out as a mistake"
    if not joints:
        return head + "."
    name, v = joints[0]
    err = card.joint_error_deg.get(name)
    off = f", about {err:.0f} degrees off on average" if _finite(err) else ""
    return f"{head}; to polish, work on your {joint_words(name)} (score {v:.0f}{off})."


def _timing_note(card: Scorecard, facts: ComparisonFacts, listed: list[Moment]) -> str | None:
    timing = card.components.get("timing")
    timing_moments = [m for m in _usable_moments(card) if m.kind == "timing"]
    tendency = _timing_tendency(card)
    if not _finite(timing) and not timing_moments:
        if facts.sync_method == "none":
            return "Timing against the music was not checked because sync was turned off."
        return "Timing against the music could not be checked: the two clips could not be synced reliably."

    head = f"On timing ({timing:.0f})" if _finite(timing) else "On timing"
    if tendency is None or tendency[0] == "on":
        body = "you were mostly with the music"
    elif tendency[0] == "late":
        body = f"you were mostly behind the music, by about {tendency[1]:.1f} s"
    else:
        body = f"you rushed ahead of the music, by about {abs(tendency[1]):.1f} s"
    extra = next((m for m in timing_moments if m not in listed), None)
    if extra is not None:
        tail = f"; watch {_moment_time(extra)}, where you were {describe_timing(extra.late_s)}"
    elif timing_moments:
        tail = ", apart from the timing slip above"
    else:
        tail = ""
    return f"{head} {body}{tail}."


def rules_feedback(card: Scorecard, facts: ComparisonFacts) -> Feedback:
    """A short, deterministic coaching paragraph (3 to 6 sentences) from the scorecard.

    Parameters
    ----------
    card : the scores; `card.moments` must be most important first (as `score.score` returns them)
    facts : mirror and sync facts of the comparison

    Returns
    -------
    Feedback
        source "rules": verdict, strengths, the top fixes with the student's timestamps (or a
        polish point when there are none), a timing note, and a mirror note when mirrored.
    """
    sentences = [_verdict(card)]
    strengths = _strengths(card)
    if strengths:
        sentences.append(strengths)
    top = _usable_moments(card)[:N_FIXES]
    sentences.append(_fixes(top) if top else _polish(card))
    timing = _timing_note(card, facts, top)
    if timing:
        sentences.append(timing)
    if facts.mirror:
        sentences.append(MIRROR_NOTE)
    return Feedback(source="rules", text=" ".join(sentences))


# --- LLM prompt -----------------------------------------------------------------------------

def _num(x: Any, ndigits: int) -> float | None:
    """Rounded finite number, or None (never NaN in the prompt's JSON)."""
    return round(float(x), ndigits) if _finite(x) else None


def _moment_facts(m: Moment) -> dict:
    out: dict[str, Any] = {"kind": m.kind, "student_time": f"{format_time(m.student_s[0])}-{format_time(m.student_s[1])}",
                           "teacher_time": f"{format_time(m.teacher_s[0])}-{format_time(m.teacher_s[1])}",
                           "detail": m.detail}
    if m.joint:
        out["joint"] = m.joint
    if _finite(m.error_deg):
        out["error_deg"] = _num(m.error_deg, 1)
    if _finite(m.late_s):
        out["late_s"] = _num(m.late_s, 2)
    return out


def _prompt_facts(card: Scorecard, facts: ComparisonFacts) -> dict:
    first_moment = {}
    moments = _usable_moments(card)
    for m in moments:
        if m.kind == "form" and m.joint and m.joint not in first_moment:
            first_moment[m.joint] = _moment_time(m)
    worst = []
    for name, v in _joints(card)[:N_PROMPT_WORST_JOINTS]:
        entry: dict[str, Any] = {"joint": name, "score": _num(v, 1),
                                 "mean_error_deg": _num(card.joint_error_deg.get(name), 1)}
        if name in first_moment:
            entry["worst_moment_at"] = first_moment[name]
        worst.append(entry)
    tendency = _timing_tendency(card)
    timing = None
    if tendency is not None or _finite(card.components.get("timing")):
        timing = {"score": _num(card.components.get("timing"), 1),
                  "tendency": None if tendency is None else {"late": "late", "early": "early",
                                                             "on": "on time"}[tendency[0]],
                  "median_late_s": None if tendency is None else _num(tendency[1], 2),
                  "tolerance_s": _num(_timing_tolerance(card), 2)}
    return {
        "clips": {"teacher": _base_name(facts.teacher_file), "student": _base_name(facts.student_file)},
        "overall": _num(card.overall, 1),
        "components": {name: _num(v, 1) for name, v in card.components.items()},
        "worst_joints": worst,
        "best_joints": [{"joint": n, "score": _num(v, 1)}
                        for n, v in sorted(_joints(card), key=lambda kv: (-kv[1], kv[0]))[:N_BEST_JOINTS]],
        "moments": [_moment_facts(m) for m in moments[:N_PROMPT_MOMENTS]],
        "timing": timing,
        "mirror": bool(facts.mirror),
        "sync": {"method": facts.sync_method, "offset_s": _num(facts.sync_offset_s, 2),
                 "confidence": _num(facts.sync_confidence, 2)},
        "active_s": {"teacher": [_num(t, 2) for t in facts.teacher_active_s],
                     "student": [_num(t, 2) for t in facts.student_active_s]},
        "compared_s": _num(facts.compared_s, 1),
        "notes": ["Scores are 0..100 (100 = identical to the teacher); null = not measured.",
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
