"""engine.core.arrays: runs of a mask, finite means, even thinning (hand-computed truths)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.arrays import nanmean_or_none, thin_indices, true_runs


@pytest.mark.parametrize("mask, runs", [
    ([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], [(1, 3), (5, 6), (7, 10)]),
    ([1, 1, 0], [(0, 2)]),                                  # a run at the start
    ([0, 0, 0], []),
    ([1], [(0, 1)]),
    ([], []),
])
def test_true_runs(mask, runs):
    assert true_runs(np.array(mask, dtype=bool)) == runs


@pytest.mark.parametrize("values, expected", [
    ([1.0, np.nan, 3.0, np.inf], 2.0),                      # NaN and inf left out
    ([np.nan, np.nan], None),
    ([], None),
])
def test_nanmean_or_none(values, expected):
    result = nanmean_or_none(np.array(values))
    assert result == expected and (result is None or type(result) is float)


@pytest.mark.parametrize("n, max_points, expected", [
    (5, 10, [0, 1, 2, 3, 4]),                               # fewer than allowed: all
    (10, 4, [0, 3, 6, 9]),                                  # linspace(0, 9, 4) = 0, 3, 6, 9
    (11, 3, [0, 5, 10]),
    (0, 5, []),
])
def test_thin_indices(n, max_points, expected):
    idx = thin_indices(n, max_points)
    assert idx.tolist() == expected and idx.dtype == np.intp


@pytest.mark.parametrize("n, max_points", [(1000, 7), (101, 100), (50, 2)])
def test_thin_indices_keeps_first_and_last_and_the_count(n, max_points):
    idx = thin_indices(n, max_points)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert len(idx) <= max_points and np.all(np.diff(idx) > 0)
