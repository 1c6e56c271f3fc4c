"""Input checks, kernel-ready features and the banded, pruned DP driver (private to `align`)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

#: Slack added to the band half-width (in frames) so that cells lying exactly on the band edge
#: are inside whatever the floating-point rounding of the diagonal.
_BAND_EDGE_TOL = 1e-9

#: Band fraction of the narrow corridor whose DTW cost is the pruning upper bound. Wide enough
#: to hold a student who drifts ~1 s from the teacher in a 1-minute clip, cheap (~6% of cells).
_UB_BAND = 0.03

#: Below this many band cells the whole band is computed: the bound would cost more than it saves.
_PRUNE_MIN_CELLS = 40_000


def _is_real(arr: np.ndarray) -> bool:
    """Integer or floating dtype (bool, complex, strings and objects are refused)."""
    return arr.dtype != np.bool_ and (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    )


def _as_features(name: str, a: object) -> np.ndarray:
    """(N, D) real array -> C-contiguous float64 (a copy unless already so; never written)."""
    arr = np.asarray(a)
    if not _is_real(arr):
        raise ValueError(f"{name}: expected a real (integer or float) array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = " (reshape a single feature with .reshape(-1, 1))" if arr.ndim == 1 else ""
        raise ValueError(f"{name}: expected shape (frames, features), got {arr.shape}{hint}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected at least 1 frame and 1 feature, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if np.isinf(arr).any():
        raise ValueError(f"{name}: expected finite values or NaN (missing), found +/-inf")
    return arr


def _as_weights(weights: object, d_feat: int) -> np.ndarray:
    if weights is None:
        return np.ones(d_feat)
    w = np.asarray(weights)
    if not _is_real(w):
        raise ValueError(f"weights: expected a real array, got dtype {w.dtype}")
    if w.shape != (d_feat,):
        raise ValueError(f"weights: expected shape ({d_feat},) like the features, got {w.shape}")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            f"weights: expected finite values >= 0, got min {np.nanmin(w)}, {np.isnan(w).sum()} NaN"
        )
    if not (w > 0).any():
        raise ValueError("weights: expected at least one weight > 0, got all zeros")
    return w


def _check_band(band: object) -> float | None:
    if band is None:
        return None
    if isinstance(band, bool) or not isinstance(band, numbers.Real):
        raise ValueError(f"band: expected None or a fraction >= 0, got {band!r}")
    b = float(band)
    if not math.isfinite(b) or b < 0:
        raise ValueError(f"band: expected None or a finite fraction >= 0, got {band!r}")
    return b


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Features ready for the kernels (private): what `cost_matrix`, `dtw` and fastdtw share."""

    xs: np.ndarray      # (N, D') teacher, weighted features only, times sqrt(weight)
    ys: np.ndarray      # (M, D') student, same
    yT: np.ndarray      # (D', M) ys transposed, contiguous
    w: np.ndarray       # (D',) the weights > 0
    w_total: float      # their sum, accumulated in order (as the NaN kernel does)
    nan_cost: float     # cost of a pair with no common finite feature
    has_nan: bool

    def kernel_args(self) -> tuple:
        return self.xs, self.yT, self.w, self.w_total, self.nan_cost, self.has_nan


def _prepare(x: object, y: object, weights: object) -> _Prepared:
    xa = _as_features("x", x)
    ya = _as_features("y", y)
    if xa.shape[1] != ya.shape[1]:
        raise ValueError(
            f"x and y: expected the same number of features, got x {xa.shape} and y {ya.shape}"
        )
    w = _as_weights(weights, xa.shape[1])
    keep = w > 0
    if not keep.all():
        xa, ya, w = xa[:, keep], ya[:, keep], w[keep]
    has_nan = bool(np.isnan(xa).any() or np.isnan(ya).any())
    nan_cost = _no_overlap_cost(xa, ya, w) if has_nan else 0.0
    if weights is not None:
        sw = np.sqrt(w)
        xa, ya = xa * sw, ya * sw
    return _Prepared(
        xs=np.ascontiguousarray(xa),
        ys=np.ascontiguousarray(ya),
        yT=np.ascontiguousarray(ya.T),
        w=w,
        w_total=float(np.add.accumulate(w)[-1]),
        nan_cost=nan_cost,
        has_nan=has_nan,
    )


def _no_overlap_cost(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Cost of a frame pair with no common finite feature: an upper bound of every other cost.

    ``sqrt(sum(w)) * max_k span_k``, ``span_k`` the range of feature ``k`` over both sequences
    (unscaled units). No finite pair, NaN-rescaled or not, can exceed it, so an all-missing pair
    is never preferred; being bounded by the data it does not swamp the mean cost the way a huge
    constant would. 1.0 when every span is 0 (or nothing is finite).
    """
    both = np.concatenate([x, y], axis=0)
    finite = ~np.isnan(both)
    has = finite.any(axis=0)
    if not has.any():
        return 1.0
    hi = np.where(finite, both, -np.inf).max(axis=0)
    lo = np.where(finite, both, np.inf).min(axis=0)
    span = np.where(has, hi - lo, 0.0)
    bound = math.sqrt(float(w.sum())) * float(span.max())
    return bound if bound > 0 else 1.0


def _band_bounds(n: int, m: int, band: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Allowed student columns ``lo[i]..hi[i]`` (int64, inclusive) for each teacher row ``i``.

    Cell (i, j) is inside when ``|j - i*(M-1)/(N-1)| <= h``, with the half-width
    ``h = max(band * max(N, M), 1, (s + 1) / 2)`` student frames and ``s = (M-1)/(N-1)`` the
    diagonal's slope. The floor ``max(1, (s+1)/2)`` guarantees consecutive rows' ranges
    overlap or touch, so a path from (0, 0) to (N-1, M-1) always exists. A single-frame
    sequence, or ``band=None``, gives the full matrix.
    """
    if band is None or n == 1 or m == 1:
        return np.zeros(n, dtype=np.int64), np.full(n, m - 1, dtype=np.int64)
    slope = (m - 1) / (n - 1)
    half = max(band * max(n, m), 1.0, (slope + 1.0) / 2.0) + _BAND_EDGE_TOL
    centre = np.arange(n, dtype=np.int64) * (m - 1) / (n - 1)
    lo = np.clip(np.ceil(centre - half), 0, m - 1).astype(np.int64)
    hi = np.clip(np.floor(centre + half), 0, m - 1).astype(np.int64)
    return lo, hi


def _n_cells(lo: np.ndarray, hi: np.ndarray) -> int:
    return int((hi - lo + 1).sum())


def _accumulate(
    prep: _Prepared, lo: np.ndarray, hi: np.ndarray, *, prune: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Banded accumulated cost ``(acc, s, e)`` for features, pruned when it pays (numba kernels)."""
    from engine.analysis.align._kernels import _fill_features

    n, m = prep.xs.shape[0], prep.yT.shape[1]
    args = prep.kernel_args()
    ub = np.inf
    if prune and _n_cells(lo, hi) >= _PRUNE_MIN_CELLS:
        lo_ub, hi_ub = _band_bounds(n, m, _UB_BAND)
        lo_ub, hi_ub = np.maximum(lo_ub, lo), np.minimum(hi_ub, hi)
        if 3 * _n_cells(lo_ub, hi_ub) <= _n_cells(lo, hi):
            acc_ub, _, _, _ = _fill_features(*args, lo_ub, hi_ub, np.inf)
            ub = float(acc_ub[n - 1, m - 1 - lo_ub[n - 1]])
    acc, s, e, ok = _fill_features(*args, lo, hi, ub)
    if not ok:
        # Unreachable for a valid bound (float sums of costs >= 0 are monotone, and the bound
        # and the DP use bit-identical local costs); kept so a bug here costs time, not results.
        acc, s, e, ok = _fill_features(*args, lo, hi, np.inf)
    return acc, s, e


def _dense(acc: np.ndarray, lo: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Banded accumulated cost -> the full (N, M) matrix, inf where not computed (for tests)."""
    n, m = acc.shape[0], int(e[-1]) + 1
    out = np.full((n, m), np.inf)
    for i in range(n):
        out[i, s[i] : e[i] + 1] = acc[i, s[i] - lo[i] : e[i] - lo[i] + 1]
    return out
