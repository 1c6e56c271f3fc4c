from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.normalize import (
    _frame_distances,
    choose_mirror,
    joint_features,
    mirror_image,
    mirror_world,
    normalize,
    normalize_details,
    shown_core_joints,
    torso_lengths,
)
from engine.core.body import CORE_JOINTS, MIRROR_PERMUTATION, Landmark

L = Landmark
ATOL = 1e-5


def _raise_arm(pose: np.ndarray, side: str) -> np.ndarray:
    """Copy of a T-pose (33, 4) with one arm pointing straight up (y is down)."""
    out = pose.copy()
    sh = out[L[f"{side}_SHOULDER"], :3]
    for name, up in (("ELBOW", 0.27), ("WRIST", 0.52), ("INDEX", 0.60), ("PINKY", 0.59), ("THUMB", 0.57)):
        out[L[f"{side}_{name}"], :3] = sh + np.array([0.0, -up, 0.0])
    return out


def test_front_facing_pose_is_only_translated_and_scaled(t_pose):
    pose = t_pose()
    pose[:, :3] += np.array([0.05, -0.02, 0.3], np.float32)  # hips off the origin
    out = normalize(pose[None])[0]
    hip = 0.5 * (pose[L.LEFT_HIP, :3] + pose[L.RIGHT_HIP, :3])
    np.testing.assert_allclose(out[:, :3], (pose[:, :3] - hip) / 0.5, atol=ATOL)
    assert out[L.LEFT_SHOULDER, 0] > 0 > out[L.RIGHT_SHOULDER, 0]
    np.testing.assert_allclose(normalize_details(pose[None]).yaw_rad, [0.0], atol=1e-6)


def test_translation_and_scale_invariance(dance_clip):
    clip = dance_clip(n=20)
    moved = clip.copy()
    moved[..., :3] = moved[..., :3] * 1.7 + np.array([0.4, -0.2, 1.1], np.float32)
    np.testing.assert_allclose(normalize(moved), normalize(clip), atol=ATOL)


@pytest.mark.parametrize("degrees", [45.0, -30.0, 90.0, 180.0])
def test_yaw_invariance(t_pose, rotate_y, degrees):
    """Turning the dancer about the vertical changes nothing; 180 deg (back to the camera)
    maps to facing front, by design: we compare shapes, not facing."""
    pose = t_pose()[None]
    np.testing.assert_allclose(normalize(rotate_y(pose, degrees)), normalize(pose), atol=ATOL)


def test_yaw_invariance_per_frame(dance_clip, rotate_y):
    clip = dance_clip(n=12)
    turned = np.stack([rotate_y(f, d) for f, d in zip(clip, np.linspace(-170, 170, 12))])
    np.testing.assert_allclose(normalize(turned), normalize(clip), atol=ATOL)


def test_scale_is_the_clip_median_not_per_frame(t_pose):
    """A frame with a bent (short) torso keeps its proportions instead of being blown up."""
    clip = np.repeat(t_pose()[None], 5, axis=0)
    clip[2, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 1] = -0.3  # torso 0.3 m instead of 0.5
    res = normalize_details(clip)
    assert res.torso_m == pytest.approx(0.5)
    out = res.world
    assert out[2, L.LEFT_SHOULDER, 1] == pytest.approx(-0.6)
    assert out[0, L.LEFT_SHOULDER, 1] == pytest.approx(-1.0)


def test_mirror_twice_is_identity(dance_clip):
    clip = dance_clip(n=10)
    np.testing.assert_array_equal(mirror_world(mirror_world(clip)), clip)
    np.testing.assert_allclose(normalize(mirror_world(clip), mirror=True), normalize(clip), atol=ATOL)


def test_mirror_swaps_a_raised_left_arm_to_the_right(t_pose):
    pose = _raise_arm(t_pose(), "LEFT")[None]
    plain = normalize(pose)[0]
    assert plain[L.LEFT_WRIST, 1] < plain[L.LEFT_SHOULDER, 1] - 0.5       # left up
    mirrored = normalize(pose, mirror=True)[0]
    assert mirrored[L.RIGHT_WRIST, 1] < mirrored[L.RIGHT_SHOULDER, 1] - 0.5  # right up
    assert mirrored[L.LEFT_WRIST, 1] == pytest.approx(mirrored[L.LEFT_SHOULDER, 1], abs=1e-5)
    # Still a front-facing, normalized skeleton: its left shoulder on +x, nothing rotated.
    assert mirrored[L.LEFT_SHOULDER, 0] > 0
    expected = normalize(_raise_arm(t_pose(), "RIGHT")[None])[0]
    np.testing.assert_allclose(mirrored[:, :3], expected[:, :3], atol=ATOL)


def test_visibility_passes_through_and_follows_mirroring(t_pose):
    pose = t_pose()
    pose[:, 3] = np.linspace(0.1, 0.9, 33)
    np.testing.assert_array_equal(normalize(pose[None])[0, :, 3], pose[:, 3])
    np.testing.assert_array_equal(normalize(pose[None], mirror=True)[0, :, 3], pose[list(MIRROR_PERMUTATION), 3])


@pytest.mark.parametrize("mirror", [False, True])
def test_nan_rows_stay_nan_and_input_is_not_mutated(dance_clip, mirror):
    clip = dance_clip(n=8)
    clip[[0, 5]] = np.nan
    before = clip.copy()
    out = normalize(clip, mirror=mirror)
    np.testing.assert_array_equal(clip, before)
    assert out.dtype == np.float32 and out.shape == clip.shape
    assert np.isnan(out[[0, 5]]).all()
    assert np.isfinite(out[[1, 2, 3, 4, 6, 7]]).all()


def test_all_missing_clip_stays_missing():
    out = normalize(np.full((3, 33, 4), np.nan, np.float32))
    assert np.isnan(out).all()


@pytest.mark.parametrize("shape", [(5, 33, 3), (5, 17, 4), (33, 4)])
def test_wrong_shape_is_rejected(shape):
    with pytest.raises(ValueError, match=r"\(N, 33, 4\)"):
        normalize(np.zeros(shape, np.float32))


def test_torso_lengths(t_pose):
    np.testing.assert_allclose(torso_lengths(t_pose()[None]), [0.5], atol=1e-6)


def test_joint_features_layout(dance_clip):
    norm = normalize(dance_clip(n=4))
    feats = joint_features(norm)
    assert feats.shape == (4, 36) and feats.dtype == np.float32
    np.testing.assert_array_equal(feats[:, 3:6], norm[:, CORE_JOINTS[1], :3])


def test_choose_mirror_finds_a_mirrored_student(dance_clip, rotate_y):
    teacher = dance_clip(n=120, seed=3)
    student = rotate_y(mirror_world(teacher), 30.0)
    student[..., :3] *= 1.2
    mirrored, conf = choose_mirror(teacher, student)
    assert mirrored and conf > 0.5


def test_choose_mirror_keeps_a_plain_student(dance_clip):
    teacher = dance_clip(n=120, seed=3)
    student = teacher + np.random.default_rng(1).normal(0, 0.01, teacher.shape).astype(np.float32)
    before = student.copy()
    mirrored, conf = choose_mirror(teacher, student)
    assert not mirrored and conf > 0.5
    np.testing.assert_array_equal(student, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(5))
def test_frame_distances_match_the_obvious_numpy_bit_for_bit(seed, dtype):
    rng = np.random.default_rng(seed)
    n_joints = int(rng.integers(1, 13))
    a = rng.normal(size=(int(rng.integers(1, 60)), n_joints, 3)).astype(dtype)
    b = rng.normal(size=(int(rng.integers(1, 60)), n_joints, 3)).astype(dtype)
    a_before, b_before = a.copy(), b.copy()
    want = np.linalg.norm(a[:, None] - b[None], axis=-1).mean(axis=-1)
    got = _frame_distances(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)           # the same bits, so choose_mirror's numbers hold
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


def test_choose_mirror_without_frames_is_undecided(dance_clip):
    assert choose_mirror(dance_clip(n=10), np.full((10, 33, 4), np.nan, np.float32)) == (False, 0.0)


_LEGS = [L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]


def test_shown_core_joints_full_body_is_every_core_joint(dance_clip):
    clip = dance_clip(n=30)
    assert shown_core_joints((clip, None), (clip, None)).tolist() == [int(j) for j in CORE_JOINTS]


def test_shown_core_joints_drops_legs_out_of_view_and_their_twins(dance_clip):
    full = dance_clip(n=40)
    half = full.copy()
    half[:, _LEGS, 3] = 0.1                       # guessed legs, low visibility
    image = np.full((40, 33, 3), 0.5, np.float32)
    image[:, L.LEFT_HIP, 1] = 1.3                 # the left hip below the picture
    got = shown_core_joints((full, None), (half, image))
    want = [int(j) for j in CORE_JOINTS if j not in (*_LEGS, L.LEFT_HIP, L.RIGHT_HIP)]
    assert got.tolist() == want                   # the right hip goes with its hidden twin


def test_shown_core_joints_needs_half_the_frames(dance_clip):
    clip = dance_clip(n=40)
    clip[:19, L.LEFT_WRIST, 3] = 0.0              # hidden in 19 of 40 frames: still shown
    assert int(L.LEFT_WRIST) in shown_core_joints((clip, None)).tolist()
    clip[:21, L.LEFT_WRIST, 3] = 0.0              # hidden in 21 of 40: not shown, nor its twin
    got = shown_core_joints((clip, None)).tolist()
    assert int(L.LEFT_WRIST) not in got and int(L.RIGHT_WRIST) not in got


def test_choose_mirror_on_a_half_body_clip_uses_the_joints_both_show(dance_clip):
    teacher = dance_clip(n=120, seed=3)
    student = mirror_world(teacher)
    # The student's legs are out of the picture: the model guesses a still stance.
    still = dance_clip(n=1, seed=9)[0]
    student[:, _LEGS, :3] = still[_LEGS, :3]
    student[:, _LEGS, 3] = 0.05
    joints = shown_core_joints((teacher, None), (student, None))
    assert not set(int(j) for j in _LEGS) & set(joints.tolist())
    mirrored, conf = choose_mirror(teacher, student, joints=joints)
    assert mirrored and conf > 0.3


def test_mirror_image_flips_x_and_swaps_sides_and_twice_is_identity():
    rng = np.random.default_rng(3)
    image = rng.uniform(0, 1, (4, 33, 4)).astype(np.float32)
    frozen = image.copy()
    out = mirror_image(image)
    np.testing.assert_allclose(out[:, Landmark.RIGHT_WRIST, 0], 1.0 - image[:, Landmark.LEFT_WRIST, 0])
    np.testing.assert_array_equal(out[:, Landmark.RIGHT_WRIST, 1:], image[:, Landmark.LEFT_WRIST, 1:])
    np.testing.assert_allclose(mirror_image(out), image, atol=1e-6)
    np.testing.assert_array_equal(image, frozen)
