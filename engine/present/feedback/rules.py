"""Scorecard -> coaching paragraph by rules: deterministic, offline, always available.

Also the facts both the rules and the LLM prompt read from a scorecard (worst joints, usable
moments, the timing tendency), so the two never disagree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.analysis.score import Moment, Scorecard
from engine.present.feedback.wording import (
    COMPONENT_WORDS,
    and_join,
    counts_note,
    describe_counts,
    describe_moment,
    describe_timing,
    finite,
    format_time,
    joint_words,
)

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis

#: Overall-score bands, highest first: (lowest score in the band, verdict words). They follow
#: the scale (`score.SCALE`): 85 or more = the choreography is right with small differences;
#: 50 or less = what an unrelated dance gets.
SCORE_BANDS: tuple[tuple[float, str], ...] = (
    (85.0, "very close to the teacher: the choreography is right, with small differences"),
    (70.0, "good, with a few things to fix"),
    (50.0, "on the way, with the outline of the routine in place but several parts to work on"),
    (-math.inf, "still far from the teacher (an unrelated dance scores about 50 or less), so take it slower "
                "and learn it section by section"),
)
#: A component at or above this counts as a strength worth naming.
STRONG_COMPONENT = 70.0
#: Fixes named in the rule-based text; best joints named as strengths.
N_FIXES = 3
N_BEST_JOINTS = 2

#: Above this share of the limb comparisons dropped as tracker glitches (`Scorecard.excluded`),
#: the feedback says so: a tenth of the dance unjudged changes what the scores can claim.
EXCLUDED_NOTE_SHARE = 0.10

MIRROR_NOTE = ("You danced it mirrored, which is fine when practising in front of a mirror; "
               "the feedback names your own limbs.")


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
            teacher_file=base_name(a.teacher.source.file), student_file=base_name(a.student.source.file),
            mirror=bool(a.mirror), sync_method=str(a.sync.method), sync_offset_s=float(a.sync.offset_s),
            sync_confidence=float(a.sync.confidence),
            teacher_active_s=(float(a.sync.teacher_active_s[0]), float(a.sync.teacher_active_s[1])),
            student_active_s=(float(a.sync.student_active_s[0]), float(a.sync.student_active_s[1])),
            compared_s=float(ts[-1] - ts[0]) if ts.size else 0.0)


# --- small formatting helpers -------------------------------------------------------------

def base_name(name: str) -> str:
    """Last component of a path written with either separator."""
    return re.split(r"[\\/]", str(name))[-1]


def _score_words(score: float) -> str:
    return next(words for lo, words in SCORE_BANDS if score >= lo)


def timing_tolerance(card: Scorecard) -> float:
    """Early or late within this many seconds is on time (the card's `ScoreSettings`)."""
    return float(card.settings.timing_tolerance_s)


def median_late(card: Scorecard) -> float | None:
    """Median lateness over the compared pairs, seconds; None without a timing reference."""
    late = np.asarray(card.late_s, dtype=np.float64).ravel()
    late = late[np.isfinite(late)]
    return float(np.median(late)) if late.size else None


def timing_tendency(card: Scorecard) -> tuple[str, float] | None:
    """("late" | "early" | "on", median lateness in s), or None when timing was not measured."""
    med = median_late(card)
    if med is None:
        return None
    tol = timing_tolerance(card)
    return ("late" if med > tol else "early" if med < -tol else "on"), med


def components_best_first(card: Scorecard) -> list[tuple[str, float]]:
    """Measured components, best first (ties in the card's order)."""
    items = [(name, float(v)) for name, v in card.components.items() if finite(v)]
    return sorted(items, key=lambda kv: -kv[1])


def joints_worst_first(card: Scorecard) -> list[tuple[str, float]]:
    """Scored joints, worst first (ties by name), NaNs dropped."""
    items = [(name, float(v)) for name, v in card.joints.items() if finite(v)]
    return sorted(items, key=lambda kv: (kv[1], kv[0]))


def moment_time(m: Moment) -> str:
    """The moment's start in the student's video, "m:ss.s"."""
    return format_time(m.student_s[0])


def moment_when(m: Moment) -> str:
    """The moment's start in the student's video and, when the music gives them, the teacher's
    counts: "0:04.2 (8-count 2, count 3-4)" or "0:04.2"."""
    counts = describe_counts(m.counts)
    return moment_time(m) + (f" ({counts})" if counts else "")


def usable_moments(card: Scorecard) -> list[Moment]:
    """The card's moments in order, minus any whose number is missing (its words would say "nan")."""
    def ok(m: Moment) -> bool:
        if m.kind == "form":
            return finite(m.error_deg)
        if m.kind == "timing":
            return finite(m.late_s)
        return finite(m.still_s)
    return [m for m in card.moments if ok(m) and all(finite(t) for t in m.student_s)]


# --- rule-based text ----------------------------------------------------------------------

def _verdict(card: Scorecard) -> str:
    if not finite(card.overall):
        return "This comparison could not be scored overall."
    return f"Your score is {card.overall:.0f} out of 100: {_score_words(card.overall)}."


def _strengths(card: Scorecard) -> str | None:
    # Timing has its own sentence; strengths are about form, so the two stay apart.
    comps = [c for c in components_best_first(card) if c[0] != "timing"]
    joints = joints_worst_first(card)
    strong = [c for c in comps if c[1] >= STRONG_COMPONENT][:2]
    parts = []
    if strong:
        parts.append("your strongest areas were " + and_join(
            [f"{COMPONENT_WORDS.get(n, n)} ({v:.0f})" for n, v in strong]))
    elif comps:
        name, v = comps[0]
        parts.append(f"your best area so far is {COMPONENT_WORDS.get(name, name)} ({v:.0f})")
    best = sorted(joints, key=lambda kv: (-kv[1], kv[0]))[:N_BEST_JOINTS]
    if best:
        names = and_join([joint_words(n) for n, _ in best])
        parts.append(f"your {names} matched the teacher most closely")
    if not parts:
        return None
    text = ", and ".join(parts)
    return text[0].upper() + text[1:] + "."


def _fixes(moments: list[Moment]) -> str:
    items = [f"at {moment_when(m)}, {describe_moment(m)}" for m in moments]
    lead = {1: "Fix this first", 2: "Fix these two first"}.get(len(items), "Fix these first")
    if len(items) > 1:
        items[-1] = "and " + items[-1]
    return f"{lead}: " + "; ".join(items) + "."


def _polish(card: Scorecard) -> str:
    joints = joints_worst_first(card)
    head = "No single moment stood out as a mistake"
    if not joints:
        return head + "."
    name, v = joints[0]
    err = card.joint_error_deg.get(name)
    off = f", about {err:.0f} degrees off on average" if finite(err) else ""
    return f"{head}; to polish, work on your {joint_words(name)} (score {v:.0f}{off})."


def _timing_note(card: Scorecard, facts: ComparisonFacts, listed: list[Moment]) -> str | None:
    timing = card.components.get("timing")
    timing_moments = [m for m in usable_moments(card) if m.kind == "timing"]
    tendency = timing_tendency(card)
    if not finite(timing) and not timing_moments:
        if facts.sync_method == "none":
            return "Timing against the music was not checked because sync was turned off."
        return "Timing against the music could not be checked: the two clips could not be synced reliably."

    head = f"On timing ({timing:.0f})" if finite(timing) else "On timing"
    if tendency is None or tendency[0] == "on":
        body = "you were mostly with the music"
    elif tendency[0] == "late":
        body = f"you were mostly behind the music, by about {tendency[1]:.1f} s"
    else:
        body = f"you rushed ahead of the music, by about {abs(tendency[1]):.1f} s"
    extra = next((m for m in timing_moments if m not in listed), None)
    if extra is not None:
        tail = f"; watch {moment_when(extra)}, where you were {describe_timing(extra.late_s)}"
    elif timing_moments:
        tail = ", apart from the timing slip above"
    else:
        tail = ""
    return f"{head} {body}{tail}."


def excluded_note(card: Scorecard) -> str | None:
    """One short sentence on the limb comparisons left out as tracker glitches, when many were."""
    share = card.excluded.get("limb_pairs_share")
    if not finite(share) or share <= EXCLUDED_NOTE_SHARE:
        return None
    return (f"The pose tracker glitched on {100 * share:.0f}% of the limb comparisons (fast or hidden limbs); "
            "those were left out.")


def rules_feedback(card: Scorecard, facts: ComparisonFacts) -> Feedback:
    """A short, deterministic coaching paragraph (3 to 6 sentences) from the scorecard.

    Parameters
    ----------
    card : the scores; `card.moments` must be most important first (as `score.score` returns them)
    facts : mirror and sync facts of the comparison

    Returns
    -------
    Feedback
        source "rules": verdict, strengths, the top fixes with the student's timestamps and the
        teacher's counts (or a polish point when there are none), a timing note, a note when many
        limb comparisons were left out as tracker glitches (`EXCLUDED_NOTE_SHARE`), a mirror
        note when mirrored, and a note that times are in seconds only when fixes are named but
        the music gave no counts.
    """
    sentences = [_verdict(card)]
    strengths = _strengths(card)
    if strengths:
        sentences.append(strengths)
    top = usable_moments(card)[:N_FIXES]
    sentences.append(_fixes(top) if top else _polish(card))
    timing = _timing_note(card, facts, top)
    if timing:
        sentences.append(timing)
    excluded = excluded_note(card)
    if excluded:
        sentences.append(excluded)
    if facts.mirror:
        sentences.append(MIRROR_NOTE)
    if top and not card.beats.has_counts:
        sentences.append(counts_note(card.beats.reason))
    return Feedback(source="rules", text=" ".join(sentences))
