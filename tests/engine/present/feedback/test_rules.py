"""Tests for engine.present.feedback.rules: the rule-based coaching paragraph and its facts."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from engine.core.settings import ScoreSettings
from engine.present.feedback import (
    MIRROR_NOTE,
    ComparisonFacts,
    Feedback,
    format_time,
    rules_feedback,
)
from engine.present.feedback.wording import describe_moment
from tests.factories import (
    feedback_card,
    feedback_moments,
    form_moment,
    freeze_moment,
    make_facts,
    timing_moment,
)


def positions(text: str, needles: list[str]) -> list[int]:
    """Where each needle first appears in `text` (all must appear)."""
    found = [text.find(n) for n in needles]
    assert all(i >= 0 for i in found), f"missing {[n for n, i in zip(needles, found) if i < 0]} in: {text}"
    return found


# --- rules_feedback -------------------------------------------------------------------------

@pytest.mark.parametrize("overall, words", [
    (92.0, "very close"), (85.0, "very close"), (84.9, "good, with a few things to fix"),
    (70.0, "good, with a few things to fix"), (60.0, "on the way"), (30.0, "still far")])
def test_rules_band_words(overall, words):
    fb = rules_feedback(feedback_card(overall=overall), make_facts())
    assert fb.source == "rules" and fb.notice is None
    assert words in fb.text
    assert f"{overall:.0f} out of 100" in fb.text


def test_rules_top_three_fixes_in_order_with_timestamps():
    moments = feedback_moments()
    text = rules_feedback(feedback_card(moments=moments), make_facts()).text
    needles = []
    for m in moments[:3]:
        needles += [f"at {format_time(m.student_s[0])}", describe_moment(m)]
    found = positions(text, needles)
    assert found == sorted(found), text
    assert "at 0:04.2, left elbow 34 degrees more bent than the teacher" in text
    assert describe_moment(moments[4]) not in text   # only three fixes


def test_rules_timing_note_from_timing_moment_outside_top_three():
    text = rules_feedback(feedback_card(), make_facts()).text
    assert "watch 0:07.0, where you were late by 0.4 s" in text


def test_rules_timing_moment_in_top_three_is_not_repeated():
    moments = [timing_moment(-0.5, 3.0, 99.0), form_moment("left_elbow", -34.0, 4.23, 90.0)]
    text = rules_feedback(feedback_card(moments=moments), make_facts()).text
    assert "at 0:03.0, early by 0.5 s (at worst) against the music" in text
    assert text.count("0:03.0") == 1
    assert "apart from the timing slip above" in text


@pytest.mark.parametrize("late, words", [(0.3, "behind the music, by about 0.3 s"),
                                         (-0.25, "rushed ahead of the music"),
                                         (0.05, "mostly with the music")])
def test_rules_timing_tendency(late, words):
    text = rules_feedback(feedback_card(late_s=np.full(120, late), moments=[]), make_facts()).text
    assert words in text


def test_rules_without_timing_reference_says_so_without_a_score():
    card = feedback_card(components={"pose": 81.0, "timing": None, "trajectory": 70.1, "silhouette": None,
                                 "dynamics": 66.0}, late_s=np.full(120, np.nan), moments=[])
    text = rules_feedback(card, make_facts(sync_method="none", sync_confidence=0.0)).text
    assert "Timing against the music was not checked" in text
    assert "On timing" not in text


@pytest.mark.parametrize("mirror", [False, True])
def test_rules_mirror_note_only_when_mirrored(mirror):
    text = rules_feedback(feedback_card(), make_facts(mirror=mirror)).text
    assert (MIRROR_NOTE in text) is mirror
    assert ("mirrored" in text) is mirror


def test_rules_no_moments_praise_and_weakest_joint():
    text = rules_feedback(feedback_card(overall=91.0, moments=[]), make_facts()).text
    assert "No single moment stood out" in text
    assert "work on your left elbow (score 52, about 21 degrees off on average)" in text
    assert "Fix" not in text


def test_rules_strengths_name_best_components_and_joints():
    text = rules_feedback(feedback_card(), make_facts()).text
    assert "body positions (81) and shape and extension (76)" in text
    assert "timing (90)" not in text.split(".")[1]   # timing gets its own sentence
    assert "left knee and right hip matched the teacher most closely" in text


@pytest.mark.parametrize("card", [
    feedback_card(components={"pose": 81.0, "timing": None, "trajectory": float("nan"), "silhouette": None,
                          "dynamics": None},
              joint_error_deg={"left_elbow": float("nan")}, late_s=np.full(120, np.nan), moments=[]),
    feedback_card(overall=float("nan"), components={c: None for c in ("pose", "timing")}, joints={},
              joint_error_deg={}, late_s=np.full(120, np.nan), moments=[]),
    feedback_card(joints={"left_elbow": float("nan"), "neck": 60.0}, moments=[timing_moment(float("nan"), 1.0, 5.0)]),
], ids=["missing-components", "nothing-measured", "nan-joint"])
def test_rules_never_leak_none_or_nan(card):
    text = rules_feedback(card, make_facts()).text
    assert "None" not in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), text
    assert 3 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 6, text


def test_rules_sentence_count_and_determinism():
    card, facts = feedback_card(), make_facts(mirror=True)
    a, b = rules_feedback(card, facts), rules_feedback(card, facts)
    assert a == b
    # "0:04.2"-style decimals are not sentence ends: count ". " and the final ".".
    assert 3 <= len(re.findall(r"\.(?:\s|$)", a.text)) <= 6, a.text


def test_feedback_to_json_matches_report_contract():
    assert Feedback("llm", "Hi.", notice="x").to_json() == {"source": "llm", "text": "Hi."}


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


# --- one value per setting ------------------------------------------------------------------

@pytest.mark.parametrize("tolerance_s, words", [(0.15, "behind the music, by about 0.3 s"),
                                                (0.5, "mostly with the music")])
def test_rules_timing_tendency_uses_the_cards_tolerance(tolerance_s, words):
    card = feedback_card(late_s=np.full(120, 0.3), moments=[],
                     settings=ScoreSettings(timing_tolerance_s=tolerance_s))
    assert words in rules_feedback(card, make_facts()).text


def test_rules_skip_moments_whose_number_is_missing():
    moments = [replace(freeze_moment(2.0, 99.0), still_s=float("nan")), form_moment("left_elbow", float("nan"), 3.0, 90.0),
               form_moment("right_knee", 22.0, 12.5, 40.0)]
    text = rules_feedback(feedback_card(moments=moments), make_facts()).text
    assert "Fix this first: at 0:12.5, right knee 22 degrees straighter than the teacher." in text
    assert "0:02.0" not in text and "0:03.0" not in text


# --- dance counts ---------------------------------------------------------------------------

def test_fixes_name_the_teachers_counts_next_to_the_students_time():
    from engine.analysis.beats import BeatGrid
    ms = [replace(form_moment("left_elbow", -30.0, 4.2, 3.0), counts=((2, 3), (2, 4))),
          replace(timing_moment(0.5, 8.0, 2.0), counts=((3, 1), (3, 2)))]
    card = replace(feedback_card(moments=ms), beats=BeatGrid(beats_s=np.arange(40) * 0.5, bpm=120.0))
    text = rules_feedback(card, make_facts()).text
    assert "at 0:04.2 (8-count 2, count 3-4), left elbow 30 degrees" in text
    assert "at 0:08.0 (8-count 3, count 1-2), late by 0.5 s" in text
    assert "seconds only" not in text


def test_without_counts_the_feedback_says_times_are_in_seconds_and_why():
    from engine.analysis.beats import no_beats
    card = replace(feedback_card(), beats=no_beats("the teacher's clip has no audio"))
    text = rules_feedback(card, make_facts()).text
    assert text.endswith("Times are in seconds only, not dance counts: the teacher's clip has no audio.")
    assert "8-count" not in text
    # Nothing to place in time: no note.
    quiet = replace(card, moments=[])
    assert "seconds only" not in rules_feedback(quiet, make_facts()).text
