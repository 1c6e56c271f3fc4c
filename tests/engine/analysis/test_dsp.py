"""engine.analysis.dsp against the scipy.signal and scipy.ndimage functions it replaces (tests may
import scipy)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import ndimage, signal

from engine.analysis.dsp import (
    correlation_lags_full,
    cross_correlate_full,
    find_peaks_prominence,
    maximum_filter1d,
    median_filter_nearest,
    periodic_hann,
    savgol_smooth,
    uniform_filter1d,
)

# --- savgol_smooth ---------------------------------------------------------------------------


def test_savgol_smooth_keeps_a_quadratic_exactly():
    x = 0.5 * np.arange(9.0) ** 2 - 3 * np.arange(9.0) + 1    # a degree-2 fit reproduces it
    np.testing.assert_allclose(savgol_smooth(x, 5, 2), x, atol=1e-12)


@pytest.mark.parametrize("window, polyorder", [
    (1, 0), (3, 0), (3, 1), (5, 2), (7, 2), (7, 3), (9, 4), (11, 2), (15, 5), (31, 3),
    (4, 1), (6, 2), (8, 3),                                   # even windows too
])
@pytest.mark.parametrize("n_extra", [0, 1, 2, 57])           # 0: a run exactly `window` long
def test_savgol_smooth_equals_scipy_1d(window, polyorder, n_extra):
    x = np.random.default_rng(window * 100 + n_extra).normal(0, 1, window + n_extra)
    expect = signal.savgol_filter(x, window, polyorder, mode="interp")
    np.testing.assert_allclose(savgol_smooth(x, window, polyorder), expect, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape, axis", [((40, 5), 0), ((5, 40), 1), ((3, 40, 4), 1),
                                         ((3, 4, 40), -1), ((7, 3), 0)])
def test_savgol_smooth_equals_scipy_nd(shape, axis):
    x = np.random.default_rng(3).normal(0, 1, shape)
    before = x.copy()
    got = savgol_smooth(x, 7, 2, axis=axis)
    expect = signal.savgol_filter(x, 7, 2, mode="interp", axis=axis)
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-10)
    np.testing.assert_array_equal(x, before)                  # input untouched


def test_savgol_smooth_dtypes():
    x = np.random.default_rng(4).normal(0, 1, 30)
    got = savgol_smooth(x.astype(np.float32), 7, 2)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, signal.savgol_filter(x.astype(np.float32), 7, 2, mode="interp"),
                               rtol=1e-5, atol=1e-5)
    assert savgol_smooth(np.arange(10), 5, 2).dtype == np.float64


@pytest.mark.parametrize("n, window, polyorder", [(6, 7, 2), (10, 5, 5), (10, 5, -1), (10, 0, 0)])
def test_savgol_smooth_rejects_bad_arguments(n, window, polyorder):
    with pytest.raises(ValueError):
        savgol_smooth(np.zeros(n), window, polyorder)


# --- find_peaks_prominence -------------------------------------------------------------------

def _scipy_peaks(x, prominence, wlen, distance):
    with warnings.catch_warnings():  # scipy warns about zero prominences; we only want indices
        warnings.simplefilter("ignore")
        return signal.find_peaks(x, prominence=prominence, wlen=wlen, distance=distance)[0]


def _check(x, prominence, wlen=None, distance=None):
    got = find_peaks_prominence(x, prominence, wlen=wlen, distance=distance)
    expect = _scipy_peaks(x, prominence, wlen, distance)
    assert got.dtype == np.intp
    np.testing.assert_array_equal(got, expect)
    return got


def test_find_peaks_hand_made():
    #            0  1  2  3  4  5  6  7  8  9
    x = np.array([5, 1, 3, 3, 0, 2, 2, 2, 1, 4.0])
    # 0 and 9 are ends, never peaks; plateau 2-3 -> 2 (middle rounded down); plateau 5-7 -> 6
    assert _check(x, 0.0).tolist() == [2, 6]
    assert _check(x, 1.5).tolist() == [2]                      # 6 only rises 1 above its base


@pytest.mark.parametrize("x, expect", [
    ([0, 1, 1, 1, 1], []),                                     # plateau running into the end
    ([1, 1, 1, 0, 2], []),                                     # plateau from the start
    ([0, 2, 2, 0], [1]),                                       # even plateau: lower middle
    ([0, 2, 2, 2, 0], [2]),
    ([0, 1, 0, 1, 0], [1, 3]),                                 # equal heights
    ([3.0], []), ([1, 2], []), ([], []),
])
def test_find_peaks_edges_and_plateaus(x, expect):
    assert _check(np.array(x, dtype=float), 0.0).tolist() == expect


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("prominence, wlen, distance", [
    (0.0, None, None), (0.5, None, None), (0.5, 5, None), (0.5, 4, None), (1.0, 2.5, None),
    (0.3, 31, 1), (0.3, 31, 3), (0.3, 9, 7.5), (0.8, None, 12), (0.0, 3, 2), (2.0, 61, 8),
])
def test_find_peaks_equals_scipy_on_noise(seed, prominence, wlen, distance):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, 300)
    _check(x, prominence, wlen, distance)
    _check(np.round(x, 1), prominence, wlen, distance)         # many ties and small plateaus


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("distance", [1, 2, 5, 9])
def test_find_peaks_equals_scipy_on_quantized_signals(seed, distance):
    # Few levels: many equal-height peaks compete under `distance`, long plateaus.
    x = np.random.default_rng(seed).integers(0, 4, 400).astype(float)
    x = np.repeat(x, np.random.default_rng(seed + 50).integers(1, 4, x.size))
    for prominence, wlen in [(0.0, None), (1.0, None), (1.0, 7), (2.0, 15)]:
        _check(x, prominence, wlen, distance)


def test_find_peaks_equals_scipy_on_energy_like_signal():
    # What `dynamics.hits` sees: a smooth positive envelope with accents, 30 fps.
    rng = np.random.default_rng(7)
    t = np.arange(900) / 30.0
    x = 1 + 0.3 * np.sin(2 * np.pi * 0.4 * t) + rng.gamma(1.0, 0.2, t.size)
    x[rng.choice(t.size, 25, replace=False)] += 3.0
    _check(x, 0.9, 31, 8)


@pytest.mark.parametrize("kwargs", [dict(wlen=1), dict(wlen=0.5), dict(distance=0.5)])
def test_find_peaks_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        find_peaks_prominence(np.zeros(10), 0.1, **kwargs)
    with pytest.raises(ValueError):
        find_peaks_prominence(np.zeros((3, 3)), 0.1)


# --- correlation and window ------------------------------------------------------------------

@pytest.mark.parametrize("n, m", [(1, 1), (1, 5), (5, 1), (17, 17), (100, 37), (37, 100), (257, 1000)])
def test_cross_correlate_full_equals_scipy(n, m):
    rng = np.random.default_rng(n * 1000 + m)
    a, b = rng.normal(0, 1, n), rng.normal(0, 1, m)
    expect = signal.correlate(a, b, mode="full", method="fft")
    got = cross_correlate_full(a, b)
    assert got.shape == expect.shape
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-9 * np.abs(expect).max())
    np.testing.assert_array_equal(correlation_lags_full(n, m), signal.correlation_lags(n, m, mode="full"))


def test_cross_correlate_full_batches_leading_axes_and_locates_a_shift():
    rng = np.random.default_rng(9)
    b = rng.normal(0, 1, (3, 80))
    a = np.concatenate([np.zeros((3, 12)), b], axis=1)        # a(t) = b(t - 12)
    got = cross_correlate_full(a, b)
    for ca, cb, row in zip(a, b, got):
        np.testing.assert_allclose(row, signal.correlate(ca, cb, mode="full"), atol=1e-9)
    assert correlation_lags_full(a.shape[1], b.shape[1])[np.argmax(got.sum(axis=0))] == 12


@pytest.mark.parametrize("n", [1, 2, 3, 16, 511, 2048])
def test_periodic_hann_equals_scipy(n):
    np.testing.assert_allclose(periodic_hann(n), signal.get_window("hann", n), atol=1e-15)
    with pytest.raises(ValueError):
        periodic_hann(0)


# --- engine.analysis.clean's batched use of savgol_smooth ---------------------------------------------

def test_clean_smooth_batched_over_columns_equals_scipy_per_finite_run():
    from engine.analysis.clean import smooth
    from engine.core.arrays import true_runs

    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (120, 4, 3))
    x[10:14, 0] = np.nan            # joint 0: its 3 coordinates share one gap pattern
    x[50:53, 1, :2] = np.nan        # joint 1: two patterns
    x[:5, 2] = x[115:, 2] = np.nan  # joint 2: NaN edges; joint 3: no gaps
    x[60:64, 2, 0] = np.nan         # a 4-sample gap, then a run shorter than the window
    x[68:72, 2, 0] = np.nan
    got = smooth(x, 7, 2)
    for j in range(4):
        for c in range(3):
            expect = x[:, j, c].copy()
            for start, stop in true_runs(np.isfinite(expect)):
                if stop - start >= 7:
                    expect[start:stop] = signal.savgol_filter(expect[start:stop], 7, 2, mode="interp")
            np.testing.assert_allclose(got[:, j, c], expect, rtol=1e-9, atol=1e-10, equal_nan=True)


# --- moving-window filters (scipy.ndimage) ------------------------------------------------------

FILTER_CASES = [  # (shape, axis): lines shorter than the window, long lines, both axes
    ((1,), 0), ((2,), 0), ((7,), 0), ((40,), 0), ((300,), -1), ((5, 33), 1), ((33, 5), 0), ((3, 9, 4), 1),
]


@pytest.mark.parametrize("mode", ["reflect", "nearest", "constant"])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 15, 16, 61])
@pytest.mark.parametrize("shape, axis", FILTER_CASES)
def test_uniform_filter1d_is_bit_identical_to_scipy(shape, axis, size, mode):
    rng = np.random.default_rng(size * 31 + len(shape))
    x = rng.normal(0, 1, shape) * 10.0 ** rng.integers(-3, 4, shape)   # magnitudes that round differently
    for data in (x, x.astype(np.float32)):
        got = uniform_filter1d(data, size, axis=axis, mode=mode, cval=0.7)
        expect = ndimage.uniform_filter1d(data, size, axis=axis, mode=mode, cval=0.7)
        assert got.dtype == expect.dtype
        np.testing.assert_array_equal(got, expect)


def test_uniform_filter1d_with_infinities_equals_scipy_silently():
    # score's freeze detection filters an energy with inf where the dancer is not seen.
    x = np.random.default_rng(5).random(80)
    x[[3, 4, 30, 77]] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")                            # scipy says nothing, nor may we
        got = uniform_filter1d(x, 9)
    np.testing.assert_array_equal(got, ndimage.uniform_filter1d(x, 9))   # NaN where scipy has NaN


def test_uniform_filter1d_by_hand():
    # Window 3 over [0, 3, 6, 9], ends repeated ("nearest"): [0,0,3], [0,3,6], [3,6,9], [6,9,9].
    np.testing.assert_array_equal(uniform_filter1d(np.array([0.0, 3.0, 6.0, 9.0]), 3, mode="nearest"),
                                  [1.0, 3.0, 6.0, 8.0])


@pytest.mark.parametrize("mode", ["reflect", "nearest", "constant"])
@pytest.mark.parametrize("size", [1, 2, 5, 16, 61])
@pytest.mark.parametrize("shape, axis", FILTER_CASES)
def test_maximum_filter1d_equals_scipy(shape, axis, size, mode):
    x = np.random.default_rng(size).normal(0, 1, shape)
    np.testing.assert_array_equal(maximum_filter1d(x, size, axis=axis, mode=mode, cval=-0.5),
                                  ndimage.maximum_filter1d(x, size, axis=axis, mode=mode, cval=-0.5))


@pytest.mark.parametrize("size", [1, 3, 5, 15, 61])
@pytest.mark.parametrize("n", [1, 2, 7, 40, 300])
def test_median_filter_nearest_equals_scipy(n, size):
    x = np.random.default_rng(n + size).normal(0, 1, n)
    x[::5] = 0.0                                                  # ties, as in still stretches
    np.testing.assert_array_equal(median_filter_nearest(x, size), ndimage.median_filter(x, size=size, mode="nearest"))


@pytest.mark.parametrize("call, match", [
    (lambda: uniform_filter1d(np.ones(5), 0), "size"),
    (lambda: uniform_filter1d(np.ones(5), 3, mode="edge"), "mode"),
    (lambda: median_filter_nearest(np.ones(5), 4), "odd size"),
    (lambda: median_filter_nearest(np.ones((5, 2)), 3), "1-D"),
])
def test_filters_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
