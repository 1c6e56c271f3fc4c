"""engine.analysis.metrics.angles: joint angles against hand-made poses, angle errors along a path."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.metrics import (
    angle_errors,
    joint_angles,
)
from engine.core.body import ANGLE_TRIPLETS, SCORED_JOINTS
from tests.factories import L, frozen, upright_pose

COL = {name: k for k, name in enumerate(SCORED_JOINTS)}


def test_right_angle_at_the_elbow_is_90_and_a_straight_arm_is_180():
    p = upright_pose()
    assert joint_angles(p)[0, COL["left_elbow"]] == pytest.approx(90.0, abs=1e-4)
    p[0, L.LEFT_WRIST, :3] = (0.7, -0.5, 0.0)         # forearm continues the upper arm
    assert joint_angles(p)[0, COL["left_elbow"]] == pytest.approx(180.0, abs=1e-4)


def test_torso_upright_is_0_and_leaning_30_degrees_forward_is_30():
    p = upright_pose()
    assert joint_angles(p)[0, COL["torso"]] == pytest.approx(0.0, abs=1e-4)
    # Lean toward the camera (-z) by 30 deg: shoulder mid at 0.5 * (0, -cos30, -sin30).
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    for lm, x in ((L.LEFT_SHOULDER, 0.15), (L.RIGHT_SHOULDER, -0.15)):
        p[0, lm, :3] = (x, -0.5 * c, -0.5 * s)
    assert joint_angles(p)[0, COL["torso"]] == pytest.approx(30.0, abs=1e-4)


def test_neck_in_line_with_the_torso_is_0_and_a_head_tilted_45_is_45():
    p = upright_pose()
    assert joint_angles(p)[0, COL["neck"]] == pytest.approx(0.0, abs=1e-4)
    p[0, L.NOSE, :3] = (0.2, -0.7, 0.0)               # 0.2 sideways over 0.2 up -> 45 deg
    assert joint_angles(p)[0, COL["neck"]] == pytest.approx(45.0, abs=1e-4)


def _reference_angle(p: np.ndarray, a: int, v: int, b: int) -> float:
    """The textbook formula, arccos of the normalized dot product, on one frame."""
    u, w = p[a, :3] - p[v, :3], p[b, :3] - p[v, :3]
    return float(np.degrees(np.arccos(np.dot(u, w) / np.linalg.norm(u) / np.linalg.norm(w))))


def test_columns_follow_scored_joints_order_against_a_slow_reference():
    p = np.random.default_rng(3).normal(0, 0.4, (1, 33, 4))
    out = joint_angles(p)
    assert out.shape == (1, len(SCORED_JOINTS)) and out.dtype == np.float32
    for name, (a, v, b) in ANGLE_TRIPLETS.items():
        assert out[0, SCORED_JOINTS.index(name)] == pytest.approx(_reference_angle(p[0], a, v, b), abs=1e-3)
    hip = 0.5 * (p[0, L.LEFT_HIP, :3] + p[0, L.RIGHT_HIP, :3])
    sh = 0.5 * (p[0, L.LEFT_SHOULDER, :3] + p[0, L.RIGHT_SHOULDER, :3])
    axis = sh - hip
    torso = np.degrees(np.arccos(-axis[1] / np.linalg.norm(axis)))
    nose = p[0, L.NOSE, :3] - sh
    neck = np.degrees(np.arccos(np.dot(nose, axis) / np.linalg.norm(nose) / np.linalg.norm(axis)))
    assert SCORED_JOINTS[-2:] == ("torso", "neck")
    assert out[0, -2] == pytest.approx(torso, abs=1e-3)
    assert out[0, -1] == pytest.approx(neck, abs=1e-3)


def test_nan_propagates_only_to_the_joints_that_use_the_point():
    p = np.repeat(upright_pose(), 3, axis=0)
    p[0, L.LEFT_WRIST, :3] = np.nan                   # used by left_elbow and left_wrist
    p[1, L.NOSE, 0] = np.nan                          # one coordinate is enough
    p[2] = np.nan                                     # no detection
    out = joint_angles(p)
    assert {SCORED_JOINTS[k] for k in np.flatnonzero(np.isnan(out[0]))} == {"left_elbow", "left_wrist"}
    assert {SCORED_JOINTS[k] for k in np.flatnonzero(np.isnan(out[1]))} == {"neck"}
    assert np.isnan(out[2]).all()


def test_zero_length_bone_gives_nan_not_an_arbitrary_angle():
    p = upright_pose()
    p[0, L.LEFT_WRIST, :3] = p[0, L.LEFT_ELBOW, :3]
    assert np.isnan(joint_angles(p)[0, COL["left_elbow"]])


def test_angles_are_invariant_to_translation_scale_and_rotation_about_y():
    p = np.random.default_rng(5).normal(0, 0.4, (4, 33, 4))
    th = np.radians(40.0)
    rot_y = np.array([[np.cos(th), 0, np.sin(th)], [0, 1, 0], [-np.sin(th), 0, np.cos(th)]])
    q = p.copy()
    q[..., :3] = 2.5 * (p[..., :3] @ rot_y.T) + np.array([3.0, -1.0, 0.5])
    np.testing.assert_allclose(joint_angles(q), joint_angles(p), atol=1e-3)


def test_angle_errors_are_student_minus_teacher_through_repeated_indices():
    teacher = np.array([[10.0, 100.0], [20.0, 110.0], [30.0, 120.0]])
    student = np.array([[15.0, 90.0], [25.0, 95.0], [20.0, 130.0], [40.0, np.nan]])
    path = np.array([[0, 0], [0, 1], [1, 2], [2, 2], [2, 3]], dtype=np.int64)
    out = angle_errors(frozen(teacher), frozen(student), frozen(path))
    expect = [[5.0, -10.0], [15.0, -5.0], [0.0, 20.0], [-10.0, 10.0], [10.0, np.nan]]
    assert out.dtype == np.float32 and out.shape == (5, 2)
    np.testing.assert_allclose(out, expect)


@pytest.mark.parametrize("path, error", [
    (np.array([0, 1]), "shape"),
    (np.array([[0, 5]]), "out of range"),
    (np.array([[-1, 0]]), ">= 0"),
    (np.array([[0.0, 1.0]]), "integer"),
])
def test_angle_errors_rejects_bad_paths(path, error):
    with pytest.raises(ValueError, match=error):
        angle_errors(np.zeros((3, 2)), np.zeros((3, 2)), path)
