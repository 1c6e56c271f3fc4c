"""engine.demo.choreography: the routine hits its keyframes; the student's clock keeps its promises."""

from __future__ import annotations

import numpy as np
import pytest

from engine.demo.choreography import (
    ARM_ERROR_TEACHER_S,
    BEAT_S,
    FAST_RATE,
    FREEZE_S,
    FREEZE_TEACHER_S,
    KEYFRAMES,
    NEUTRAL,
    OFFSET_S,
    PARAM_INDEX,
    SLOW_RATE,
    StudentTiming,
    arm_error_weight,
    routine,
    sway,
)


def test_routine_passes_through_its_keyframes():
    pose_at = routine()
    np.testing.assert_allclose(pose_at(np.array([0.0]))[0, PARAM_INDEX["l_shoulder"]], NEUTRAL["l_shoulder"])
    beat, changes = KEYFRAMES[2]                          # arms up to the "V" on beat 3
    row = pose_at(np.array([beat * BEAT_S]))[0]
    for name, value in changes.items():
        assert row[PARAM_INDEX[name]] == pytest.approx(value)


def test_student_clock_sections_freeze_and_catch_up():
    timing = StudentTiming()
    slow, fast = timing.tempo_sections
    assert (slow.rate, fast.rate) == (SLOW_RATE, FAST_RATE)
    for section in timing.tempo_sections:          # rate = teacher span / student span
        (a, b), (c, d) = section.student_s, section.teacher_s
        assert d - c == pytest.approx(section.rate * (b - a), abs=1e-5)
    s = np.arange(0.0, 12.7, 0.01)
    t = timing(s)
    assert np.all(np.diff(t) >= -1e-8)                  # monotonic (to float noise in the freeze)
    assert timing(np.array([1.0]))[0] == pytest.approx(1.0 + OFFSET_S)   # on time early on
    held = timing(np.linspace(*timing.freeze.student_s, 5)[1:-1] + np.array([0.06, 0, -0.06]))
    np.testing.assert_allclose(held, FREEZE_TEACHER_S, atol=1e-9)     # frozen (past the easing)
    end = timing.freeze.catch_up.student_s[1] + 0.1
    assert timing(np.array([end]))[0] == pytest.approx(end + OFFSET_S)  # on time again
    assert timing.freeze.student_s[1] - timing.freeze.student_s[0] == pytest.approx(FREEZE_S)


def test_arm_error_weight_is_one_inside_the_window_and_zero_far_away():
    timing = StudentTiming()
    a, b = (t - OFFSET_S for t in ARM_ERROR_TEACHER_S)
    w = arm_error_weight(np.array([a - 1.0, a, 0.5 * (a + b), b, b + 1.0]), timing)
    np.testing.assert_array_equal(w, [0, 1, 1, 1, 0])


def test_sway_is_small_and_seeded():
    t = np.arange(300) / 30.0
    a, b = sway(np.random.default_rng(0), t), sway(np.random.default_rng(0), t)
    assert np.array_equal(a, b) and 0 < np.abs(a).max() <= 1.5 + 1e-9
    assert not a[:, PARAM_INDEX["drop"]].any()            # only the angle parameters sway
