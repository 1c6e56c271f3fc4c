"""Tests for engine.analysis.align._wavefront: the NumPy DP that `dtw` and `cost_matrix` use on
small inputs gives bit-for-bit the numba kernels' costs, paths and tie choices."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.analysis.align import _banded, _kernels, _wavefront, cost_matrix, dtw
from tests.engine.analysis.align.reference import random_walks, warped_copy


def kernel_dtw(x=None, y=None, *, band, weights=None, C=None) -> tuple[np.ndarray, float]:
    """Path and total cost from the numba kernels, whatever the input's size."""
    if C is not None:
        lo, hi = _banded._band_bounds(*C.shape, band)
        acc, s, e = _kernels._fill_cost(np.ascontiguousarray(C, dtype=float), lo, hi)
    else:
        prep = _banded._prepare(x, y, weights)
        lo, hi = _banded._band_bounds(prep.xs.shape[0], prep.ys.shape[0], band)
        acc, s, e = _banded._accumulate(prep, lo, hi)
    return _kernels._backtrack(acc, lo, s, e), float(acc[-1, e[-1] - lo[-1]])


def inputs(kind: str, n: int, m: int, seed: int):
    """Features and weights: random walks, small integers (many exact ties), or walks with NaN."""
    rng = np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(0, 3, (n, 2)).astype(float), rng.integers(0, 3, (m, 2)).astype(float), None
    x, y = random_walks(n, m, 5, seed=seed)
    if kind == "nan":
        x[rng.random(x.shape) < 0.25] = np.nan
        y[rng.random(y.shape) < 0.25] = np.nan
        y[min(2, m - 1)] = np.nan                                   # a frame with nobody in it
        return x, y, np.array([1.0, 0.3, 0.0, 2.0, 0.7])
    return x, y, None


@pytest.mark.parametrize("kind", ["walks", "ties", "nan"])
@pytest.mark.parametrize("band", [None, 0.0, 0.1, 0.2, 0.6])
@pytest.mark.parametrize("n, m", [(1, 1), (1, 9), (9, 1), (2, 2), (5, 13), (13, 5), (40, 41), (97, 60)])
def test_small_dtw_is_bit_identical_to_the_kernels(n, m, band, kind):
    x, y, w = inputs(kind, n, m, seed=n * 1000 + m)
    assert _wavefront.is_small(n, m)
    got = dtw(x, y, band=band, weights=w)
    path, total = kernel_dtw(x, y, band=band, weights=w)
    np.testing.assert_array_equal(got.path, path)
    assert got.total_cost == total

    C = _kernels._cost_matrix_kernel(*_banded._prepare(x, y, w).kernel_args())
    np.testing.assert_array_equal(cost_matrix(x, y, weights=w), C)
    got_c = dtw(C=C, band=band)
    path_c, total_c = kernel_dtw(C=C, band=band)
    np.testing.assert_array_equal(got_c.path, path_c)
    assert got_c.total_cost == total_c


def test_a_cost_matrix_with_negative_costs_and_ties():
    C = np.random.default_rng(3).integers(-2, 3, (30, 35)).astype(float)
    for band in (None, 0.1):
        path, total = kernel_dtw(C=C, band=band)
        got = dtw(C=C, band=band)
        np.testing.assert_array_equal(got.path, path)
        assert got.total_cost == total


@pytest.mark.parametrize("make", [lambda: warped_copy(900, 12, seed=6), lambda: random_walks(900, 950, 12, seed=7)],
                         ids=["warped-copy", "unrelated"])
def test_same_result_on_either_side_of_the_size_limit(make):
    # 900 x 900 is solved here, and the kernels would prune it: the result must not depend on
    # which one ran, or a clip one frame longer would score differently.
    x, y = make()
    assert _wavefront.is_small(len(x), len(y))
    assert not _wavefront.is_small(2 * len(x), len(y))
    path, total = kernel_dtw(x, y, band=0.2)
    got = dtw(x, y, band=0.2)
    np.testing.assert_array_equal(got.path, path)
    assert got.total_cost == total


def test_large_inputs_go_to_the_kernels():
    x, y = warped_copy(1600, 4, seed=8)
    assert not _wavefront.is_small(len(x), len(y))
    cols, inside = _wavefront.band_columns(*_banded._band_bounds(len(x), len(y), 0.1), len(y))
    costs = _wavefront.local_costs(*_banded._prepare(x, y, None).kernel_args(), cols)
    path, total = _wavefront.solve(costs, cols, inside, len(y))     # the NumPy DP still agrees
    got = dtw(x, y, band=0.1)
    np.testing.assert_array_equal(got.path, path)
    assert got.total_cost == total


def test_a_cached_comparison_imports_neither_numba_nor_scipy_ndimage():
    # Importing numba and loading its cached kernels took ~0.6 s of a 1.9 s warm compare, and
    # scipy.ndimage ~0.12 s; the comparison's modules and a clip-sized DTW need neither.
    code = (
        "import sys, numpy as np\n"
        "import engine.analysis.compare, engine.analysis.score\n"
        "from engine.analysis.align import cost_matrix, dtw\n"
        "x = np.random.default_rng(0).normal(size=(500, 36)); x[::7, 3] = np.nan\n"
        "dtw(x, x[::-1], band=0.2, weights=np.linspace(0.1, 1, 36)); cost_matrix(x[:240], x[:240])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numba' or m.startswith('scipy.ndimage')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
