"""Small array helpers every layer uses: runs of a mask, finite means, even thinning."""

from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index runs where a 1-D bool mask is True."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def nanmean_or_none(values: np.ndarray) -> float | None:
    """Mean of the finite values as a Python float, or None when there is none."""
    arr = np.asarray(values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    return float(finite.mean()) if finite.size else None


def thin_indices(n: int, max_points: int) -> np.ndarray:
    """Evenly spaced indices 0..n-1, at most `max_points` of them, first and last included.

    Returns an (M,) intp array, M <= min(n, max_points); empty when n is 0.
    """
    if n <= max_points:
        return np.arange(n, dtype=np.intp)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.intp))
