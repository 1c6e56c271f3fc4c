"""Scorecard -> words: the coaching paragraph (rules or an LLM) and the phrases every view shares.

- `rules`: `rules_feedback`, deterministic and offline; `Feedback`, `ComparisonFacts`.
- `llm`: `llm_feedback` asks an OpenAI-compatible model and falls back to the rules on any failure.
- `wording`: times, joints, moments (`describe_moment`, the report's `detail`) and sync in words.
"""

from engine.present.feedback.llm import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    ENV_BASE_URL,
    ENV_KEY,
    ENV_MODEL,
    ENV_TIMEOUT,
    SYSTEM_PROMPT,
    LLMConfig,
    build_prompt,
    llm_config_from_env,
    llm_feedback,
)
from engine.present.feedback.rules import MIRROR_NOTE, ComparisonFacts, Feedback, rules_feedback
from engine.present.feedback.wording import (
    counts_note,
    describe_alignment,
    describe_counts,
    describe_form,
    describe_moment,
    describe_timing,
    format_time,
    joint_words,
    moment_label,
)

__all__ = [
    "DEFAULT_MAX_RETRIES", "DEFAULT_MODEL", "DEFAULT_TIMEOUT_S", "ENV_BASE_URL", "ENV_KEY", "ENV_MODEL",
    "ENV_TIMEOUT", "MIRROR_NOTE", "SYSTEM_PROMPT", "ComparisonFacts", "Feedback", "LLMConfig", "build_prompt",
    "counts_note", "describe_alignment", "describe_counts", "describe_form", "describe_moment", "describe_timing",
    "format_time", "joint_words", "llm_config_from_env", "llm_feedback", "moment_label", "rules_feedback",
]
