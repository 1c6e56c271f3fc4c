"""Tests for engine.present.feedback.wording: times, joints, moments and sync in words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.analysis.score import Moment
from engine.present.feedback import describe_moment, format_time, moment_label
from engine.present.feedback.wording import (
    and_join,
    describe_alignment,
    describe_form,
    describe_limb,
    describe_timing,
    joint_words,
)


@pytest.mark.parametrize("t, expected", [
    (0.0, "0:00.0"), (4.23, "0:04.2"), (4.26, "0:04.3"), (59.97, "1:00.0"), (83.4, "1:23.4"),
    (600.0, "10:00.0"), (-0.3, "0:00.0"), (float("nan"), "0:00.0")])
def test_format_time(t, expected):
    assert format_time(t) == expected


@pytest.mark.parametrize("joint, words", [("left_knee", "left knee"), ("neck", "head"), ("torso", "torso")])
def test_joint_words(joint, words):
    assert joint_words(joint) == words


@pytest.mark.parametrize("items, text", [([], ""), (["a"], "a"), (["a", "b"], "a and b"),
                                         (["a", "b", "c"], "a, b, and c")])
def test_and_join(items, text):
    assert and_join(items) == text


@pytest.mark.parametrize("joint, error_deg, words", [
    ("left_shoulder", -34.4, "left arm 34 degrees lower than the teacher"),
    ("right_shoulder", 20.0, "right arm 20 degrees higher than the teacher"),
    ("left_elbow", -35.0, "left elbow 35 degrees more bent than the teacher"),
    ("right_knee", 22.0, "right knee 22 degrees straighter than the teacher"),
    ("left_wrist", 40.6, "left wrist 41 degrees straighter than the teacher"),
    ("right_hip", 12.0, "right hip 12 degrees more open than the teacher"),
    ("left_hip", -12.0, "left hip 12 degrees more folded than the teacher"),
    ("right_ankle", 30.0, "right foot 30 degrees more pointed than the teacher"),
    ("left_ankle", -30.0, "left foot 30 degrees more flexed than the teacher"),
    ("torso", 15.0, "torso leaning 15 degrees more than the teacher"),
    ("torso", -15.0, "torso leaning 15 degrees less than the teacher"),
    ("neck", 25.0, "head tilted 25 degrees more than the teacher"),
    ("tail", 9.0, "tail off by 9 degrees"),
])
def test_describe_form(joint, error_deg, words):
    assert describe_form(joint, error_deg) == words


@pytest.mark.parametrize("joint, axis, error_deg, words", [
    # One direction and its size, the limb named as a dancer says it (upper arm -> arm, ...).
    ("left_shoulder", "up", -30.0, "left arm 30 degrees lower than the teacher"),
    ("right_shoulder", "up", 20.4, "right arm 20 degrees higher than the teacher"),
    ("right_elbow", "forward", 25.0, "right forearm 25 degrees further forward than the teacher"),
    ("left_elbow", "forward", -25.0, "left forearm 25 degrees further back than the teacher"),
    ("left_hip", "out", 20.0, "left thigh 20 degrees more out to the side than the teacher"),
    ("right_hip", "out", -20.0, "right thigh 20 degrees closer in to the body than the teacher"),
    ("right_knee", "up", 22.0, "right lower leg 22 degrees higher than the teacher"),
    ("left_wrist", "up", -30.0, "left hand 30 degrees lower than the teacher"),
    ("right_ankle", "forward", 30.0, "right foot 30 degrees further forward than the teacher"),
    ("torso", "forward", 18.0, "torso leaning 18 degrees further forward than the teacher"),
    ("torso", "out", -18.0, "torso leaning 18 degrees further to the right than the teacher"),
    ("torso", "up", -18.0, "torso leaning 18 degrees more than the teacher"),
    ("neck", "out", 25.0, "head tilted 25 degrees further to the left than the teacher"),
    ("neck", "up", -25.0, "head 25 degrees lower than the teacher"),
])
def test_describe_limb_names_one_direction(joint, axis, error_deg, words):
    assert describe_limb(joint, axis, error_deg) == words


def test_describe_limb_refuses_an_unknown_joint():
    with pytest.raises(ValueError, match="tail"):
        describe_limb("tail", "up", 10.0)


@pytest.mark.parametrize("late_s, words", [(0.42, "late by 0.4 s"), (-0.5, "early by 0.5 s"),
                                           (0.0, "early by 0.0 s")])
def test_describe_timing(late_s, words):
    assert describe_timing(late_s) == words


SPAN = {"teacher_s": (3.6, 4.4), "student_s": (3.1, 3.9), "severity": 1.0}


@pytest.mark.parametrize("moment, words", [
    (Moment(**SPAN, kind="form", joint="left_shoulder", error_deg=-34.0, late_s=None, axis="up"),
     "left arm 34 degrees lower than the teacher"),
    (Moment(**SPAN, kind="form", joint="right_elbow", error_deg=25.4, late_s=None, axis="forward"),
     "right forearm 25 degrees further forward than the teacher"),
    (Moment(**SPAN, kind="form", joint="left_elbow", error_deg=-35.0, late_s=None),
     "left elbow 35 degrees more bent than the teacher"),
    (Moment(**SPAN, kind="timing", joint=None, error_deg=None, late_s=-0.46),
     "early by 0.5 s (at worst) against the music"),
    (Moment(**SPAN, kind="freeze", joint=None, error_deg=None, late_s=None, still_s=1.25),
     "stood still for 1.2 s while the teacher kept moving"),
], ids=["form", "form-forward", "form-stored-flexion", "timing", "freeze"])
def test_describe_moment(moment, words):
    assert describe_moment(moment) == words


def test_moment_label_names_number_student_time_kind_and_words():
    m = Moment(**SPAN, kind="timing", joint=None, error_deg=None, late_s=0.3)
    assert moment_label(1, m) == "#2 at 0:03.1 (student) — timing: late by 0.3 s (at worst) against the music"


@pytest.mark.parametrize("kind, missing", [("form", "joint, error_deg"), ("timing", "late_s"),
                                           ("freeze", "still_s")])
def test_a_moment_without_its_facts_is_refused(kind, missing):
    with pytest.raises(ValueError, match=f"a {kind} moment needs {missing}"):
        Moment(**SPAN, kind=kind, joint=None, error_deg=None, late_s=None)


def _analysis(method="audio", offset_s=0.81, confidence=0.9, timing_reference=True, mirror=False, reason=""):
    return SimpleNamespace(sync=SimpleNamespace(method=method, offset_s=offset_s, confidence=confidence, reason=reason),
                           timing_reference=timing_reference, mirror=mirror, mirror_confidence=0.75)


@pytest.mark.parametrize("a, words", [
    (_analysis(), ("Clips synced by audio (confidence 0.90): the same moment comes 0.81 s earlier in the "
                   "student's clip; not mirrored (confidence 0.75).")),
    (_analysis(method="motion", offset_s=-1.2, mirror=True),
     ("Clips synced by motion (confidence 0.90): the same moment comes 1.20 s later in the student's clip; "
      "mirrored (confidence 0.75).")),
    (_analysis(method="none", timing_reference=False),
     "Clips not synced in time (timing is not scored); not mirrored (confidence 0.75)."),
    (_analysis(method="none", timing_reference=False, reason="audio found no shared music; aligning by DTW alone"),
     "Clips not synced in time (timing is not scored); not mirrored (confidence 0.75). "
     "Sync: audio found no shared music; aligning by DTW alone."),
])
def test_describe_alignment(a, words):
    assert describe_alignment(a) == words


@pytest.mark.parametrize("counts, words", [
    (((3, 5), (3, 5)), "8-count 3, count 5"),
    (((3, 5), (3, 6)), "8-count 3, count 5-6"),
    (((3, 7), (4, 2)), "8-count 3, count 7 to 8-count 4, count 2"),
    (((0, 7), (1, 1)), "pickup, count 7 to 8-count 1, count 1"),
    (None, None),
])
def test_describe_counts(counts, words):
    from engine.present.feedback.wording import describe_counts
    assert describe_counts(counts) == words


def test_moment_label_adds_the_teachers_counts_when_the_music_has_them():
    m = Moment(**SPAN, kind="timing", joint=None, error_deg=None, late_s=0.3, counts=((2, 3), (2, 4)))
    assert moment_label(1, m) == ("#2 at 0:03.1 (student, 8-count 2, count 3-4) — timing: late by 0.3 s "
                                  "(at worst) against the music")
