"""Tests of engine.analysis.metrics.limbs on synthetic poses whose limb directions are known
(tests/engine/analysis/metrics/posekit.py), and co-movement sums with hand-computed truths."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.metrics import limbs as lm
from engine.core.body import LIMB_JOINT, LIMB_NAMES, SCORED_JOINTS
from engine.core.body import Landmark as L
from tests.engine.analysis.metrics.posekit import arm_dir, dance, pose, rotation

COL = {n: k for k, n in enumerate(LIMB_NAMES)}
FPS = 30.0


def dirs_of(*poses: np.ndarray) -> np.ndarray:
    return lm.limb_directions(np.stack(poses))


def test_arm_forward_vs_sideways_is_90_degrees():
    fwd = pose(l_upper=arm_dir(90, 0), l_fore=arm_dir(90, 0))
    side = pose(l_upper=arm_dir(90, 90), l_fore=arm_dir(90, 90))
    d = dirs_of(fwd, side)
    err = lm.angles_between(d[0], d[1])
    assert err[COL["left_upper_arm"]] == pytest.approx(90.0, abs=0.5)
    assert err[COL["left_forearm"]] == pytest.approx(90.0, abs=0.5)
    assert err[COL["right_upper_arm"]] == pytest.approx(0.0, abs=1e-6)
    # body axes: forward arm along +z (forward), sideways along +x (the dancer's left)
    np.testing.assert_allclose(d[0, COL["left_upper_arm"]], [0, 0, 1], atol=1e-9)
    np.testing.assert_allclose(d[1, COL["left_upper_arm"]], [1, 0, 0], atol=1e-9)


def test_scalar_shoulder_angle_cannot_tell_them_apart_but_directions_can():
    from engine.analysis.metrics import joint_angles
    fwd = pose(l_upper=arm_dir(90, 0))
    side = pose(l_upper=arm_dir(90, 90))
    a = joint_angles(np.stack([fwd, side]))
    assert abs(a[0, 0] - a[1, 0]) < 10.0    # left_shoulder angle: ~90 both (shoulders wider than hips)
    d = dirs_of(fwd, side)
    assert lm.angles_between(d[0], d[1])[COL["left_upper_arm"]] > 80


@pytest.mark.parametrize("axis", [(0, 1, 0), (1, 0, 0), (0.3, 0.5, -0.8)])
def test_rotation_translation_scale_leave_directions_unchanged(axis):
    seq = dance(20)
    r = rotation(axis, 73.0)
    moved = seq.copy()
    moved[..., :3] = 1.7 * np.einsum("ij,nkj->nki", r, seq[..., :3]) + np.array([0.4, -2.0, 3.0])
    a, b = lm.limb_directions(seq), lm.limb_directions(moved)
    body = [k for k, n in enumerate(LIMB_NAMES) if n != "torso"]
    np.testing.assert_allclose(a[:, body], b[:, body], atol=1e-9)
    if axis == (0, 1, 0):                   # about the vertical the torso's lean is unchanged too
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_torso_lean_is_against_the_vertical():
    upright = pose()
    leaned = pose()
    r = rotation((1, 0, 0), 30.0)           # pitch the whole body 30 degrees
    leaned[:, :3] = leaned[:, :3] @ r.T
    d = dirs_of(upright, leaned)
    assert lm.angles_between(d[0], d[1])[COL["torso"]] == pytest.approx(30.0, abs=0.5)
    assert lm.angles_between(d[0], d[1])[COL["left_upper_arm"]] == pytest.approx(0.0, abs=1e-6)


def test_hidden_leg_is_nan_not_in_view():
    p = pose()
    p[[L.LEFT_KNEE, L.LEFT_ANKLE], 3] = 0.1                   # low visibility
    d = dirs_of(p)
    assert np.isnan(d[0, COL["left_thigh"]]).all() and np.isnan(d[0, COL["left_shin"]]).all()
    assert np.isfinite(d[0, COL["right_thigh"]]).all() and np.isfinite(d[0, COL["left_upper_arm"]]).all()


def test_landmark_outside_the_image_is_not_in_view_even_if_visible():
    p = pose()
    image = np.full((1, 33, 4), 0.5)
    image[0, L.RIGHT_ANKLE, 1] = 1.3                          # below the frame's bottom edge
    d = lm.limb_directions(p[None], image)
    assert np.isnan(d[0, COL["right_shin"]]).all()
    assert np.isfinite(d[0, COL["right_thigh"]]).all()


def test_signed_error_names_lower_and_forward():
    t = pose(l_upper=arm_dir(90, 90))
    lower = pose(l_upper=arm_dir(60, 90))                     # 30 degrees lower
    fwd = pose(l_upper=arm_dir(90, 60))                       # 30 degrees toward forward
    td, sd = dirs_of(t, t), dirs_of(lower, fwd)
    err, signed = lm.pair_errors(td, sd, np.array([[0, 0], [1, 1]]))
    k = COL["left_upper_arm"]
    assert err[0, k] == pytest.approx(30.0, abs=0.5)
    assert signed[0, k, 1] == pytest.approx(-30.0, abs=0.5)  # up component: lower
    assert signed[1, k, 2] == pytest.approx(30.0, abs=0.5)   # forward component
    assert signed[1, k, 0] < -10                              # and less far out


def test_right_limb_out_is_its_own_side():
    t = pose(r_upper=arm_dir(90, 45, -1))
    s = pose(r_upper=arm_dir(90, 80, -1))                     # further out to the right
    _, signed = lm.pair_errors(dirs_of(t), dirs_of(s), np.array([[0, 0]]))
    assert signed[0, COL["right_upper_arm"], 0] > 20


def test_glitch_spike_flagged_and_excluded():
    seq = lm.limb_directions(dance(90))
    bad = seq.copy()
    k = COL["left_forearm"]
    bad[40, k] = -bad[40, k]                                   # a 180 degree flip for one frame
    flagged, counts = lm.glitch_mask(bad, FPS)
    assert flagged[40, k] and counts["speed"] >= 1
    assert flagged[:, k].sum() <= 2 and not flagged[:, COL["right_forearm"]].any()
    clean_flags, clean_counts = lm.glitch_mask(seq, FPS)
    assert not clean_flags.any() and clean_counts["any"] == 0


def test_left_right_swap_flagged():
    seq = lm.limb_directions(dance(90))
    bad = seq.copy()
    a, b = COL["left_upper_arm"], COL["right_upper_arm"]
    bad[30:34, [a, b]] = seq[30:34, [b, a]]
    # a real swap mirrors the direction across the body: the other side's vector with x negated
    bad[30:34, [a, b], 0] *= -1
    flagged, counts = lm.glitch_mask(bad, FPS)
    assert flagged[30:34, a].all() and counts["any"] >= 4
    assert not flagged[:25].any() and not flagged[40:].any()


def test_inputs_not_modified():
    seq = dance(30)
    frozen = seq.copy()
    frozen.flags.writeable = False
    d = lm.limb_directions(frozen)
    d.flags.writeable = False
    lm.glitch_mask(d, FPS)
    lm.pair_errors(d, d, np.stack([np.arange(30)] * 2, axis=1))
    lm.comovement_sums(d, d)
    np.testing.assert_array_equal(frozen, seq)


def test_limbs_are_body_data_one_per_scored_joint_in_order():
    assert tuple(LIMB_JOINT[n] for n in LIMB_NAMES) == SCORED_JOINTS
    assert LIMB_JOINT["left_upper_arm"] == "left_shoulder" and LIMB_JOINT["head"] == "neck"


# --- co-movement: C = num / sqrt(dt ds) -------------------------------------------------------

def _corr(sums: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):    # still limbs (the head): 0 / 0
        return sums[:, 0] / np.sqrt(sums[:, 1] * sums[:, 2])


def test_comovement_of_identical_sequences_is_one():
    seq = lm.limb_directions(dance(180))
    sums, counts = lm.comovement_sums(seq, seq)
    moving = [COL[n] for n in ("left_upper_arm", "right_forearm", "left_thigh", "right_shin")]
    np.testing.assert_allclose(_corr(sums)[moving], 1.0, atol=1e-12)
    np.testing.assert_allclose(sums[:, 0], sums[:, 1], atol=1e-9)      # num = dt = ds
    assert (counts == 180).all()


def test_comovement_by_hand_on_a_three_pair_sequence():
    # One limb, teacher x = (0, 1, 2) (means subtracted: -1, 0, 1), student x = (0, 2, 1)
    # (-1, 1, 0): num = 1 + 0 + 0 = 1, dt = 2, ds = 2, C = 0.5. Not unit vectors: the sums do not care.
    t = np.zeros((3, 1, 3))
    s = np.zeros((3, 1, 3))
    t[:, 0, 0] = [0.0, 1.0, 2.0]
    s[:, 0, 0] = [0.0, 2.0, 1.0]
    sums, counts = lm.comovement_sums(t, s)
    np.testing.assert_allclose(sums, [[1.0, 2.0, 2.0]])
    assert counts.tolist() == [3]


def test_a_constant_offset_cancels_style_is_not_a_difference():
    seq = lm.limb_directions(dance(180))
    offset = seq + np.array([0.3, -0.2, 0.1])               # the same movement around another mean
    sums, _ = lm.comovement_sums(seq, offset)
    k = COL["left_upper_arm"]
    assert _corr(sums)[k] == pytest.approx(1.0, abs=1e-12)


def test_a_time_shifted_unrelated_movement_does_not_co_move():
    # Two sinusoids of unrelated periods (3.1 s against 1.3 s, over 24 s) are nearly orthogonal.
    n = 720
    t_ = np.arange(n) / FPS
    a = np.zeros((n, 1, 3))
    b = np.zeros((n, 1, 3))
    a[:, 0, 0] = np.sin(2 * np.pi * t_ / 3.1)
    b[:, 0, 0] = np.sin(2 * np.pi * (t_ + 5.0) / 1.3)
    sums, _ = lm.comovement_sums(a, b)
    assert abs(_corr(sums)[0]) < 0.05
    sums_self, _ = lm.comovement_sums(a, np.roll(a, 45, axis=0))   # the same movement 1.5 s later
    assert _corr(sums_self)[0] < 0.0                                # about half a period out of phase


def test_comovement_skips_pairs_not_compared():
    seq = lm.limb_directions(dance(60))
    holes = seq.copy()
    holes[10:20, COL["left_forearm"]] = np.nan
    sums, counts = lm.comovement_sums(seq, holes)
    assert counts[COL["left_forearm"]] == 50 and counts[COL["right_forearm"]] == 60
    assert _corr(sums)[COL["left_forearm"]] == pytest.approx(1.0, abs=1e-12)
    sums_none, counts_none = lm.comovement_sums(np.full_like(seq, np.nan), seq)
    assert (counts_none == 0).all() and (sums_none == 0).all()
