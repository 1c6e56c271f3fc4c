"""engine.analysis.metrics.trajectory: hip travel compared in torso lengths per second."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.metrics import (
    torso_scale_xy,
    trajectory_score,
    trajectory_scores,
)
from tests.factories import FPS, L, frozen, line_xy


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
