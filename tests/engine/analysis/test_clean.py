from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.clean import clean, fill_gaps, smooth
from engine.core.performance import Performance
from engine.core.settings import CleanSettings
from tests.factories import make_perf


def test_fill_gaps_interpolates_a_known_gap_linearly():
    x = np.array([0.0, 1.0, np.nan, np.nan, 4.0, 5.0])
    out, filled = fill_gaps(x, max_gap=2)
    np.testing.assert_allclose(out, [0, 1, 2, 3, 4, 5])
    assert filled.tolist() == [False, False, True, True, False, False]
    assert np.isnan(x[2]), "input must not be modified"


@pytest.mark.parametrize("x, max_gap, expect_nan", [
    ([0.0, np.nan, np.nan, np.nan, 4.0], 2, [1, 2, 3]),   # gap longer than the limit stays NaN
    ([np.nan, 1.0, 2.0], 5, [0]),                         # leading edge cannot be interpolated
    ([1.0, 2.0, np.nan], 5, [2]),                         # trailing edge neither
    ([1.0, np.nan, 3.0], 1, []),                          # exactly the limit is filled
])
def test_fill_gaps_limits(x, max_gap, expect_nan):
    out, _ = fill_gaps(np.array(x), max_gap=max_gap)
    assert np.flatnonzero(np.isnan(out)).tolist() == expect_nan


@pytest.mark.parametrize("x, max_gap, hold_ends, expected", [
    ([np.nan, 1.0, np.nan, np.nan, np.nan, 5.0, np.nan], None, False, [np.nan, 1, 2, 3, 4, 5, np.nan]),
    ([np.nan, 1.0, np.nan, np.nan, np.nan, 5.0, np.nan], None, True, [1, 1, 2, 3, 4, 5, 5]),
    ([np.nan, 1.0, np.nan, np.nan, np.nan, 5.0, np.nan], 2, True, [1, 1, np.nan, np.nan, np.nan, 5, 5]),
    ([np.nan, np.nan], None, True, [np.nan, np.nan]),     # nothing known: nothing to hold
])
def test_fill_gaps_options(x, max_gap, hold_ends, expected):
    out, filled = fill_gaps(np.array(x), max_gap, hold_ends=hold_ends)
    np.testing.assert_array_equal(out, expected)
    assert filled.tolist() == [np.isnan(a) and not np.isnan(b) for a, b in zip(x, expected)]


def test_fill_gaps_gives_np_interp_numbers_to_the_last_bit():
    """Sync and dynamics used np.interp before they shared fill_gaps: same numbers, bit for bit."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    x[rng.random(400) < 0.3] = np.nan
    x[0] = x[-1] = 1.0
    known = np.isfinite(x)
    idx = np.arange(x.size)
    out, _ = fill_gaps(x)
    assert np.array_equal(out, np.interp(idx, idx[known], x[known]))


def test_smooth_reduces_noise_and_keeps_a_slow_signal():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 200)
    clean_sig = np.sin(t)
    noisy = clean_sig + rng.normal(0, 0.05, t.size)
    out = smooth(noisy, window=7, polyorder=2)
    assert np.abs(out - clean_sig).std() < 0.6 * np.abs(noisy - clean_sig).std()


def test_smooth_leaves_short_runs_and_nans():
    x = np.array([1.0, 2.0, np.nan, 5.0, 1.0, 7.0])
    out = smooth(x, window=5, polyorder=2)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))
    np.testing.assert_allclose(out[~np.isnan(out)], x[~np.isnan(x)])


def test_clean_marks_low_visibility_and_undetected_frames_as_gaps_then_fills_short_ones():
    perf = make_perf(n=60)
    world = perf.world.copy()
    world[10:13, 13, 3] = 0.1        # left elbow poorly seen for 3 frames -> filled
    world[30:50, 15, 3] = 0.1        # left wrist unseen for 20 frames (0.67 s) -> stays NaN
    image = perf.image.copy()
    detected = perf.detected.copy()
    image[40], world[40, :, :3], detected[40] = np.nan, np.nan, False
    perf = Performance(image=image, world=world, mask=perf.mask, hip_xy=perf.hip_xy, t=perf.t,
                       detected=detected, fps=perf.fps, source=perf.source)
    before = {k: getattr(perf, k).copy() for k in ("image", "world", "detected")}

    out = clean(perf, CleanSettings(max_gap_s=0.5))

    assert out.filled[10:13, 13].all() and not out.filled[:10, 13].any()
    assert np.isfinite(out.world[10:13, 13, :3]).all()
    assert np.isnan(out.world[30:50, 15, :3]).all()
    assert not out.filled[30:50, 15].any()
    assert out.filled[40, 0] and np.isfinite(out.world[40, 0, :3]).all()   # one lost frame is filled
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(perf, k), v)                  # input untouched
