"""Tests of engine.analysis.metrics: small hand-built arrays with truths computed on paper."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from engine.analysis.metrics import (
    angle_errors,
    dynamics_score,
    dynamics_scores,
    hits,
    joint_angles,
    motion_energy,
    silhouette_score,
    silhouette_scores,
    torso_scale_xy,
    trajectory_score,
    trajectory_scores,
)
from engine.analysis.metrics.silhouette import COST_SCALE
from engine.core.body import ANGLE_TRIPLETS, SCORED_JOINTS, Landmark

L = Landmark
COL = {name: k for k, name in enumerate(SCORED_JOINTS)}
FPS = 30.0


def frozen(arr: np.ndarray) -> np.ndarray:
    """A read-only copy: any in-place write by the code under test raises."""
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------------------------- angles

def upright_pose() -> np.ndarray:
    """One frame (1, 33, 4), metres, y down: upright torso, head in line, left arm bent 90 deg.

    Every landmark is finite so that only the joints a test touches can become NaN.
    """
    p = np.zeros((1, 33, 4), np.float64)
    p[..., 3] = 1.0
    rng = np.random.default_rng(7)
    p[0, :, :3] = rng.normal(0, 0.3, (33, 3))         # arbitrary but non-degenerate
    p[0, L.LEFT_HIP, :3] = (0.1, 0.0, 0.0)
    p[0, L.RIGHT_HIP, :3] = (-0.1, 0.0, 0.0)
    p[0, L.LEFT_SHOULDER, :3] = (0.15, -0.5, 0.0)
    p[0, L.RIGHT_SHOULDER, :3] = (-0.15, -0.5, 0.0)  # shoulder mid (0, -0.5, 0): straight up
    p[0, L.NOSE, :3] = (0.0, -0.7, 0.0)               # straight above the shoulder mid
    p[0, L.LEFT_ELBOW, :3] = (0.45, -0.5, 0.0)        # upper arm along +x
    p[0, L.LEFT_WRIST, :3] = (0.45, -0.75, 0.0)       # forearm straight up: 90 deg at the elbow
    return p


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


# ------------------------------------------------------------------------------ trajectory

def line_xy(n: int, velocity: tuple[float, float], scale: float = 0.2, start=(0.5, 0.5)) -> np.ndarray:
    """Hip positions (n, 2) moving at `velocity` torso lengths / s, for torso length `scale`."""
    t = np.arange(n) / FPS
    return (np.asarray(start) + scale * np.outer(t, velocity)).astype(np.float32)


def traj(t_xy, s_xy, mirror=False, **kw) -> np.ndarray:
    n = min(len(t_xy), len(s_xy))
    path = np.stack([np.arange(n), np.arange(n)], axis=1)
    return trajectory_scores(frozen(t_xy), frozen(s_xy), frozen(path), fps=FPS, teacher_scale=0.2,
                             student_scale=kw.pop("student_scale", 0.2), mirror=mirror, **kw)


def test_same_path_scores_100():
    xy = line_xy(60, (1.0, 0.5))
    np.testing.assert_allclose(traj(xy, xy), 100.0, atol=1e-3)


def test_same_travel_filmed_from_twice_as_far_scores_100():
    # Half the size in the frame, half the displacement: torso lengths / s are equal.
    np.testing.assert_allclose(traj(line_xy(60, (1.0, 0.0)), line_xy(60, (1.0, 0.0), scale=0.1),
                                    student_scale=0.1), 100.0, atol=1e-3)


def test_opposite_directions_score_low():
    scores = traj(line_xy(60, (1.0, 0.0)), line_xy(60, (-1.0, 0.0)))
    assert np.all(scores < 20)
    np.testing.assert_allclose(scores, 0.0, atol=1e-3)            # cos = -1 -> direction term 0


def test_same_direction_at_half_speed_is_in_between():
    scores = traj(line_xy(60, (1.0, 0.0)), line_xy(60, (0.5, 0.0)))
    # one octave slower: 100 * (1 - 1/3)
    np.testing.assert_allclose(scores, 100 * (1 - 1 / 3), atol=1e-2)


def test_direction_90_degrees_off_scores_a_quarter():
    scores = traj(line_xy(60, (1.0, 0.0)), line_xy(60, (0.0, 1.0)))
    np.testing.assert_allclose(scores, 25.0, atol=1e-2)           # ((1 + 0) / 2) ** 2


def test_mirror_flag_flips_the_verdict_for_mirrored_x_motion():
    teacher = line_xy(60, (1.0, 0.3))                             # to the image right, a bit down
    mirrored_student = line_xy(60, (-1.0, 0.3))                   # to the image left, same depth
    assert np.all(traj(teacher, mirrored_student, mirror=False) < 20)
    np.testing.assert_allclose(traj(teacher, mirrored_student, mirror=True), 100.0, atol=1e-3)
    assert np.all(traj(teacher, teacher, mirror=True) < 20)      # a mirrored student going the same way is wrong


def test_both_still_scores_100_and_one_still_scores_by_how_far_the_other_travels():
    still = line_xy(60, (0.0, 0.0)) + np.float32(0.001) * np.sin(np.arange(60))[:, None].astype(np.float32)
    np.testing.assert_allclose(traj(still, still[::-1].copy()), 100.0, atol=1e-3)
    # still_speed 0.25: a teacher at 1 torso length / s is 2 octaves faster -> 100 * (1 - 2/3)
    np.testing.assert_allclose(traj(line_xy(60, (1.0, 0.0)), still), 100 / 3, atol=0.5)
    assert np.all(traj(line_xy(60, (2.0, 0.0)), still) < 1)      # 3 octaves: nothing left


def test_aspect_correction_makes_directions_isotropic():
    # A 2:1 frame: moving 0.05 widths and 0.1 heights per second is a 45 degree diagonal, like
    # moving 0.1 and 0.1 in a square frame.
    t_xy = (0.5 + np.outer(np.arange(30) / FPS, (0.05, 0.1))).astype(np.float32)
    s_xy = (0.5 + np.outer(np.arange(30) / FPS, (0.1, 0.1))).astype(np.float32)
    path = np.stack([np.arange(30), np.arange(30)], axis=1)
    common = dict(fps=FPS, teacher_scale=0.2, student_scale=0.2, mirror=False)
    np.testing.assert_allclose(trajectory_scores(t_xy, s_xy, path, teacher_aspect=2.0, **common), 100, atol=1e-3)
    assert np.all(trajectory_scores(t_xy, s_xy, path, **common) < 95)


def test_trajectory_nan_where_unknown_and_overall_mean():
    t_xy = line_xy(60, (1.0, 0.0))
    s_xy = t_xy.copy()
    s_xy[30] = np.nan
    scores = traj(t_xy, s_xy)
    half = int(round(0.5 * FPS / 2))
    assert np.isnan(scores[30 - half]) and np.isnan(scores[30 + half]) and np.isfinite(scores[30])
    assert trajectory_score(scores) == pytest.approx(100.0, abs=1e-3)
    assert trajectory_score(np.full(4, np.nan)) is None
    assert np.isnan(traj(t_xy, t_xy, student_scale=float("nan"))).all()


def test_torso_scale_xy_is_the_median_aspect_corrected_shoulder_to_hip_distance():
    img = np.full((3, 33, 4), np.nan, np.float32)
    for f, (sh, hp) in enumerate((((0.5, 0.3), (0.5, 0.5)), ((0.5, 0.3), (0.5, 0.5)), ((0.3, 0.5), (0.4, 0.5)))):
        img[f, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], :2] = sh
        img[f, [L.LEFT_HIP, L.RIGHT_HIP], :2] = hp
    # upright: 0.2 heights; lying: 0.1 widths = 0.2 heights in a 2:1 frame; median 0.2
    assert torso_scale_xy(frozen(img), 1280, 640) == pytest.approx(0.2, abs=1e-6)
    assert torso_scale_xy(img[2:], 640, 640) == pytest.approx(0.1, abs=1e-6)
    assert np.isnan(torso_scale_xy(np.full((2, 33, 4), np.nan), 640, 480))


# ------------------------------------------------------------------------------ silhouette

S = 128


def body_mask(left_arm: bool = True, right_arm: bool = True, dx: int = 0) -> np.ndarray:
    """A 128 px person-centred silhouette: torso ~26 px (as the extractor's 5-torso crop)."""
    m = np.zeros((S, S), np.uint8)
    cv2.rectangle(m, (57 + dx, 38), (71 + dx, 64), 255, -1)      # torso, hips at the centre
    cv2.circle(m, (64 + dx, 28), 7, 255, -1)                     # head
    cv2.line(m, (60 + dx, 64), (56 + dx, 110), 255, 6)           # legs
    cv2.line(m, (68 + dx, 64), (72 + dx, 110), 255, 6)
    if left_arm:
        cv2.line(m, (58 + dx, 40), (28 + dx, 40), 255, 5)        # held out sideways
    if right_arm:
        cv2.line(m, (70 + dx, 40), (92 + dx, 16), 255, 5)        # raised diagonally
    return m


def sil(teacher: np.ndarray, student: np.ndarray, *, mirror: bool = False) -> float:
    ok = np.ones(1, bool)
    return float(silhouette_scores(frozen(teacher[None]), frozen(student[None]), np.array([[0, 0]]),
                                   mirror=mirror, teacher_ok=ok, student_ok=ok)[0])


def test_identical_masks_score_100():
    assert sil(body_mask(), body_mask()) == pytest.approx(100.0)


def test_baggy_outline_2px_wider_costs_little():
    grown = cv2.dilate(body_mask(), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    assert sil(body_mask(), grown) >= 90
    assert sil(grown, body_mask()) == pytest.approx(sil(body_mask(), grown))   # symmetric


def test_soft_cost_by_hand_on_a_far_extra_patch():
    # Teacher: a 20 x 20 square. Student: the same square plus a 10 x 4 patch more than CAP_PX
    # away, so each patch pixel costs 1 and nothing else costs. The outline blur rounds off
    # the 4 corner pixels of each rectangle: areas 396 and 36. The student's uncovered share
    # is 36 / 432, the teacher's 0, and the larger of the two counts.
    teacher = np.zeros((S, S), np.uint8)
    teacher[54:74, 54:74] = 255
    student = teacher.copy()
    student[100:104, 10:20] = 255
    expect = 100 * np.exp(-(36 / 432) / COST_SCALE)                # 65.9
    assert sil(teacher, student) == pytest.approx(expect, abs=0.05)
    assert sil(student, teacher) == pytest.approx(expect, abs=0.05)


def test_a_missing_arm_costs_clearly():
    assert sil(body_mask(), body_mask(left_arm=False)) < 80
    assert sil(body_mask(left_arm=False), body_mask()) < 80     # an extra arm is as wrong


def test_an_unrelated_blob_scores_low():
    blob = np.zeros((S, S), np.uint8)
    cv2.ellipse(blob, (64, 64), (30, 20), 0, 0, 360, 255, -1)
    assert sil(body_mask(), blob) < 40


def test_mirror_flag_with_a_horizontally_flipped_mask_scores_100():
    flipped = np.ascontiguousarray(body_mask()[:, ::-1])
    assert sil(body_mask(), flipped, mirror=True) == pytest.approx(100.0)
    assert sil(body_mask(), flipped, mirror=False) < 80


def test_not_ok_and_empty_frames_are_nan_and_repeated_frames_are_fine():
    teacher = np.stack([body_mask(), body_mask(), body_mask()])
    student = np.stack([body_mask(), np.zeros((S, S), np.uint8), body_mask()])
    path = np.array([[0, 0], [0, 0], [1, 0], [2, 1], [2, 2]])
    out = silhouette_scores(teacher, student, path, mirror=False,
                            teacher_ok=np.array([True, False, True]), student_ok=np.ones(3, bool))
    assert out.dtype == np.float32 and out.shape == (5,)
    np.testing.assert_allclose(out, [100, 100, np.nan, np.nan, 100])   # not ok, then empty mask
    assert silhouette_score(out) == pytest.approx(100.0)
    assert silhouette_score(out[2:4]) is None


def test_stride_computes_every_nth_pair_and_interpolates_between():
    # The student's left arm shortens frame by frame, so the per-pair score changes smoothly.
    students = []
    for k in range(10):
        m = body_mask(left_arm=False)
        cv2.line(m, (58, 40), (28 + 3 * k, 40), 255, 5)
        students.append(m)
    student = np.stack(students)
    teacher = body_mask()[None]
    path = np.stack([np.zeros(10, int), np.arange(10)], axis=1)
    ok_t, ok_s = np.ones(1, bool), np.ones(10, bool)
    full = silhouette_scores(teacher, student, path, mirror=False, teacher_ok=ok_t, student_ok=ok_s)
    strided = silhouette_scores(teacher, student, path, mirror=False, teacher_ok=ok_t, student_ok=ok_s, stride=4)
    computed = [0, 4, 8, 9]                                      # every 4th, and always the last
    np.testing.assert_allclose(strided[computed], full[computed], rtol=1e-6)
    np.testing.assert_allclose(strided[2], 0.5 * (full[0] + full[4]), rtol=1e-6)
    np.testing.assert_allclose(strided[5], 0.75 * full[4] + 0.25 * full[8], rtol=1e-6)
    assert full[0] > full[9] + 10                                # the metric did see the arm


def test_silhouette_1000_pairs_is_fast():
    rng = np.random.default_rng(0)
    n = 1000
    base = np.stack([body_mask(dx=int(d)) for d in rng.integers(-4, 5, 9)])
    teacher = base[rng.integers(0, 9, n)]
    student = base[rng.integers(0, 9, n)]
    path = np.stack([np.arange(n), np.arange(n)], axis=1)        # worst case: no repeated frame
    ok = np.ones(n, bool)
    t0 = time.perf_counter()
    out = silhouette_scores(teacher, student, path, mirror=True, teacher_ok=ok, student_ok=ok)
    elapsed = time.perf_counter() - t0
    assert np.isfinite(out).all()
    assert elapsed < 5.0, f"1,000 silhouette pairs took {elapsed:.2f} s"   # ~0.25 s measured


# -------------------------------------------------------------------------------- dynamics

def moving_world(n: int, velocity=(0.3, 0.4, 0.0)) -> np.ndarray:
    """(n, 33, 4): every landmark translating at `velocity` units / s (|v| = 0.5)."""
    t = np.arange(n) / FPS
    w = np.zeros((n, 33, 4))
    w[..., :3] = np.random.default_rng(1).normal(0, 0.3, (33, 3)) + t[:, None, None] * np.asarray(velocity)
    w[..., 3] = 1.0
    return w


def test_motion_energy_of_constant_speed_is_that_speed():
    energy = motion_energy(frozen(moving_world(20)), FPS)
    assert energy.dtype == np.float32 and energy.shape == (20,)
    np.testing.assert_allclose(energy, 0.5, rtol=1e-5)


def test_motion_energy_is_the_mean_over_core_joints_and_skips_unknown_neighbours():
    w = moving_world(20)
    w[:, L.LEFT_WRIST, :3] = w[0, L.LEFT_WRIST, :3]              # one of the 12 core joints holds still
    np.testing.assert_allclose(motion_energy(w, FPS), 0.5 * 11 / 12, rtol=1e-5)
    w[10, L.LEFT_WRIST, :3] = np.nan                             # unknown in frame 10
    e = motion_energy(w, FPS)
    np.testing.assert_allclose(e[9:12], 0.5, rtol=1e-5)         # frames 9-11 average the 11 movers
    np.testing.assert_allclose(e[[8, 12]], 0.5 * 11 / 12, rtol=1e-5)
    w[5] = np.nan
    assert np.isnan(motion_energy(w, FPS)[5])
    assert np.isnan(motion_energy(w[:1], FPS)).all()


def spiky_energy(n: int = 180, spikes=(30, 75, 110, 150), seed: int = 0) -> np.ndarray:
    """Baseline 1.0 +- 0.05 with sharp 2-frame-wide accents of +2 at `spikes`."""
    rng = np.random.default_rng(seed)
    e = 1.0 + rng.normal(0, 0.05, n)
    k = np.arange(n)
    for s in spikes:
        e += 2.0 * np.exp(-0.5 * ((k - s) / 1.5) ** 2)
    return e.astype(np.float32)


def test_hits_finds_the_four_spikes():
    found = hits(frozen(spiky_energy()), FPS)
    assert found.tolist() == [30, 75, 110, 150]
    double = spiky_energy(spikes=(30, 36, 110))                  # 36 is 0.2 s after 30: one accent
    assert hits(double, FPS).tolist() == [30, 110] or hits(double, FPS).tolist() == [36, 110]
    assert hits(np.ones(50), FPS).size == 0                      # constant motion: no accents
    assert hits(spiky_energy(), FPS, min_prominence=5.0).size == 0


def test_dynamics_of_identical_energies_is_perfect():
    e = spiky_energy()
    path = np.stack([np.arange(e.size), np.arange(e.size)], axis=1)
    per_pair, summary = dynamics_scores(frozen(e), frozen(e), frozen(path), FPS)
    np.testing.assert_allclose(per_pair, 100.0, rtol=1e-6)
    assert summary["teacher_hits"] == 4 and summary["hits_matched"] == 4
    assert summary["hit_rate"] == 1.0 and summary["energy_ratio"] == pytest.approx(1.0)
    assert dynamics_score(per_pair, summary) == pytest.approx(100.0)


def test_half_the_energy_scores_about_50_but_keeps_its_hits():
    e = spiky_energy()
    path = np.stack([np.arange(e.size), np.arange(e.size)], axis=1)
    per_pair, summary = dynamics_scores(e, 0.5 * e, path, FPS)
    # (0.5 m + f) / (m + f) with f = 0.05 x median ~ 0.05: about 52
    assert np.all((per_pair > 45) & (per_pair < 56))
    assert summary["energy_ratio"] == pytest.approx(0.5, rel=1e-6)
    assert summary["hit_rate"] == 1.0                            # timing is right, energy is not


def test_hits_are_matched_through_the_path():
    e = spiky_energy()
    late = np.concatenate([np.full(10, 1.0, np.float32), e])     # the student is 10 frames late
    i = np.arange(e.size)
    aligned = np.stack([i, i + 10], axis=1)
    _, s = dynamics_scores(e, late, aligned, FPS)
    assert (s["teacher_hits"], s["hits_matched"]) == (4, 4)
    _, s = dynamics_scores(e, late, np.stack([i, i], axis=1), FPS)   # 0.33 s off > 0.2 s
    assert (s["teacher_hits"], s["hits_matched"], s["hit_rate"]) == (4, 0, 0.0)


def test_dynamics_score_combines_the_parts_it_has():
    assert dynamics_score(np.full(3, 50.0), {"hit_rate": 1.0}) == pytest.approx(75.0)
    assert dynamics_score(np.full(3, 50.0), {"hit_rate": None}) == pytest.approx(50.0)
    assert dynamics_score(np.full(3, np.nan), {"hit_rate": 0.5}) == pytest.approx(50.0)
    assert dynamics_score(np.full(3, np.nan), {"hit_rate": None}) is None


def test_no_function_mutates_its_inputs():
    # Read-only inputs raise on any in-place write; the value check catches sneakier changes.
    world = moving_world(30)
    world[3, 5] = np.nan
    energy = spiky_energy()
    xy = line_xy(30, (1.0, 0.0))
    masks = np.stack([body_mask()] * 3)
    path = np.array([[0, 0], [1, 1], [1, 2], [2, 2]])
    inputs = [world, energy, xy, masks, path]
    before = [x.copy() for x in inputs]
    w, e, p_xy, m, p = (frozen(x) for x in inputs)
    angles = joint_angles(w)
    angle_errors(angles, angles, p)
    motion_energy(w, FPS)
    hits(e, FPS)
    dynamics_scores(e, e, p, FPS)
    torso_scale_xy(w, 640, 480)
    trajectory_scores(p_xy, p_xy, p, fps=FPS, teacher_scale=0.2, student_scale=0.2, mirror=True)
    ok = frozen(np.ones(3, bool))
    silhouette_scores(m, m, p, mirror=True, teacher_ok=ok, student_ok=ok, stride=2)
    for x, b in zip(inputs, before):
        np.testing.assert_array_equal(x, b)
