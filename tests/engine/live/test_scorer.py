"""engine.live.scorer: single user poses scored against a reference window."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.score import POSE_HALF_DEG, falloff
from engine.core.body import SCORED_JOINTS
from engine.core.body import Landmark as L
from engine.core.settings import ScoreSettings
from engine.live import LiveScorer
from tests.engine.live.helpers import total_weight
from tests.factories import (
    LEFT_ARM,
    LEGS,
    RIGHT_ARM,
    arm_sweep,
    reference_of,
    static_reference,
    swing,
)


def test_the_reference_frame_scores_100_at_its_own_time():
    ref = reference_of(arm_sweep())
    scorer = LiveScorer(ref)
    for k in (5, 20, 40):
        s = scorer.score(ref.world[k], float(ref.t[k]))
        assert s.score == 100.0 and s.ref_index == k and s.worst_joint is None
        assert set(s.joint_scores) == set(SCORED_JOINTS) and min(s.joint_scores.values()) == 100.0


def test_three_frames_late_still_scores_100_thanks_to_the_window():
    ref = reference_of(arm_sweep())                           # 24 degrees of arm travel in 3 frames
    k = 10                                                    # mid-sweep, far from a turn
    late = LiveScorer(ref).score(ref.world[k - 3], float(ref.t[k]))
    # Frames k-4..k-2 are within the 15 degree tolerance (8 degrees a frame); the nearest wins.
    assert late.score == 100.0 and late.ref_index == k - 2
    strict = LiveScorer(ref, window_s=0.0).score(ref.world[k - 3], float(ref.t[k]))
    assert strict.ref_index == k
    expected = falloff(np.array(24.0 - 15.0), POSE_HALF_DEG)              # 91.7
    assert strict.joint_scores["left_shoulder"] == pytest.approx(expected, abs=1.0)
    assert strict.score < 100.0 and strict.worst_joint is None            # 91.7 >= WORST_BELOW


def test_a_lowered_left_arm_lowers_the_left_shoulder(t_pose):
    ref = static_reference(t_pose)
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)              # 40 degrees lower
    s = LiveScorer(ref).score(user, 1.0)
    # Tolerance 15 (shoulders), then 100 / (1 + (excess / 30)^2): 25 degrees past it -> 59.0.
    bound = float(falloff(np.array(40.0 - 15.0 - 1.0), POSE_HALF_DEG))   # 61.0, one degree of slack
    assert s.joint_scores["left_shoulder"] < bound
    assert s.joint_scores["left_shoulder"] == pytest.approx(59.0, abs=0.5)
    assert s.worst_joint == "left_shoulder"
    assert all(v == 100.0 for k, v in s.joint_scores.items() if k != "left_shoulder")
    expected = 100.0 - 1.5 * (100.0 - 59.02) / total_weight()            # shoulders weigh 1.5
    assert s.score == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("tolerance, weight, shoulder, overall", [
    (45.0, 1.5, 100.0, 100.0),                       # within a generous tolerance: free
    (0.0, 1.5, 100.0 / (1.0 + (40.0 / 30.0) ** 2), None),   # no tolerance: the whole 40 degrees count
    (15.0, 0.0, 59.02, 100.0),                       # shoulders weigh nothing in the overall score
])
def test_tolerances_and_weights_come_from_score_settings(t_pose, tolerance, weight, shoulder, overall):
    base = ScoreSettings()
    settings = ScoreSettings(tolerance_deg={**base.tolerance_deg, "shoulders": tolerance},
                             joint_weights={**base.joint_weights, "shoulders": weight})
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    s = LiveScorer(static_reference(t_pose), settings).score(user, 1.0)
    assert s.joint_scores["left_shoulder"] == pytest.approx(shoulder, abs=0.5)
    if overall is not None:
        assert s.score == pytest.approx(overall, abs=0.05)
    else:
        assert s.score < 95.0


def test_mirror_names_the_user_own_side(t_pose):
    teacher = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)          # the teacher's left arm is low
    ref = reference_of(np.repeat(teacher[None], 30, axis=0))
    straight = t_pose()
    assert LiveScorer(ref).score(straight, 0.5).worst_joint == "left_shoulder"
    mirrored = LiveScorer(ref, mirror=True).score(straight, 0.5)
    assert mirrored.worst_joint == "right_shoulder"                      # the user's right copies it
    assert mirrored.joint_scores["left_shoulder"] == 100.0
    copy = swing(t_pose(), L.RIGHT_SHOULDER, RIGHT_ARM, -40.0)           # the user's right arm low
    assert LiveScorer(ref, mirror=True).score(copy, 0.5).score == 100.0


def test_invisible_legs_are_left_out(t_pose):
    user = swing(t_pose(), L.LEFT_SHOULDER, LEFT_ARM, 40.0)
    user[list(LEGS), 3] = 0.1
    s = LiveScorer(static_reference(t_pose)).score(user, 1.0)
    legs = {"left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"}
    assert set(s.joint_scores) == set(SCORED_JOINTS) - legs
    upper = [j for j in SCORED_JOINTS if j not in legs]
    assert s.score == pytest.approx(100.0 - 1.5 * (100.0 - 59.02) / total_weight(upper), abs=0.1)


def test_no_score_for_nobody_or_too_little(t_pose):
    scorer = LiveScorer(static_reference(t_pose))
    assert scorer.score(np.full((33, 4), np.nan, np.float32), 1.0) is None
    few = t_pose()
    few[:, 3] = 0.1
    few[[L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_HIP], 3] = 0.9   # one shoulder angle only
    assert scorer.score(few, 1.0) is None


def test_scorer_does_not_modify_its_input(t_pose):
    user = t_pose()
    before = user.copy()
    LiveScorer(static_reference(t_pose)).score(user, 0.5)
    np.testing.assert_array_equal(user, before)
