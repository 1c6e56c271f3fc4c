"""Slow, obvious references for the DTW tests (loops, no cleverness) and input factories."""

from __future__ import annotations

import math

import numpy as np

from engine.analysis.align import _banded, _kernels

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
    lo, hi = _banded._band_bounds(C.shape[0], C.shape[1], band)
    acc, s, e = _kernels._fill_cost(np.ascontiguousarray(C, dtype=float), lo, hi)
    return _banded._dense(acc, lo, s, e)


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
