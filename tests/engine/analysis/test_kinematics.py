"""engine.analysis.kinematics: joint speeds (forward / central), motion energy options, gap bridging."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.kinematics import (
    MOTION_GROUPS,
    bridge_gaps,
    joint_mean,
    joint_speeds,
    motion_energy,
)
from engine.core.body import CORE_JOINTS, N_LANDMARKS, Landmark

FPS = 10.0


def test_joint_speeds_forward_and_central_by_hand():
    # One point on a line: x = 0, 1, 3, 6 (units) at 10 fps.
    pts = np.array([0.0, 1.0, 3.0, 6.0])[:, None, None]
    # forward: steps 1, 2, 3 (x 10 /s), frame 0 repeats frame 1
    np.testing.assert_array_equal(joint_speeds(pts, FPS, difference="forward")[:, 0], [10, 10, 20, 30])
    # central: one-sided ends (1, 3), centred inside ((3-0)/2, (6-1)/2)
    np.testing.assert_array_equal(joint_speeds(pts, FPS)[:, 0], [10, 15, 25, 30])


def test_central_speed_is_unknown_in_a_frame_where_the_point_is():
    pts = np.array([0.0, 1.0, np.nan, 3.0, 4.0])[:, None, None]
    speed = joint_speeds(pts, FPS)[:, 0]
    assert np.isnan(speed[1:4]).all() and speed[0] == 10 and speed[4] == 10
    with pytest.raises(ValueError, match="difference"):
        joint_speeds(pts, FPS, difference="backward")


def test_joint_mean_skips_unknown_values():
    np.testing.assert_array_equal(joint_mean(np.array([[1.0, 3.0], [np.nan, 4.0], [np.nan, np.nan]])),
                                  [2.0, 4.0, np.nan])


def test_bridge_gaps_interpolates_short_gaps_and_zeroes_the_rest():
    x = np.array([np.nan, 1.0, np.nan, 3.0, np.nan, np.nan, np.nan, 7.0, np.nan])
    np.testing.assert_array_equal(bridge_gaps(x, 2), [0, 1, 2, 3, 0, 0, 0, 7, 0])


def _walking_clip(n: int = 6) -> np.ndarray:
    """Every landmark moves +0.3 along x per frame; visibility 1."""
    clip = np.zeros((n, N_LANDMARKS, 4))
    clip[..., 0] = 0.3 * np.arange(n)[:, None]
    clip[..., 3] = 1.0
    return clip


@pytest.mark.parametrize("difference", ["central", "forward"])
def test_motion_energy_of_a_uniform_motion(difference):
    e = motion_energy(_walking_clip(), FPS, difference=difference)
    np.testing.assert_allclose(e, 3.0)
    per = motion_energy(_walking_clip(), FPS, difference=difference, per_group=True)
    assert per.shape == (6, len(MOTION_GROUPS)) and np.allclose(per, 3.0)


def test_motion_energy_gaps_are_nan_or_bridged():
    clip = _walking_clip(8)
    clip[3:5, [int(j) for j in CORE_JOINTS], :3] = np.nan      # a 2-frame dropout of the core
    raw = motion_energy(clip, FPS, difference="forward")
    assert np.isnan(raw[3:6]).all()                              # steps into, inside, out of it
    np.testing.assert_allclose(motion_energy(clip, FPS, difference="forward", bridge_gap_s=0.3), 3.0)
    bridged = motion_energy(clip, FPS, difference="forward", bridge_gap_s=0.2)   # 3 steps > 2
    np.testing.assert_array_equal(bridged[3:6], 0.0)


def test_motion_energy_use_z_and_one_frame():
    clip = _walking_clip()
    clip[..., 2] = 0.4 * np.arange(6)[:, None]                  # z moves too: 3-4-5 triangle
    np.testing.assert_allclose(motion_energy(clip, FPS), 5.0)
    np.testing.assert_allclose(motion_energy(clip, FPS, use_z=False), 3.0)
    assert np.isnan(motion_energy(clip[:1], FPS)).all()
    assert motion_energy(clip[:1], FPS, bridge_gap_s=0.5).tolist() == [0.0]


def test_motion_energy_leaves_out_non_core_joints_and_checks_input():
    clip = _walking_clip()
    clip[:, Landmark.NOSE, 0] = 100.0 * np.arange(6)            # the head is not a core joint
    np.testing.assert_allclose(motion_energy(clip, FPS), 3.0)
    with pytest.raises(ValueError, match="expected shape"):
        motion_energy(clip[:, :12], FPS)
    with pytest.raises(ValueError, match="fps"):
        motion_energy(clip, 0.0)
