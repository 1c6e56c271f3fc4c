"""Tests for engine.analysis.align public API: path properties, the band, time-warp recovery, NaN
handling, input immutability, errors, and the fastdtw backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analysis.align import Alignment, cost_matrix, dtw
from tests.engine.analysis.align.reference import (
    assert_valid_path,
    path_sum,
    random_walks,
    ref_band_mask,
    ref_cost_matrix,
    warped_copy,
)

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
