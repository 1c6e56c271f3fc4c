"""The exact DTW in NumPy for small inputs (private to `align`): no numba import, no kernel load.

A warm `compare` aligns ~500 x 500 frames: 3 ms of DP in the numba kernels, but importing numba
and loading their cached machine code costs ~0.6 s in a fresh process. Below `SMALL_CELLS` this
module does the same DP with NumPy instead, in ~0.05 s, bit-identical to the kernels: the same
local-cost arithmetic in the same order (no fused multiply-add either way), the same recurrence
(a minimum is exact whatever the order it is taken in) and the same tie order when backtracking.
So results never depend on which path ran; the tests check it on random, tied and NaN input.

Layout: the band's cells in *skewed* storage, one row per anti-diagonal ``d = i + j``, so that a
whole anti-diagonal is one vector operation: its cells depend only on the two before it.
``S[d + 1, i + 1] = acc[i, d - i]``; row 0 and column 0 are inf padding (diagonal -1, row -1),
and so is every cell outside the band (never written).
"""

from __future__ import annotations

import numpy as np

#: Largest skewed table ``(N + M) * (N + 1)`` solved here (~20 MB per float64 table, ~0.1 s on
#: 36 features); above it the numba kernels' banded, pruned DP is faster and smaller.
SMALL_CELLS = 2_500_000


def is_small(n: int, m: int) -> bool:
    """True if an ``n`` x ``m`` DTW is solved here rather than by the numba kernels."""
    return (n + m) * (n + 1) <= SMALL_CELLS


def band_columns(lo: np.ndarray, hi: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Student column of each banded cell ``(N, W)`` int64 (clipped to ``m - 1``) and whether it
    is inside the band ``(N, W)`` bool; ``W = max(hi - lo) + 1``."""
    cols = lo[:, None] + np.arange(int(np.max(hi - lo)) + 1)
    inside = cols <= hi[:, None]
    return np.minimum(cols, m - 1), inside


def local_costs(xs: np.ndarray, yT: np.ndarray, w: np.ndarray, w_total: float, nan_cost: float,
                has_nan: bool, cols: np.ndarray) -> np.ndarray:
    """Local costs of the cells ``(i, cols[i, c])``, ``(N, W)`` float64, as the kernels compute them.

    Same arguments as the kernels (`_banded._Prepared.kernel_args`). Per cell: squared
    differences summed over the features in order, then the square root; with NaN, only the
    features finite in both frames, the sum rescaled by ``w_total / used``.
    """
    out = np.zeros(cols.shape)
    used = np.zeros(cols.shape) if has_nan else None
    d = np.empty(cols.shape)
    ok = np.empty(cols.shape, dtype=bool) if has_nan else None
    for k in range(xs.shape[1]):
        np.subtract(xs[:, k, None], yT[k].take(cols), out=d)
        np.multiply(d, d, out=d)
        if has_nan:
            np.equal(d, d, out=ok)  # False where either frame lacks the feature (NaN)
            np.add(out, d, out=out, where=ok)
            np.add(used, w[k], out=used, where=ok)
        else:
            np.add(out, d, out=out)
    if not has_nan:
        return np.sqrt(out, out=out)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.sqrt(out * (w_total / used))
    return np.where(used > 0.0, scaled, nan_cost)


def solve(costs: np.ndarray, cols: np.ndarray, inside: np.ndarray, m: int) -> tuple[np.ndarray, float]:
    """Optimal path ``(K, 2)`` int64 and its total cost from banded local costs.

    ``costs``, ``cols``, ``inside`` ``(N, W)``: row i's local costs at student columns ``cols[i]``,
    ``inside`` marking the band (see `band_columns`); ``m`` student frames.
    """
    n = costs.shape[0]
    rows = np.broadcast_to(np.arange(n)[:, None], cols.shape)
    diag_of = rows + cols
    skewed_cost = np.full((n + m - 1, n), np.inf)
    skewed_cost[diag_of[inside], rows[inside]] = costs[inside]

    # i + lo[i] and i + hi[i] both increase with i, so the band's cells on anti-diagonal d are
    # those of the contiguous rows first[d]..last[d].
    lo_d = diag_of[:, 0]
    hi_d = np.max(np.where(inside, diag_of, -1), axis=1)
    ds = np.arange(n + m - 1)
    first = np.searchsorted(hi_d, ds, side="left")
    last = np.searchsorted(lo_d, ds, side="right") - 1

    S = np.full((n + m, n + 1), np.inf)
    S[1, 1] = skewed_cost[0, 0] + 0.0  # acc[0, 0]: the kernels add the cost to 0.0
    best = np.empty(n)
    for d in range(1, n + m - 1):
        a, b = int(first[d]), int(last[d]) + 1
        if a >= b:
            continue
        out = best[: b - a]
        np.minimum(S[d - 1, a:b], S[d, a:b], out=out)        # diagonal (i-1, j-1), up (i-1, j)
        np.minimum(out, S[d, a + 1 : b + 1], out=out)         # left (i, j-1)
        np.add(skewed_cost[d, a:b], out, out=S[d + 1, a + 1 : b + 1])
    return _backtrack(S, n, m), float(S[n + m - 1, n])


def _backtrack(S: np.ndarray, n: int, m: int) -> np.ndarray:
    """The kernels' backtracking on skewed storage: diagonal, then teacher step, then student."""
    acc = S.item  # acc(i, j) = S[i + j + 1, i + 1]
    i, j = n - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag, up, left = acc(i + j - 1, i), acc(i + j, i), acc(i + j, i + 1)
            if diag <= up and diag <= left:
                i -= 1
                j -= 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64).reshape(-1, 2)
