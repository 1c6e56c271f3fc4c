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

from engine.analysis.compare import analyze_performances
from engine.analysis.normalize import mirror_world
from engine.analysis.score import (
    MISTAKE_NOISE_K,
    POSE_HALF_DEG,
    SCALE,
    Moment,
    comovement_score,
    correlation,
    falloff,
    joint_tables,
    score,
)
from engine.core.body import DEFAULT_JOINT_WEIGHT, LIMB_NAMES, SCORED_JOINTS, Landmark
from engine.core.errors import SettingsError
from engine.core.settings import DEFAULT_COMPONENT_WEIGHTS, ScoreSettings
from engine.io.video import audio
from engine.present.feedback import ComparisonFacts, rules_feedback
from engine.present.feedback.wording import describe_moment
from engine.present.report import build_report, check_report
from tests.conftest import footage, needs_footage
from tests.engine.analysis.metrics.posekit import dance
from tests.factories import make_analysis, make_performance, rotate_y

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
    # Each joint leans toward the pooled C = 0.6 by how little the teacher moves it: sums of 1.0
    # over 100 pairs are a spread of 0.01 rad^2 (5.7 degrees RMS), trust = 0.01 / (0.01 + (10
    # degrees in rad)^2) = 0.247. Shoulder: 0.247 x 1 + 0.753 x 0.6 = 0.699 -> 100 (1 - 0.301^2)
    # = 90.9; elbow: 0.753 x 0.6 = 0.452 -> 100 (1 - 0.548^2) = 70.0.
    assert card.joints["left_shoulder"] == pytest.approx(90.9, abs=0.1)
    assert card.joints["left_elbow"] == pytest.approx(70.0, abs=0.1)
    assert set(card.joints) == {"left_shoulder", "left_elbow"}
    # Moved widely (sums of 30 over 100 pairs: 31 degrees RMS, trust 0.908), a joint speaks for
    # itself: shoulder 0.908 + 0.092 x 0.6 = 0.963 -> 99.9; elbow 0.092 x 0.6 = 0.055 -> 10.7.
    wide = score(_with_comove(analysis(), {"left_upper_arm": (30.0, 30.0, 30.0), "left_forearm": (0.0, 30.0, 30.0)}))
    assert wide.components["pose"] == 84.0
    assert wide.joints["left_shoulder"] == pytest.approx(99.9, abs=0.1)
    assert wide.joints["left_elbow"] == pytest.approx(10.7, abs=0.2)


POSE_ONLY = ScoreSettings(weights={"pose": 100.0, "timing": 0.0, "trajectory": 0.0, "silhouette": 0.0,
                                   "dynamics": 0.0})


def test_the_timeline_sits_at_the_dances_pose_level():
    # Pooled co-movement C = 0.6 (pose 84, as above) and no limb ever off its usual error: the
    # pose timeline is 84 all along, not 100 (a dance that only partly moves with the teacher's
    # must not draw a perfect line under an 84).
    a = _with_comove(analysis(), {"left_upper_arm": (1.0, 1.0, 1.0), "left_forearm": (0.0, 1.0, 1.0)})
    card = score(a, POSE_ONLY)
    assert card.overall == 84.0
    np.testing.assert_allclose(card.timeline, 84.0, atol=0.05)
    # Nothing co-moves (C = 0): the timeline is 0 where it was 100 (1 - local excess) = 100 before.
    none = score(_with_comove(analysis(), {"left_upper_arm": (0.0, 1.0, 1.0)}), POSE_ONLY)
    assert none.overall == 0.0 and float(np.max(none.timeline)) == 0.0


def _arm_error(deg: float, start: int = 60, stop: int = 90, n: int = N) -> np.ndarray:
    err = np.zeros(n)
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
    # The co-movement stays 1 (C -> 100) but the slip is a mistake over 30 of the 180 pairs: the
    # largest weighted excess is the upper arm's 0.5 (shoulders carry the largest weight), so
    # M = 0.5 x 30 / 180 and pose = 100 (1 - 1/12) = 91.7.
    assert card.components["pose"] == pytest.approx(100 * (1 - 0.5 * 30 / 180), abs=0.05)
    col = SCORED_JOINTS.index("left_shoulder")
    assert card.joint_timeline[75, col] == pytest.approx(50.0, abs=0.5)   # 100 (1 - 0.5) during the slip
    assert card.joint_timeline[20, col] == 100.0
    # The pose timeline: 100 away from the slip (C = 1), lower through it (limbs pooled, smoothed).
    line = score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0))), POSE_ONLY).timeline
    assert line[20] == pytest.approx(100.0, abs=0.05) and line[75] < 95.0
    # A wider tolerance forgives it: shoulders 30 -> no excess.
    loose = score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0))),
                  ScoreSettings(tolerance_deg={**ScoreSettings().tolerance_deg, "shoulders": 30.0}))
    assert loose.joints["left_shoulder"] == pytest.approx(100.0, abs=0.2)


def test_a_constant_direction_offset_is_style():
    # The left arm 40 degrees lower all the time: the median error is 40, nothing is local.
    card = score(analysis(student_world=dance(N, FPS, left_arm_error=np.full(N, 40.0))))
    assert card.joint_error_deg["left_shoulder"] == pytest.approx(40.0, abs=0.5)
    assert card.joints["left_shoulder"] >= 95 and card.components["pose"] >= 98


# --- mistakes in the overall -------------------------------------------------------------------

N12 = 360                                 # a 12-s dance


def test_a_30_degree_one_second_error_in_a_12_s_dance_lowers_the_overall_a_constant_offset_does_not():
    # The case: the left arm 30 degrees lower for 1 s (frames 150-179) of a 12-s dance.
    # Pose = 100 (1 - M), M = 0.5 (upper arm excess (30 - 15) / 30) x 30 / 360 = 0.042 -> 95.8;
    # with the default weights (pose 85, timing 15 at 100) the overall is 96.5, 3.5 below.
    def card(err):
        return score(analysis(n=N12, student_world=dance(N12, FPS, left_arm_error=err)))
    clean = card(np.zeros(N12))
    slip = card(_arm_error(30.0, 150, 180, n=N12))
    offset = card(np.full(N12, 30.0))
    assert clean.overall == 100.0
    assert slip.components["pose"] == pytest.approx(100 * (1 - 0.5 * 30 / 360), abs=0.05)
    assert slip.overall == pytest.approx(100 - 85 / 100 * 100 * 0.5 * 30 / 360, abs=0.1)
    assert slip.overall <= clean.overall - 3
    assert offset.overall >= 99.5                # the same 30 degrees all the time: style


def test_an_error_inside_the_pairs_own_noise_is_not_a_mistake():
    # Every limb's error jumps between 10 and 50 degrees frame by frame (sigma = 1.4826 MAD = 59
    # with the excursion below in it, median 50): the left upper arm at 95 degrees for 1 s, 45
    # above that median, stays inside 3 sigma of this pair's noise, so the pose is the co-movement
    # alone (with the tolerance alone, 95 - 50 - 15 = 30 degrees past it would be fully wrong).
    # The same kind of slip on a clean track (sigma 0: the tolerance 15 rules), 35 degrees for
    # 1 s, is a mistake: (35 - 15) / 30 = 2/3 over 30 of 180 pairs, pose 100 (1 - 1/9) = 88.9.
    noisy = np.tile(np.where(np.arange(N) % 2 == 0, 10.0, 50.0)[:, None], (1, len(SCORED_JOINTS))).astype(np.float32)
    excursion = noisy.copy()
    excursion[60:90, J["left_shoulder"]] = 95.0
    e = excursion[:, J["left_shoulder"]]
    sigma = 1.4826 * np.median(np.abs(e - 50.0))
    assert np.median(e) == 50.0 and sigma == pytest.approx(59.3, abs=0.1) and 95.0 - 50.0 < MISTAKE_NOISE_K * sigma
    assert score(analysis(limb_error=noisy)).components["pose"] == 100.0
    assert score(analysis(limb_error=excursion)).components["pose"] == 100.0
    clean = np.zeros((N, len(SCORED_JOINTS)), np.float32)
    clean[60:90, J["left_shoulder"]] = 35.0
    assert score(analysis(limb_error=clean)).components["pose"] == pytest.approx(100 * (1 - 1 / 9), abs=0.05)


def test_a_freeze_is_a_mistake_over_its_span():
    # Frames 92-118 (27 of 180 pairs) are a freeze moment (see the freeze test below): M = 27 / 180.
    student_energy = np.full(N, 2.0)
    student_energy[90:120] = 0.0
    card = score(analysis(teacher_energy=np.full(N, 2.0), student_energy=student_energy))
    assert [m.kind for m in card.moments] == ["freeze"]
    assert card.components["pose"] == pytest.approx(100 * (1 - 27 / 180), abs=0.05)


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
    assert card.components["pose"] == pytest.approx(100 * (1 - 0.5 * 30 / 180), abs=0.05)


def test_the_scale_names_its_anchors():
    assert "100" in SCALE and "85" in SCALE and "50" in SCALE


# --- moments ----------------------------------------------------------------------------------

#: A 1-s slip where the teacher's left arm stays 90-160 degrees from hanging down (t = 3.1-4.1 s),
#: so lowering it 30 degrees lowers its elevation by exactly 30 (it never swings past hanging).
SLIP = (93, 123)


def test_a_one_second_arm_slip_is_one_moment_named_by_its_direction():
    # The left arm 30 degrees lower for 1 s: upper arm, forearm and hand each turn 30 degrees
    # down (signed "up" -30). Baseline: the 4-s rolling median, 0 (the slip is a quarter of each
    # window). Upper arm and forearm: 30 > max(15, 15); hand: 30 > 25. One arm, one mistake: the
    # upper arm (shoulder weight 1.5) names it, severity (30 - 0 - 15) x 1 s x 1.5 = 22.5.
    card = score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0, *SLIP))))
    assert len(card.moments) == 1
    m = card.moments[0]
    assert (m.kind, m.joint, m.axis) == ("form", "left_shoulder", "up")
    assert m.error_deg == pytest.approx(-30.0, abs=0.01)
    assert m.teacher_s == pytest.approx((3.1, 122 / FPS)) and m.student_s == pytest.approx((3.1, 122 / FPS))
    assert m.severity == pytest.approx(22.5, abs=0.01)
    assert describe_moment(m) == "left arm 30 degrees lower than the teacher"


def test_a_mirrored_slip_is_named_on_the_students_own_side():
    student = mirror_world(dance(N, FPS, left_arm_error=_arm_error(30.0, *SLIP)))
    [m] = score(analysis(student_world=student, mirror=True)).moments
    assert describe_moment(m) == "right arm 30 degrees lower than the teacher"


def test_a_constant_direction_offset_is_style_not_a_moment():
    assert score(analysis(student_world=dance(N, FPS, left_arm_error=np.full(N, 40.0)))).moments == []


def test_a_slip_shorter_than_a_moment_is_ignored():
    # 5 frames = 0.17 s < MIN_MOMENT_S (0.25 s)
    assert score(analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(40.0, 60, 65)))).moments == []


def limb_facts(**by_joint) -> dict:
    """Hand-made limb facts: each keyword is a joint -> (error (N,), signed (N, 3)); others 0."""
    err = np.zeros((N, len(SCORED_JOINTS)), np.float32)
    signed = np.zeros((N, len(SCORED_JOINTS), 3), np.float32)
    for name, (e, sg) in by_joint.items():
        err[:, J[name]], signed[:, J[name]] = e, sg
    return {"limb_error": err, "limb_signed": signed}


def _stretch(values, axis: int, start: int = 60, stop: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """An error of |values| over frames start..stop, signed along one axis."""
    e, sg = np.zeros(N), np.zeros((N, 3))
    sg[start:stop, axis] = values
    e[start:stop] = np.abs(sg[start:stop, axis])
    return e, sg


def test_an_error_swinging_both_ways_is_not_a_moment():
    # 40 degrees off for 1 s, but higher and lower by turns every 5 frames (a glitching track):
    # the mean signed difference is 0, below 0.6 of the mean size (40).
    swing = np.tile(np.repeat([40.0, -40.0], 5), 3)
    card = score(analysis(**limb_facts(right_knee=_stretch(swing, axis=1))))
    assert card.moments == []
    assert not any("both ways" in describe_moment(m) for m in card.moments)


def test_a_steady_direction_in_hand_made_facts_is_a_moment():
    # The same size held in one direction (further back) is one: "right forearm 40 degrees further back".
    [m] = score(analysis(**limb_facts(right_elbow=_stretch(np.full(30, -40.0), axis=2)))).moments
    assert (m.joint, m.axis, m.error_deg) == ("right_elbow", "forward", -40.0)
    assert describe_moment(m) == "right forearm 40 degrees further back than the teacher"


def test_glitched_pairs_are_not_moments():
    # The tracker glitched (NaN in the limb facts) over the slip's frames: nothing is left to judge.
    e, sg = _stretch(np.full(30, -40.0), axis=1)
    e[60:90], sg[60:90] = np.nan, np.nan
    assert score(analysis(**limb_facts(left_shoulder=(e, sg)))).moments == []


def test_a_slip_while_a_dancer_faces_away_is_not_a_moment():
    # The same slip, the student turned 180 degrees (back to the camera): limb directions in the
    # body frame are unchanged, but left and right cannot be trusted from behind.
    student = rotate_y(dance(N, FPS, left_arm_error=_arm_error(30.0, *SLIP)), 180.0)
    a = analysis(student_world=student)
    assert a.facing_away.all()
    assert score(a).moments == [] and score(a).excluded["facing_away_pairs"] == N


def test_the_wait_before_the_dance_is_not_scored():
    # The student stands still for the first second (motion 0.1 against a dancing level of 2)
    # with the arm 30 degrees lower: the wait, not a mistake. The same slip later is one.
    energy = np.full(N, 2.0)
    energy[:30] = 0.1
    waiting = analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0, 0, 30)),
                       teacher_energy=np.full(N, 2.0), student_energy=energy)
    assert score(waiting).moments == []
    later = analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0, *SLIP)),
                     teacher_energy=np.full(N, 2.0), student_energy=energy)
    assert [describe_moment(m) for m in score(later).moments] == ["left arm 30 degrees lower than the teacher"]


def test_moments_are_ranked_by_severity_and_capped():
    a = analysis(**limb_facts(left_elbow=_stretch(np.full(30, -40.0), axis=2, start=30, stop=60),   # 25 x 1 s
                              right_knee=_stretch(np.full(30, 70.0), axis=1, start=120, stop=150)))  # 55 x 1 s
    assert [m.joint for m in score(a).moments] == ["right_knee", "left_elbow"]
    assert [m.joint for m in score(a, ScoreSettings(max_moments=1)).moments] == ["right_knee"]


def test_excluded_glitches_are_counted_in_the_card_and_the_report():
    # 14 limbs x 180 pairs compared, 60 more dropped as glitches: 60 / 2580 = 2.3 %.
    a = replace(analysis(), glitches={"teacher_frames": 3, "student_frames": 5, "limb_pairs": 60})
    card = score(a)
    assert card.excluded == {"glitch_frames_teacher": 3, "glitch_frames_student": 5,
                             "limb_pairs_share": round(60 / 2580, 4), "facing_away_pairs": 0}
    report = build_report(a, card, rules_feedback(card, ComparisonFacts.from_analysis(a)))
    assert report["scores"]["excluded"] == card.excluded and check_report(report) == []
    assert "glitched" not in report["feedback"]["text"]              # 2.3 %: not worth a word


def test_many_excluded_glitches_get_one_clause_in_the_feedback():
    # 600 / (600 + 2520) = 19 % > 10 %.
    a = replace(analysis(), glitches={"teacher_frames": 40, "student_frames": 50, "limb_pairs": 600})
    text = rules_feedback(score(a), ComparisonFacts.from_analysis(a)).text
    assert "The pose tracker glitched on 19% of the limb comparisons (fast or hidden limbs); those were left out." in text


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
    a = analysis(student_world=dance(N, FPS, left_arm_error=_arm_error(30.0)))
    err, signed = a.limb_error.copy(), a.limb_signed.copy()
    score(a)
    np.testing.assert_array_equal(a.limb_error, err)
    np.testing.assert_array_equal(a.limb_signed, signed)


def test_moments_carry_the_facts_their_kind_needs():
    with pytest.raises(ValueError, match="axis must be one of out, up, forward"):
        Moment(teacher_s=(0, 1), student_s=(0, 1), kind="form", joint="neck", error_deg=1.0, late_s=None,
               severity=1.0, axis="sideways")
    with pytest.raises(ValueError, match="kind must be one of form, timing, freeze"):
        Moment(teacher_s=(0, 1), student_s=(0, 1), kind="slip", joint=None, error_deg=None, late_s=None,
               severity=1.0)


# --- real footage ---------------------------------------------------------------------------------

@pytest.mark.slow
@needs_footage
@pytest.mark.parametrize("teacher, student", [
    ("pairs/callme404_teacher_douyin.mp4", "pairs/callme404_student_studio.mp4"),
    ("pairs/feelsreal_dancerA.mp4", "pairs/feelsreal_dancerB.mp4"),
], ids=["callme404", "feelsreal"])
def test_real_form_moments_each_name_one_direction(load_clip, teacher, student):
    # Tracker glitches on fast arms swung "both ways" by 60-120 degrees (issue #12): every form
    # moment now names one direction, and none falls in the student's still wait before the dance.
    a = analyze_performances(load_clip(teacher), load_clip(student), teacher_audio=audio(footage(teacher), sr=16000),
                             student_audio=audio(footage(student), sr=16000))
    card = score(a)
    form = [m for m in card.moments[:5] if m.kind == "form"]
    assert form, [describe_moment(m) for m in card.moments]
    for m in form:
        words = describe_moment(m)
        assert m.axis in ("out", "up", "forward") and "both ways" not in words, words
        assert any(d in words for d in ("higher", "lower", "forward", "back", "out to the side", "closer in",
                                        "to the left", "to the right", "upright", "leaning")), words
    first_student_move = a.student_s[0] + 0.3          # feelsreal B stands still for her first 0.3 s
    assert all(m.student_s[0] >= first_student_move for m in form)
    assert 0.0 <= card.excluded["limb_pairs_share"] <= 1.0
