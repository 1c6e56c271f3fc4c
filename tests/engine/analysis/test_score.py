"""Tests for engine.analysis.score on small hand-made Analyses with hand-computed truths.

The factory Analysis (tests/factories.py) has 30 fps clips, angle errors of zero,
trajectory, silhouette and dynamics of 90 per pair, no motion energy, and a diagonal path unless
given one; each test changes only what it checks.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.analysis.score import POSE_HALF_DEG, Moment, falloff, joint_tables, score
from engine.core.body import DEFAULT_JOINT_WEIGHT, SCORED_JOINTS
from engine.core.errors import SettingsError
from engine.core.settings import ScoreSettings
from engine.present.feedback.wording import describe_moment
from tests.factories import make_analysis, make_performance

FPS = 30.0
N = 180                                  # 6 s clips
J = {name: j for j, name in enumerate(SCORED_JOINTS)}


def analysis(*, path=None, n: int = N, method: str = "motion", offset_s: float = 0.0, mirror: bool = False,
             **arrays):
    """A hand-made Analysis of two still 6 s clips; keyword arrays replace its per-pair metrics."""
    world = np.zeros((n, 33, 4), np.float32)
    world[..., 3] = 1.0
    perf = make_performance(world, fps=FPS)
    path = np.stack([np.arange(n), np.arange(n)], axis=1) if path is None else path
    a = make_analysis(perf, perf, path, method=method, offset_s=offset_s, mirror=mirror)
    return replace(a, **arrays) if arrays else a


def errors(**by_joint) -> np.ndarray:
    """(N, J) angle errors, degrees: each keyword is a joint name -> its (N,) or constant error."""
    out = np.zeros((N, len(SCORED_JOINTS)), np.float32)
    for name, values in by_joint.items():
        out[:, J[name]] = values
    return out


# --- the falloff curve ----------------------------------------------------------------------

@pytest.mark.parametrize("excess, expected", [
    (0.0, 100.0), (-12.0, 100.0), (30.0, 50.0), (60.0, 20.0), (90.0, 10.0), (np.nan, np.nan)])
def test_falloff_is_100_within_tolerance_50_at_half_and_keeps_nan(excess, expected):
    np.testing.assert_allclose(falloff(np.array([excess]), POSE_HALF_DEG), [expected])


def test_joint_tables_follow_the_groups():
    settings = ScoreSettings(tolerance_deg={**ScoreSettings().tolerance_deg, "elbows": 22.0},
                             joint_weights={**DEFAULT_JOINT_WEIGHT, "knees": 3.0})
    tol, w = joint_tables(settings)
    assert tol[J["left_elbow"]] == tol[J["right_elbow"]] == 22.0 and tol[J["left_hip"]] == 5.0
    assert w[J["right_knee"]] == 3.0 and w[J["left_shoulder"]] == 1.5 and w[J["neck"]] == 0.5


# --- components and their weights -------------------------------------------------------------

def test_overall_is_the_weighted_mean_of_the_components():
    a = analysis(trajectory=np.full(N, 60.0), silhouette=np.full(N, 80.0))
    card = score(a)
    assert card.components == {"pose": 100.0, "timing": 100.0, "trajectory": 60.0, "silhouette": 80.0,
                               "dynamics": 90.0}
    # (50 x 100 + 10 x 100 + 20 x 60 + 15 x 80 + 5 x 90) / 100
    assert card.overall == 88.5
    np.testing.assert_allclose(card.timeline, 88.5)


def test_a_missing_component_gives_its_weight_to_the_others():
    a = analysis(method="none", trajectory=np.full(N, 60.0), silhouette=np.full(N, np.nan))
    card = score(a)
    assert card.components["timing"] is None and card.components["silhouette"] is None
    # (50 x 100 + 20 x 60 + 5 x 90) / (50 + 20 + 5)
    assert card.overall == pytest.approx(round(6650 / 75, 1))
    assert np.isnan(card.late_s).all()


def test_custom_component_weights():
    a = analysis(trajectory=np.full(N, 60.0))
    card = score(a, ScoreSettings(weights={"pose": 1.0, "trajectory": 3.0}))
    assert card.overall == 70.0            # (1 x 100 + 3 x 60) / 4


def test_only_unmeasured_components_weighted_is_a_settings_error():
    with pytest.raises(SettingsError, match=r"weighted components \(timing\) could not be measured"):
        score(analysis(method="none"), ScoreSettings(weights={"timing": 10.0}))


def test_all_zero_weights_are_refused_before_scoring():
    with pytest.raises(SettingsError, match="all score component weights are zero"):
        score(analysis(), ScoreSettings(weights={c: 0.0 for c in ScoreSettings().weights}))


# --- joints -----------------------------------------------------------------------------------

def test_joint_score_error_and_joint_weight_in_the_pose_score():
    a = analysis(angle_error=errors(left_elbow=45.0))      # 30 degrees past the elbows' 15
    card = score(a)
    assert card.joints["left_elbow"] == 50.0 and card.joints["right_elbow"] == 100.0
    assert card.joint_error_deg["left_elbow"] == 45.0 and card.joint_error_deg["neck"] == 0.0
    total = sum(DEFAULT_JOINT_WEIGHT[g] * 2 for g in ("shoulders", "elbows", "wrists", "hips", "knees", "ankles")) \
        + DEFAULT_JOINT_WEIGHT["torso"] + DEFAULT_JOINT_WEIGHT["neck"]
    assert total == 12.5
    assert card.components["pose"] == 100.0 - 50.0 * 1.0 / 12.5      # 96.0
    unweighted = score(a, ScoreSettings(joint_weights={**DEFAULT_JOINT_WEIGHT, "elbows": 0.0}))
    assert unweighted.components["pose"] == 100.0
    assert unweighted.joints["left_elbow"] == 50.0          # the joint's own score does not use its weight


def test_mirrored_student_joints_are_named_as_their_own_limbs():
    card = score(analysis(angle_error=errors(left_elbow=45.0), mirror=True))
    assert card.joints["right_elbow"] == 50.0 and card.joints["left_elbow"] == 100.0


# --- moments ----------------------------------------------------------------------------------

def test_a_sustained_spike_is_a_form_moment_at_its_time():
    err = np.zeros(N)
    err[60:90] = -40.0                                      # 1 s, 25 degrees past the tolerance
    card = score(analysis(angle_error=errors(left_elbow=err)))
    assert len(card.moments) == 1
    m = card.moments[0]
    assert (m.kind, m.joint, m.error_deg, m.peak_deg, m.both_ways) == ("form", "left_elbow", -40.0, 40.0, False)
    assert m.teacher_s == pytest.approx((2.0, 89 / FPS)) and m.student_s == pytest.approx((2.0, 89 / FPS))
    assert m.severity == pytest.approx(25.0 * 1.0 * 1.0)   # excess x duration x joint weight
    assert describe_moment(m) == "left elbow 40 degrees more bent than the teacher"


def test_a_constant_offset_is_style_not_a_moment():
    card = score(analysis(angle_error=errors(left_elbow=-40.0)))
    assert card.moments == []
    assert card.joints["left_elbow"] == pytest.approx(100 / (1 + (25 / 30) ** 2), abs=0.05)


def test_a_blip_shorter_than_a_moment_is_ignored():
    err = np.zeros(N)
    err[60:65] = -40.0                                      # 5 frames = 0.17 s < 0.25 s
    assert score(analysis(angle_error=errors(left_elbow=err))).moments == []


def test_an_error_swinging_both_ways_names_no_direction():
    err = np.zeros(N)
    err[60:90] = np.tile([40.0, -40.0], 15)
    m = score(analysis(angle_error=errors(right_knee=err))).moments[0]
    assert (m.error_deg, m.peak_deg, m.both_ways) == (0.0, 40.0, True)
    assert describe_moment(m) == "right knee off by up to 40 degrees, both ways"


def test_moments_are_ranked_by_severity_and_capped():
    elbow, knee = np.zeros(N), np.zeros(N)
    elbow[30:60] = -40.0                                    # excess 25 over 1 s
    knee[120:150] = 70.0                                    # excess 55 over 1 s
    a = analysis(angle_error=errors(left_elbow=elbow, right_knee=knee))
    assert [m.joint for m in score(a).moments] == ["right_knee", "left_elbow"]
    assert [m.joint for m in score(a, ScoreSettings(max_moments=1)).moments] == ["right_knee"]


def test_a_stretch_out_of_time_is_a_timing_moment():
    # The student holds frame 59 for 15 teacher frames, then runs 15 frames (0.5 s) early until
    # teacher frame 105, where the path jumps back onto the diagonal.
    s = np.arange(N)
    s[60:75] = 59
    s[75:105] = np.arange(75, 105) - 15
    card = score(analysis(path=np.stack([np.arange(N), s], axis=1)))
    timing = [m for m in card.moments if m.kind == "timing"]
    assert len(timing) == 1
    m = timing[0]
    # |late| > 0.15 s (4.5 frames) from teacher frame 64 (64 - 59 = 5 frames) to 104.
    assert m.teacher_s == pytest.approx((64 / FPS, 104 / FPS)) and m.student_s == pytest.approx((59 / FPS, 89 / FPS))
    assert m.late_s == pytest.approx(-0.5)
    assert describe_moment(m) == "early by 0.5 s (at worst) against the music"


def test_standing_still_while_the_teacher_moves_is_a_freeze_moment():
    student_energy = np.full(N, 2.0)
    student_energy[90:120] = 0.0
    a = analysis(teacher_energy=np.full(N, 2.0), student_energy=student_energy)
    moments = score(a).moments
    assert [m.kind for m in moments] == ["freeze"]
    # The 0.2 s (6-frame, frames i-3..i+2) running mean is below 0.35 (at most one moving frame
    # of six: 2/6) from frame 92 to 118.
    assert moments[0].still_s == pytest.approx(27 / FPS)
    assert moments[0].student_s == pytest.approx((92 / FPS, 118 / FPS))
    assert describe_moment(moments[0]) == "stood still for 0.9 s while the teacher kept moving"


def test_both_still_is_a_held_pose_not_a_freeze():
    student_energy = np.full(N, 2.0)
    student_energy[90:120] = 0.0
    assert score(analysis(teacher_energy=student_energy.copy(), student_energy=student_energy)).moments == []


def test_score_does_not_modify_the_analysis():
    err = errors(left_elbow=np.where(np.arange(N) >= 60, -40.0, 0.0))
    a = analysis(angle_error=err.copy())
    score(a)
    np.testing.assert_array_equal(a.angle_error, err)


def test_moments_carry_the_facts_their_kind_needs():
    with pytest.raises(ValueError, match="a form moment needs peak_deg"):
        Moment(teacher_s=(0, 1), student_s=(0, 1), kind="form", joint="neck", error_deg=1.0, late_s=None,
               severity=1.0, both_ways=True)
    with pytest.raises(ValueError, match="kind must be one of form, timing, freeze"):
        Moment(teacher_s=(0, 1), student_s=(0, 1), kind="slip", joint=None, error_deg=None, late_s=None,
               severity=1.0)
