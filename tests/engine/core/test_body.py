"""engine.core.body: the body model's tables and the torso helpers on a hand-made pose."""

from __future__ import annotations

import numpy as np

from engine.core.body import (
    ANGLE_TRIPLETS,
    CORE_JOINTS,
    MIRROR_PERMUTATION,
    N_LANDMARKS,
    Landmark,
    hip_centre,
    mid_hip,
    mid_shoulder,
    mirror_joint_name,
    torso_length,
)

L = Landmark


def _pose() -> np.ndarray:
    """(33, 4): hips at (-1, 0, 0) and (1, 0, 2), shoulders at (-2, -3, 0) and (2, -5, 2); vis 0.9."""
    p = np.zeros((N_LANDMARKS, 4))
    p[:, 3] = 0.9
    p[L.LEFT_HIP, :3], p[L.RIGHT_HIP, :3] = (-1, 0, 0), (1, 0, 2)
    p[L.LEFT_SHOULDER, :3], p[L.RIGHT_SHOULDER, :3] = (-2, -3, 0), (2, -5, 2)
    return p


def test_midpoints_and_torso_length_by_hand():
    p = _pose()
    np.testing.assert_array_equal(mid_hip(p[:, :3]), [0, 0, 1])
    np.testing.assert_array_equal(mid_shoulder(p[:, :3]), [0, -4, 1])
    assert torso_length(p[:, :3]) == 4.0                     # |(0, -4, 0)|
    assert torso_length(p[:, :2]) == 4.0
    np.testing.assert_array_equal(hip_centre(p), [0, 0])      # first two coordinates only


def test_helpers_broadcast_over_frames_and_keep_nan():
    clip = np.stack([_pose(), 2 * _pose(), np.full((N_LANDMARKS, 4), np.nan)])
    lengths = torso_length(clip[..., :3])
    assert lengths.shape == (3,) and lengths[:2].tolist() == [4.0, 8.0] and np.isnan(lengths[2])
    assert mid_hip(clip).shape == (3, 4)


def test_tables_are_consistent():
    assert len(CORE_JOINTS) == 12
    perm = np.array(MIRROR_PERMUTATION)
    assert np.array_equal(perm[perm], np.arange(N_LANDMARKS))          # an involution
    assert perm[L.LEFT_ELBOW] == L.RIGHT_ELBOW and perm[L.NOSE] == L.NOSE
    for name, (a, v, b) in ANGLE_TRIPLETS.items():
        side = name.split("_")[0].upper()
        assert v.name.startswith(side)
        twin = ANGLE_TRIPLETS[mirror_joint_name(name)]
        assert tuple(perm[int(j)] for j in (a, v, b)) == tuple(int(j) for j in twin)
    assert mirror_joint_name("torso") == "torso"
