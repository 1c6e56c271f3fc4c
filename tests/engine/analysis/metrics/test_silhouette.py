"""engine.analysis.metrics.silhouette: soft mask comparison, mirroring, stride."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from engine.analysis.metrics import (
    silhouette_score,
    silhouette_scores,
)
from engine.analysis.metrics.silhouette import COST_SCALE
from tests.factories import S, body_mask, frozen


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
