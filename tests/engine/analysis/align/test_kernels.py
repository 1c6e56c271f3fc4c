"""Tests for engine.analysis.align._banded and ._kernels: hand-computed DP, kernels vs a slow
reference, pruning bit-identical to the full band."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.align import _banded, _kernels, cost_matrix, dtw
from tests.engine.analysis.align.reference import (
    INF,
    assert_valid_path,
    dense_acc_from_cost,
    path_sum,
    random_walks,
    ref_accumulated,
    ref_band_mask,
    ref_cost_matrix,
    warped_copy,
)

# --------------------------------------------------------------------------------------------
# Hand-computed examples
# --------------------------------------------------------------------------------------------

# 3 x 3, one feature: x = [0, 2, 5] (teacher), y = [0, 0, 5] (student); C = |x_i - y_j|:
#         y=0  y=0  y=5
#   x=0 [  0    0    5 ]
#   x=2 [  2    2    3 ]
#   x=5 [  5    5    0 ]
# Accumulated, unconstrained (acc = C + min(diag, up, left)):
#   row 0: 0, 0+0=0, 5+0=5
#   row 1: 2+0=2, 2+min(0,0,2)=2, 3+min(0,5,2)=3
#   row 2: 5+2=7, 5+min(2,2,7)=7, 0+min(2,3,7)=2
# Backtrack from (2,2): diag acc(1,1)=2 < up 3, left 7 -> (1,1). At (1,1): diag acc(0,0)=0 ties
# up acc(0,1)=0 -> the diagonal wins the tie -> (0,0). Path (0,0),(1,1),(2,2); total 0+2+0 = 2,
# K = 3, mean 2/3. (The tied path (0,0),(0,1),(1,1),(2,2) also costs 2.)
# Band 0.2 on 3x3: half-width max(0.2*3, 1, (1+1)/2) = 1 around j = i, so (0,2) and (2,0) are
# out (inf); (1,2) = 3+min(0, inf, 2) = 3 and (2,1) = 5+min(2, 2, inf) = 7: same path and cost.
X33 = np.array([[0.0], [2.0], [5.0]])
Y33 = np.array([[0.0], [0.0], [5.0]])
ACC33_FREE = np.array([[0, 0, 5], [2, 2, 3], [7, 7, 2]], dtype=float)
ACC33_BAND = np.array([[0, 0, INF], [2, 2, 3], [INF, 7, 2]], dtype=float)
PATH33 = [[0, 0], [1, 1], [2, 2]]

# 3 x 4: x = [0, 2, 4], y = [0, 1, 3, 4]; C = |x_i - y_j|:
#   x=0 [ 0  1  3  4 ]
#   x=2 [ 2  1  1  2 ]
#   x=4 [ 4  3  1  0 ]
# Unconstrained:
#   row 0: 0, 1, 4, 8
#   row 1: 2+0=2, 1+min(0,1,2)=1, 1+min(1,4,1)=2, 2+min(4,8,2)=4
#   row 2: 4+2=6, 3+min(2,1,6)=4, 1+min(1,2,4)=2, 0+min(2,4,2)=2
# Backtrack from (2,3): diag acc(1,2)=2 ties left acc(2,2)=2 -> diagonal -> (1,2); there diag
# acc(0,1)=1 ties left acc(1,1)=1 -> diagonal -> (0,1); row 0 -> (0,0).
# Path (0,0),(0,1),(1,2),(2,3): C = 0+1+1+0 = 2, K = 4, mean 0.5.
# Band 0.2: slope s = 3/2, half-width max(0.8, 1, 1.25) = 1.25 around j = 1.5 i:
#   row 0: |j| <= 1.25 -> 0..1; row 1: |j-1.5| <= 1.25 -> 1..2; row 2: |j-3| <= 1.25 -> 2..3.
#   row 0: 0, 1, inf, inf
#   row 1: inf, 1+min(0,1)=1, 1+min(1,inf,1)=2, inf
#   row 2: inf, inf, 1+min(1,2,inf)=2, 0+min(2,inf,2)=2     -> same path, total 2.
X34 = np.array([[0.0], [2.0], [4.0]])
Y34 = np.array([[0.0], [1.0], [3.0], [4.0]])
ACC34_FREE = np.array([[0, 1, 4, 8], [2, 1, 2, 4], [6, 4, 2, 2]], dtype=float)
ACC34_BAND = np.array([[0, 1, INF, INF], [INF, 1, 2, INF], [INF, INF, 2, 2]], dtype=float)
PATH34 = [[0, 0], [0, 1], [1, 2], [2, 3]]


@pytest.mark.parametrize(
    "x, y, band, acc_expected, path_expected, total, mean",
    [
        (X33, Y33, None, ACC33_FREE, PATH33, 2.0, 2 / 3),
        (X33, Y33, 0.2, ACC33_BAND, PATH33, 2.0, 2 / 3),
        (X34, Y34, None, ACC34_FREE, PATH34, 2.0, 0.5),
        (X34, Y34, 0.2, ACC34_BAND, PATH34, 2.0, 0.5),
    ],
    ids=["3x3-free", "3x3-band", "3x4-free", "3x4-band"],
)
def test_hand_computed(x, y, band, acc_expected, path_expected, total, mean):
    C = cost_matrix(x, y)
    np.testing.assert_array_equal(C, np.abs(x - y.T))
    np.testing.assert_array_equal(dense_acc_from_cost(C, band), acc_expected)

    prep = _banded._prepare(x, y, None)
    lo, hi = _banded._band_bounds(len(x), len(y), band)
    acc, s, e = _banded._accumulate(prep, lo, hi)
    np.testing.assert_array_equal(_banded._dense(acc, lo, s, e), acc_expected)

    for result in (dtw(x, y, band=band), dtw(C=C, band=band)):
        assert result.path.tolist() == path_expected
        assert result.total_cost == total
        assert result.cost == mean
        assert result.backend == "exact" and result.band == band


def test_tie_break_teacher_step_before_student_step():
    # C = [[0,0,0],[0,9,0],[0,0,0]]: acc = [[0,0,0],[0,9,0],[0,0,0]]. At (2,2): diag acc(1,1)=9,
    # up acc(1,2)=0, left acc(2,1)=0 -> the tie goes to the teacher step (1,2); from there the
    # diagonal (0,1) (0, ties up 0) -> (0,0). Path (0,0),(0,1),(1,2),(2,2), total 0.
    C = np.array([[0, 0, 0], [0, 9, 0], [0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(dense_acc_from_cost(C, None), [[0, 0, 0], [0, 9, 0], [0, 0, 0]])
    assert dtw(C=C, band=None).path.tolist() == [[0, 0], [0, 1], [1, 2], [2, 2]]


def test_tie_break_prefers_diagonal_on_uniform_cost():
    # All costs 1: acc(i, j) = max(i, j) + 1. From (3,5): diag (2,4)=5 ties left (3,4)=5 ->
    # diagonal, likewise to (0,2), then along row 0.
    result = dtw(C=np.ones((4, 6)), band=None)
    assert result.path.tolist() == [[0, 0], [0, 1], [0, 2], [1, 3], [2, 4], [3, 5]]
    assert result.total_cost == 6.0


# --------------------------------------------------------------------------------------------
# Kernel vs the slow reference
# --------------------------------------------------------------------------------------------

SIZES = [(1, 1), (1, 6), (6, 1), (2, 3), (5, 5), (8, 13), (13, 8), (31, 40), (47, 29)]


@pytest.mark.parametrize("band", [None, 0.0, 0.1, 0.2])
@pytest.mark.parametrize("n, m", SIZES)
def test_matches_reference(n, m, band):
    x, y = random_walks(n, m, 3, seed=n * 100 + m)
    C = ref_cost_matrix(x, y)
    mask = ref_band_mask(n, m, band)
    D = ref_accumulated(C, mask)

    np.testing.assert_allclose(cost_matrix(x, y), C, rtol=1e-12, atol=1e-12)
    got = dense_acc_from_cost(C, band)
    np.testing.assert_array_equal(np.isinf(got), ~mask)
    np.testing.assert_allclose(got[mask], D[mask], rtol=1e-12)

    for result in (dtw(x, y, band=band), dtw(C=C, band=band)):
        assert np.isclose(result.total_cost, D[-1, -1], rtol=1e-12)
        assert np.isclose(path_sum(C, result.path), D[-1, -1], rtol=1e-12)
        assert np.isclose(result.cost, result.total_cost / len(result.path))
        assert_valid_path(result.path, n, m, mask)


@pytest.mark.parametrize("band", [None, 0.2])
@pytest.mark.parametrize("n, m", [(9, 14), (30, 22)])
def test_matches_reference_with_nan_and_weights(n, m, band):
    rng = np.random.default_rng(7)
    x, y = random_walks(n, m, 4, seed=3)
    x[rng.random(x.shape) < 0.2] = np.nan
    y[rng.random(y.shape) < 0.2] = np.nan
    x[1] = np.nan  # a frame with nothing detected
    w = np.array([1.0, 0.5, 0.0, 2.0])
    C = ref_cost_matrix(x, y, w)
    D = ref_accumulated(C, ref_band_mask(n, m, band))
    np.testing.assert_allclose(cost_matrix(x, y, weights=w), C, rtol=1e-12)
    result = dtw(x, y, band=band, weights=w)
    assert np.isclose(result.total_cost, D[-1, -1], rtol=1e-12)
    assert np.isclose(path_sum(C, result.path), D[-1, -1], rtol=1e-12)


@pytest.mark.parametrize("band", [None, 0.2, 0.1])
@pytest.mark.parametrize(
    "make", [lambda: warped_copy(500, 12, seed=1), lambda: random_walks(500, 550, 12, seed=2)],
    ids=["warped-copy", "unrelated"],
)
def test_pruned_dp_is_bit_identical_to_full_band(make, band):
    # Big enough that the features path prunes; the cost-matrix path never does.
    # (`dtw` itself solves inputs this small with NumPy: the kernels are called directly.)
    x, y = make()
    lo, hi = _banded._band_bounds(len(x), len(y), band)
    assert _banded._n_cells(lo, hi) >= _banded._PRUNE_MIN_CELLS
    prep = _banded._prepare(x, y, None)
    acc, s, e = _banded._accumulate(prep, lo, hi)
    pruned = _kernels._backtrack(acc, lo, s, e)
    full_acc, full_s, full_e = _kernels._fill_cost(cost_matrix(x, y), lo, hi)
    assert acc[-1, e[-1] - lo[-1]] == full_acc[-1, full_e[-1] - lo[-1]]
    np.testing.assert_array_equal(pruned, _kernels._backtrack(full_acc, lo, full_s, full_e))
    assert_valid_path(pruned, len(x), len(y), ref_band_mask(len(x), len(y), band))


def test_pruning_skips_most_cells_on_similar_sequences():
    x, y = warped_copy(600, 12, seed=4)
    prep = _banded._prepare(x, y, None)
    lo, hi = _banded._band_bounds(len(x), len(y), None)
    _, s, e = _banded._accumulate(prep, lo, hi)
    assert int((e - s + 1).sum()) < 0.3 * len(x) * len(y)
    _, s, e = _banded._accumulate(prep, lo, hi, prune=False)
    assert int((e - s + 1).sum()) == len(x) * len(y)


def test_kernel_reports_a_bound_below_the_optimum():
    x, y = random_walks(20, 25, 3, seed=5)
    prep = _banded._prepare(x, y, None)
    lo, hi = _banded._band_bounds(20, 25, None)
    *_, ok = _kernels._fill_features(*prep.kernel_args(), lo, hi, 1e-3)
    assert not ok
    *_, ok = _kernels._fill_features(*prep.kernel_args(), lo, hi, np.inf)
    assert ok


