"""Tests for engine.analysis.score on small hand-made Analyses with hand-computed truths.

The factory Analysis (tests/factories.py) has 30 fps clips of the synthetic
choreography (tests/engine/analysis/metrics/posekit.py: teacher and student identical unless
given), angle errors of zero, trajectory, silhouette and dynamics of 90 per pair, no motion
energy, and a diagonal path unless given one; each test changes only what it checks.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.analysis.score import (POSE_HALF_DEG, SCALE, Moment, comovement_score, correlation, falloff,
                                   joint_tables, score)
from engine.core.body import DEFAULT_JOINT_WEIGHT, LIMB_NAMES, SCORED_JOINTS, Landmark
from engine.core.errors import SettingsError
from engine.core.settings import DEFAULT_COMPONENT_WEIGHTS, ScoreSettings
from engine.present.feedback.wording import describe_moment
from tests.engine.analysis.metrics.posekit import dance
from tests.factories import make_analysis, make_performance

FPS = 30.0
N = 180                                  # 6 s clips
J = {name: j for j, name in enumerate(SCORED_JOINTS)}


#: The component weights the old tests were written with (hand-computed means below).
MIXED_WEIGHTS = ScoreSettings(weights={"pose": 50.0, "trajectory": 20.0, "silhouette": 15.0, "timing": 10.0,
                                       "dynamics": 5.0})


def analysis(*, path=None, n: int = N, method: str = "motion", offset_s: float = 0.0, mirror: bool = False,
             student_world: np.ndarray | None = None, **arrays):
    """A hand-made Analysis of 6 s clips of the synthetic dance (the student the same unless
    `student_world` is given); keyword arrays replace its per-pair metrics."""
    teacher = make_performance(dance(n, FPS), fps=FPS)
    student = teacher if student_world is None else make_performance(student_world, fps=FPS)
    path = np.stack([np.arange(n), np.arange(n)], axis=1) if path is None else path
    a = make_analysis(teacher, student, path, method=method, offset_s=offset_s, mirror=mirror)
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
    card = score(a, MIXED_WEIGHTS)
    assert card.components == {"pose": 100.0, "timing": 100.0, "trajectory": 60.0, "silhouette": 80.0,
                               "dynamics": 90.0}
    # (50 x 100 + 10 x 100 + 20 x 60 + 15 x 80 + 5 x 90) / 100
    assert card.overall == 88.5
    np.testing.assert_allclose(card.timeline, 88.5)


def test_a_missing_component_gives_its_weight_to_the_others():
    a = analysis(method="none", trajectory=np.full(N, 60.0), silhouette=np.full(N, np.nan))
    card = score(a, MIXED_WEIGHTS)
    assert card.components["timing"] is None and card.components["silhouette"] is None
    # (50 x 100 + 20 x 60 + 5 x 90) / (50 + 20 + 5)
    assert card.overall == pytest.approx(round(6650 / 75, 1))
    assert np.isnan(card.late_s).all()


def test_default_weights_follow_the_calibrated_components_only():
    assert DEFAULT_COMPONENT_WEIGHTS == {"pose": 85.0, "timing": 15.0, "trajectory": 0.0, "silhouette": 0.0,
                                         "dynamics": 0.0}
    a = analysis(trajectory=np.full(N, 20.0), silhouette=np.full(N, 30.0), method="none")
    card = score(a)
    assert card.components["trajectory"] == 20.0 and card.components["silhouette"] == 30.0   # still shown
    assert card.overall == card.components["pose"] == 100.0   # no timing: pose alone


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

@pytest.mark.parametrize("c, expected", [
    (1.0, 100.0), (0.29, 100 * (1 - 0.71 ** 2)), (0.5, 75.0), (0.0, 0.0), (-0.4, 0.0), (1.3, 100.0)])
def test_comovement_score_anchors(c, expected):
    assert float(comovement_score(c)) == pytest.approx(expected)
    assert float(comovement_score(0.29)) == pytest.approx(49.6, abs=0.05)   # unrelated dances: about 50


def test_correlation_resolves_held_still_limbs():
    # 100 pairs; a spread below 1 degree RMS is still (dt <= 100 x (pi / 180)^2 = 0.0305).
    c = correlation(np.array([0.5, 0.0, 0.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0]),
                    np.array([1.0, 0.0, 0.0, 1.0]), np.array([100, 100, 100, 0]))
    np.testing.assert_allclose(c[:3], [0.5, 1.0, 0.0])       # moving; both still; one still
    assert np.isnan(c[3])                                    # never compared


def _with_comove(a, sums: dict[str, tuple[float, float, float]]):
    """The Analysis with hand-set co-movement sums; only the named limbs in view (100 pairs each)."""
    comove = np.zeros((len(LIMB_NAMES), 3))
    seen = np.zeros(len(LIMB_NAMES), bool)
    for name, row in sums.items():
        comove[LIMB_NAMES.index(name)], seen[LIMB_NAMES.index(name)] = row, True
    return replace(a, limb_comove=comove, limb_in_view=seen, limb_pairs=np.where(seen, 100, 0))


def test_joint_weights_pool_the_limbs_as_computed_by_hand():
    # Upper arm (shoulders, weight 1.5) co-moves fully, forearm (elbows, 1.0) not at all:
    # C = (1.5 x 1 + 1 x 0) / sqrt((1.5 + 1) (1.5 + 1)) = 0.6 -> 100 (1 - 0.4^2) = 84.
    a = _with_comove(analysis(), {"left_upper_arm": (1.0, 1.0, 1.0), "left_forearm": (0.0, 1.0, 1.0)})
    assert score(a).components["pose"] == 84.0
    w = DEFAULT_JOINT_WEIGHT
    assert score(a, ScoreSettings(joint_weights={**w, "elbows": 0.0})).components["pose"] == 100.0
    assert score(a, ScoreSettings(joint_weights={**w, "shoulders": 0.0})).components["pose"] == 0.0
    # elbows 3: C = 1.5 / 4.5 = 1/3 -> 100 (1 - (2/3)^2) = 55.6
    assert score(a, ScoreSettings(joint_weights={**w, "elbows": 3.0})).components["pose"] == 55.6
    card = score(a)
    assert card.joints["left_shoulder"] == 100.0 and card.joints["left_elbow"] == 0.0
    assert set(card.joints) == {"left_shoulder", "left_elbow"}


def _arm_error(deg: float, start: int = 60, stop: int = 90) -> np.ndarray:
    err = np.zeros(N)
    err[start:stop] = deg
    return err


def test_a_one_second_30_degree_error_drops_that_joint_only():
    # The left arm 30 degrees lower for 1 s (frames 60-89): upper arm, forearm and hand all turn.
    # Shoulders and elbows (tolerance 15): local excess (30 - 0 - 15) / 30 = 0.5 over exactly the
    # 1-s window, W = 0.5, score = 100 (C = 1) x (1 - 0.5 x 0.5) = 75. Wrists (tolerance 25):
    # excess 5 / 30, score 100 (1 - 0.5 / 6) = 91.7.
    card = score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0))))
    assert card.joints["left_shoulder"] == pytest.approx(75.0, abs=0.2) and card.joints["left_shoulder"] <= 85
    assert card.joints["left_elbow"] == pytest.approx(75.0, abs=0.2)
    assert card.joints["left_wrist"] == pytest.approx(100 * (1 - 0.5 / 6), abs=0.2)
    others = {k: v for k, v in card.joints.items() if k not in ("left_shoulder", "left_elbow", "left_wrist")}
    assert len(others) == 11 and min(others.values()) >= 95
    assert card.components["pose"] >= 99            # a 1-s slip barely changes the co-movement
    col = SCORED_JOINTS.index("left_shoulder")
    assert card.joint_timeline[75, col] == pytest.approx(50.0, abs=0.5)   # 100 (1 - 0.5) during the slip
    assert card.joint_timeline[20, col] == 100.0
    # A wider tolerance forgives it: shoulders 30 -> no excess.
    loose = score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0))),
                  ScoreSettings(tolerance_deg={**ScoreSettings().tolerance_deg, "shoulders": 30.0}))
    assert loose.joints["left_shoulder"] == pytest.approx(100.0, abs=0.2)


def test_a_constant_direction_offset_is_style():
    # The left arm 40 degrees lower all the time: the median error is 40, nothing is local.
    card = score(analysis(student_world=dance(N, FPS, left_arm_error=np.full(N, 40.0))))
    assert card.joint_error_deg["left_shoulder"] == pytest.approx(40.0, abs=0.5)
    assert card.joints["left_shoulder"] >= 95 and card.components["pose"] >= 98


def test_a_hidden_leg_is_not_in_view_and_out_of_the_pose_score():
    student = dance(N, FPS)
    leg = [Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX]
    student[:, leg, :3] += np.random.default_rng(0).normal(0, 0.3, (N, len(leg), 3))   # whatever it does...
    student[:, leg, 3] = 0.1                                                           # ...it is not seen
    card = score(analysis(student_world=student))
    assert card.not_in_view == ("left_hip", "left_knee", "left_ankle")     # thigh, shin, foot
    assert not set(card.not_in_view) & set(card.joints) and len(card.joints) == 11
    assert card.components["pose"] == 100.0
    assert np.isnan(card.joint_timeline[:, SCORED_JOINTS.index("left_knee")]).all()


def test_nothing_in_view_means_no_pose_score():
    world = dance(N, FPS)
    world[..., 3] = 0.0
    card = score(analysis(student_world=world), MIXED_WEIGHTS)
    assert card.components["pose"] is None and card.joints == {} and len(card.not_in_view) == len(SCORED_JOINTS)


def test_mirrored_student_joints_are_named_as_their_own_limbs():
    # The student danced mirrored, slipping with the teacher's LEFT arm = the student's own RIGHT.
    student = mirror_world(dance(N, FPS, left_arm_error=_arm_error(30.0)))
    card = score(analysis(student_world=student, mirror=True))
    assert card.joints["right_shoulder"] == pytest.approx(75.0, abs=0.2)
    assert card.joints["left_shoulder"] == 100.0
    assert card.components["pose"] >= 99


def test_the_scale_names_its_anchors():
    assert "100" in SCALE and "85" in SCALE and "50" in SCALE


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
