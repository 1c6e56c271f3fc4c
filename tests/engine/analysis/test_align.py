"""Tests for engine.analysis.align: hand-computed DTW, kernels vs a slow reference, path properties,
time-warp recovery, NaN handling, input immutability, errors, and the fastdtw backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analysis import align
from engine.analysis.align import Alignment, cost_matrix, dtw

INF = np.inf

# --------------------------------------------------------------------------------------------
# Slow, obvious references (loops, no cleverness)
# --------------------------------------------------------------------------------------------


def ref_band_mask(n: int, m: int, band: float | None) -> np.ndarray:
    """(n, m) bool: the band rule of `dtw`'s docstring, checked cell by cell."""
    mask = np.ones((n, m), dtype=bool)
    if band is None or n == 1 or m == 1:
        return mask
    slope = (m - 1) / (n - 1)
    half = max(band * max(n, m), 1.0, (slope + 1.0) / 2.0)
    for i in range(n):
        centre = i * (m - 1) / (n - 1)
        for j in range(m):
            mask[i, j] = abs(j - centre) <= half + 1e-9
    return mask


def ref_accumulated(C: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n, m) accumulated cost by the textbook recurrence; inf outside the mask."""
    n, m = C.shape
    D = np.full((n, m), INF)
    for i in range(n):
        for j in range(m):
            if not mask[i, j]:
                continue
            if i == 0 and j == 0:
                D[i, j] = C[0, 0]
                continue
            prev = min(
                D[i - 1, j - 1] if i > 0 and j > 0 else INF,
                D[i - 1, j] if i > 0 else INF,
                D[i, j - 1] if j > 0 else INF,
            )
            D[i, j] = C[i, j] + prev
    return D


def ref_cost_matrix(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Pairwise NaN-aware weighted Euclidean distance, one pair at a time."""
    d = x.shape[1]
    w = np.ones(d) if w is None else np.asarray(w, dtype=float)
    both = np.vstack([x, y])
    spans = [
        np.nanmax(both[:, k]) - np.nanmin(both[:, k])
        for k in range(d)
        if w[k] > 0 and not np.isnan(both[:, k]).all()
    ]
    no_overlap = math.sqrt(w.sum()) * max(spans, default=0.0) or 1.0
    out = np.empty((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            ok = ~np.isnan(x[i]) & ~np.isnan(y[j]) & (w > 0)
            if not ok.any():
                out[i, j] = no_overlap
                continue
            sq = float(np.sum(w[ok] * (x[i, ok] - y[j, ok]) ** 2))
            out[i, j] = math.sqrt(sq * w.sum() / w[ok].sum())
    return out


def path_sum(C: np.ndarray, path: np.ndarray) -> float:
    return float(sum(C[i, j] for i, j in path))


def assert_valid_path(path: np.ndarray, n: int, m: int, mask: np.ndarray | None = None) -> None:
    assert path.dtype == np.int64 and path.ndim == 2 and path.shape[1] == 2
    assert tuple(path[0]) == (0, 0)
    assert tuple(path[-1]) == (n - 1, m - 1)
    steps = {tuple(s) for s in np.diff(path, axis=0)}
    assert steps <= {(1, 0), (0, 1), (1, 1)}, f"bad steps {steps}"
    assert max(n, m) <= len(path) <= n + m - 1
    if mask is not None:
        assert mask[path[:, 0], path[:, 1]].all(), "path leaves the band"


def dense_acc_from_cost(C: np.ndarray, band: float | None) -> np.ndarray:
    """The exact kernel's accumulated matrix for a cost matrix, as a full (N, M) array."""
    lo, hi = align._band_bounds(C.shape[0], C.shape[1], band)
    acc, s, e = align._fill_cost(np.ascontiguousarray(C, dtype=float), lo, hi)
    return align._dense(acc, lo, s, e)


def random_walks(n: int, m: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).cumsum(0), rng.standard_normal((m, d)).cumsum(0)


def warped_copy(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Teacher random walk and a student that re-times it (1.1x longer) plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).cumsum(0)
    m = round(1.1 * n)
    u = np.linspace(0.0, 1.0, m)
    speed = 1.0 + 0.2 * np.sin(2 * np.pi * (3 * u + rng.random()))
    tau = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    tau *= (n - 1) / tau[-1]
    y = np.stack([np.interp(tau, np.arange(n), x[:, k]) for k in range(d)], axis=1)
    return x, y + 0.5 * rng.standard_normal((m, d))


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

    prep = align._prepare(x, y, None)
    lo, hi = align._band_bounds(len(x), len(y), band)
    acc, s, e = align._accumulate(prep, lo, hi)
    np.testing.assert_array_equal(align._dense(acc, lo, s, e), acc_expected)

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
    x, y = make()
    lo, hi = align._band_bounds(len(x), len(y), band)
    assert align._n_cells(lo, hi) >= align._PRUNE_MIN_CELLS
    pruned = dtw(x, y, band=band)
    full = dtw(C=cost_matrix(x, y), band=band)
    assert pruned.total_cost == full.total_cost
    np.testing.assert_array_equal(pruned.path, full.path)
    assert_valid_path(pruned.path, len(x), len(y), ref_band_mask(len(x), len(y), band))


def test_pruning_skips_most_cells_on_similar_sequences():
    x, y = warped_copy(600, 12, seed=4)
    prep = align._prepare(x, y, None)
    lo, hi = align._band_bounds(len(x), len(y), None)
    _, s, e = align._accumulate(prep, lo, hi)
    assert int((e - s + 1).sum()) < 0.3 * len(x) * len(y)
    _, s, e = align._accumulate(prep, lo, hi, prune=False)
    assert int((e - s + 1).sum()) == len(x) * len(y)


def test_kernel_reports_a_bound_below_the_optimum():
    x, y = random_walks(20, 25, 3, seed=5)
    prep = align._prepare(x, y, None)
    lo, hi = align._band_bounds(20, 25, None)
    *_, ok = align._fill_features(*prep.kernel_args(), lo, hi, 1e-3)
    assert not ok
    *_, ok = align._fill_features(*prep.kernel_args(), lo, hi, np.inf)
    assert ok


# --------------------------------------------------------------------------------------------
# Path properties and the band
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("band", [None, 0.0, 0.2])
@pytest.mark.parametrize("n, m", [(120, 132), (132, 120), (200, 60), (60, 200), (2, 90), (90, 2)])
def test_path_properties(n, m, band):
    x, y = random_walks(n, m, 5, seed=n + 7 * m)
    result = dtw(x, y, band=band)
    assert_valid_path(result.path, n, m, ref_band_mask(n, m, band))
    assert not result.path.flags.writeable
    assert isinstance(result, Alignment)


@pytest.mark.parametrize("n, m", [(4, 60), (60, 4), (2, 50), (10, 11), (37, 101)])
def test_zero_band_is_widened_until_a_path_exists(n, m):
    x, y = random_walks(n, m, 2, seed=1)
    result = dtw(x, y, band=0.0)
    assert math.isfinite(result.total_cost)
    assert_valid_path(result.path, n, m, ref_band_mask(n, m, 0.0))


def test_band_constrains_and_none_is_optimal():
    # Student identical to the teacher but starting 30 frames late: the free path must bend
    # far from the diagonal, which a narrow band forbids.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3)).cumsum(0)
    y = np.vstack([np.repeat(x[:1], 30, axis=0), x])
    free = dtw(x, y, band=None)
    narrow = dtw(x, y, band=0.02)
    assert free.total_cost == pytest.approx(0.0, abs=1e-9)
    assert narrow.total_cost > free.total_cost + 1.0
    assert_valid_path(narrow.path, 200, 230, ref_band_mask(200, 230, 0.02))


# --------------------------------------------------------------------------------------------
# Time-warp recovery
# --------------------------------------------------------------------------------------------


def _smooth_signal(rng: np.random.Generator, d: int, n: int):
    """s(t), t in teacher frames: per dimension, a sum of 4 sinusoids (periods 40-200 frames)."""
    periods = rng.uniform(40, 200, (4, d))
    phases = rng.uniform(0, 2 * np.pi, (4, d))
    amps = rng.uniform(0.5, 1.5, (4, d))

    def s(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)[:, None, None]
        return (amps * np.sin(2 * np.pi * t / periods + phases)).sum(axis=1)

    return s


@pytest.mark.parametrize("band", [0.2, None])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_a_known_time_warp(seed, band):
    rng = np.random.default_rng(seed)
    n, d = 400, 6
    s = _smooth_signal(rng, d, n)
    # Student frame j shows teacher time tau(j); speed dtau/dj = exp(0.18 sin(.)) in [0.84, 1.2].
    j = np.arange(2 * n)
    speed = np.exp(0.18 * np.sin(2 * np.pi * j / rng.uniform(80, 160) + rng.uniform(0, 2 * np.pi)))
    tau = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    m = int(np.searchsorted(tau, n - 1)) + 1
    tau = tau[:m] * (n - 1) / tau[m - 1]
    assert 0.8 <= np.diff(tau).min() and np.diff(tau).max() <= 1.25

    x = s(np.arange(n))
    y = s(tau)
    result = dtw(x, y, band=band)
    recovered = np.array([result.path[result.path[:, 1] == k, 0].mean() for k in range(m)])
    err = np.abs(recovered - tau)
    assert err.mean() <= 1.0, f"mean index error {err.mean():.2f} frames"
    assert err.max() <= 4.0


# --------------------------------------------------------------------------------------------
# NaN handling in cost_matrix
# --------------------------------------------------------------------------------------------


def test_nan_feature_is_left_out_and_rescaled():
    # x=(3, NaN), y=(0, 5): only feature 0 is common; squared sum 9 rescaled by D/used = 2/1.
    assert cost_matrix(np.array([[3.0, np.nan]]), np.array([[0.0, 5.0]]))[0, 0] == pytest.approx(
        math.sqrt(18.0)
    )


def test_nan_rescaling_uses_weights():
    # w = (1, 2, 3), feature 1 missing: sum w (a-b)^2 over used = 1*1 + 3*4 = 13,
    # rescaled by sum(w) / used weight = 6 / 4.
    x = np.array([[1.0, np.nan, 2.0]])
    y = np.zeros((1, 3))
    got = cost_matrix(x, y, weights=[1.0, 2.0, 3.0])[0, 0]
    assert got == pytest.approx(math.sqrt(13.0 * 6.0 / 4.0))


def test_missing_joints_do_not_make_frames_look_closer_or_farther():
    # Every feature differs by 1: distance sqrt(6) whether 0, 2 or 5 of the 6 are missing.
    x = np.zeros((3, 6))
    y = np.ones((1, 6))
    x[1, :2] = np.nan
    x[2, :5] = np.nan
    np.testing.assert_allclose(cost_matrix(x, y)[:, 0], math.sqrt(6.0))


def test_pair_without_common_feature_gets_a_large_finite_cost():
    # Columns: feature 0 spans 0..4, feature 1 spans 0..10 -> no-overlap cost sqrt(2) * 10.
    x = np.array([[np.nan, 0.0], [4.0, 10.0]])
    y = np.array([[0.0, np.nan], [1.0, 1.0]])
    C = cost_matrix(x, y)
    assert C[0, 0] == pytest.approx(math.sqrt(2.0) * 10.0)
    assert np.isfinite(C).all()
    assert C[0, 0] >= C.max() - 1e-12
    np.testing.assert_allclose(C, ref_cost_matrix(x, y), rtol=1e-12)


def test_nan_in_zero_weight_feature_changes_nothing():
    x, y = random_walks(6, 7, 3, seed=9)
    x2 = x.copy()
    x2[:, 2] = np.nan
    w = [1.0, 2.0, 0.0]
    np.testing.assert_array_equal(cost_matrix(x2, y, weights=w), cost_matrix(x, y, weights=w))


def test_all_nan_frames_still_align():
    x, y = random_walks(40, 45, 4, seed=11)
    y[10:13] = np.nan
    result = dtw(x, y)
    assert math.isfinite(result.total_cost)
    assert_valid_path(result.path, 40, 45)


def test_dtw_on_features_equals_dtw_on_their_cost_matrix():
    x, y = random_walks(80, 95, 7, seed=12)
    x[3, 2] = np.nan
    w = np.linspace(0.5, 2.0, 7)
    a = dtw(x, y, weights=w)
    b = dtw(C=cost_matrix(x, y, weights=w))
    assert a.total_cost == b.total_cost
    np.testing.assert_array_equal(a.path, b.path)


# --------------------------------------------------------------------------------------------
# Inputs are never modified
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["exact", "fastdtw"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_not_modified(backend, dtype):
    x, y = random_walks(50, 60, 4, seed=13)
    x, y = x.astype(dtype), y.astype(dtype)
    x[5, 1] = np.nan
    w = np.array([1.0, 0.0, 2.0, 0.5])
    before = [a.copy() for a in (x, y, w)]
    dtw(x, y, weights=w, backend=backend)
    dtw(x, y, backend=backend, band=None)
    for a, b in zip((x, y, w), before):
        np.testing.assert_array_equal(a, b)  # NaN compare equal here
        assert a.dtype == b.dtype and a.flags.writeable
    # Read-only inputs work too (nothing tries to write them).
    for a in (x, y, w):
        a.setflags(write=False)
    dtw(x, y, weights=w, backend=backend)
    cost_matrix(x, y, weights=w)


def test_cost_matrix_input_not_modified():
    C = np.random.default_rng(0).random((30, 40))
    before = C.copy()
    C.setflags(write=False)
    dtw(C=C)
    dtw(C=C, band=None)
    np.testing.assert_array_equal(C, before)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

X = np.zeros((5, 3))
Y = np.zeros((6, 3))
C56 = np.zeros((5, 6))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(x=np.zeros(5), y=Y), ValueError, r"x: expected shape \(frames, features\), got \(5,\)"),
        (dict(x=X, y=np.zeros((6, 3, 1))), ValueError, r"y: expected shape \(frames, features\)"),
        (dict(x=X, y=np.zeros((6, 4))), ValueError, r"same number of features.*\(5, 3\).*\(6, 4\)"),
        (dict(x=X, y=Y, band=-0.1), ValueError, r"band: expected None or a finite fraction >= 0, got -0.1"),
        (dict(x=X, y=Y, band=float("nan")), ValueError, r"band: .*finite"),
        (dict(x=X, y=Y, band=float("inf")), ValueError, r"band: .*finite"),
        (dict(x=X, y=Y, band=True), ValueError, r"band: expected None or a fraction"),
        (dict(x=X, y=Y, band="0.2"), ValueError, r"band: expected None or a fraction"),
        (dict(x=X, y=Y, C=C56), ValueError, r"either features x, y or a cost matrix C, got both"),
        (dict(y=Y, C=C56), ValueError, r"got both"),
        (dict(), ValueError, r"expected both features x and y"),
        (dict(x=X), ValueError, r"x=array, y=None"),
        (dict(C=C56, backend="fastdtw"), ValueError, r"fastdtw.*expected features x and y"),
        (dict(x=X, y=Y, backend="gpu"), ValueError, r"backend: expected one of"),
        (dict(x=X, y=Y, weights=np.ones(4)), ValueError, r"weights: expected shape \(3,\).*got \(4,\)"),
        (dict(x=X, y=Y, weights=[1.0, -1.0, 1.0]), ValueError, r"weights: expected finite values >= 0"),
        (dict(x=X, y=Y, weights=[0.0, 0.0, 0.0]), ValueError, r"at least one weight > 0"),
        (dict(C=C56, weights=np.ones(6)), ValueError, r"weights: expected None with a cost matrix"),
        (dict(C=np.zeros(5)), ValueError, r"C: expected shape \(N, M\)"),
        (dict(C=np.full((2, 2), np.nan)), ValueError, r"C: expected finite"),
        (dict(x=np.zeros((0, 3)), y=Y), ValueError, r"at least 1 frame and 1 feature, got shape \(0, 3\)"),
        (dict(x=np.full((5, 3), np.inf), y=Y), ValueError, r"x: expected finite values or NaN"),
        (dict(x=np.array([["a", "b"]]), y=Y), ValueError, r"x: expected a real"),
        (dict(x=X, y=Y, backend="fastdtw", radius=0), ValueError, r"radius: expected an integer >= 1, got 0"),
        (dict(x=X, y=Y, backend="fastdtw", radius=1.5), ValueError, r"radius: expected an integer"),
    ],
    ids=[
        "x-1d", "y-3d", "different-D", "negative-band", "nan-band", "inf-band", "bool-band",
        "str-band", "C-and-x", "C-and-y", "nothing", "x-without-y", "fastdtw-only-C",
        "unknown-backend", "weights-shape", "negative-weight", "zero-weights", "weights-with-C",
        "C-1d", "C-nan", "empty-x", "inf-in-x", "string-dtype", "zero-radius", "float-radius",
    ],
)
def test_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        dtw(**kwargs)


@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.zeros(4), Y, r"x: expected shape"),
        (X, np.zeros((6, 2)), r"same number of features"),
    ],
)
def test_cost_matrix_errors(x, y, match):
    with pytest.raises(ValueError, match=match):
        cost_matrix(x, y)


def test_alignment_validates_its_path():
    with pytest.raises(ValueError, match=r"expected shape \(K, 2\)"):
        Alignment(path=np.zeros((3, 3), np.int64), cost=0.0, total_cost=0.0, backend="exact", band=None)
    with pytest.raises(ValueError, match="expected dtype int64"):
        Alignment(path=np.zeros((3, 2), np.int32), cost=0.0, total_cost=0.0, backend="exact", band=None)


# --------------------------------------------------------------------------------------------
# fastdtw backend
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [1, 2, 5])
@pytest.mark.parametrize(
    "make", [lambda: random_walks(90, 99, 6, seed=21), lambda: warped_copy(90, 6, seed=22)],
    ids=["unrelated", "warped-copy"],
)
def test_fastdtw_valid_and_never_below_exact(make, radius):
    x, y = make()
    fast = dtw(x, y, backend="fastdtw", radius=radius)
    exact = dtw(x, y, band=None)
    assert fast.backend == "fastdtw" and fast.band is None
    assert_valid_path(fast.path, len(x), len(y))
    assert not fast.path.flags.writeable
    C = cost_matrix(x, y)
    assert fast.total_cost == pytest.approx(path_sum(C, fast.path), rel=1e-12)
    assert fast.cost == pytest.approx(fast.total_cost / len(fast.path))
    assert fast.total_cost >= exact.total_cost * (1 - 1e-12)


def test_fastdtw_with_nan_and_weights_uses_the_same_local_cost():
    x, y = random_walks(40, 44, 4, seed=23)
    x[3, 0] = np.nan
    y[[5, 6], 2] = np.nan
    w = np.array([1.0, 2.0, 0.5, 0.0])
    fast = dtw(x, y, backend="fastdtw", weights=w, radius=2)
    C = ref_cost_matrix(x, y, w)
    assert_valid_path(fast.path, 40, 44)
    assert fast.total_cost == pytest.approx(path_sum(C, fast.path), rel=1e-12)
    assert fast.total_cost >= dtw(C=C, band=None).total_cost * (1 - 1e-12)
