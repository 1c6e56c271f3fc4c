"""numba kernels of the exact DTW (private, tiny; `engine.analysis.align` validates their input).

Features reach them pre-scaled by sqrt(weight), zero-weight features dropped, y transposed
to (D, M) so that a span of columns is contiguous. No fastmath: each cell's sum runs over
k = 0..D-1 in order whatever span it is computed in, so a cell's cost is bit-identical in
every kernel (cost_matrix, the DP, the bound, the fastdtw path cost).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Columns of local costs computed at a time past the end of the previous row's surviving cells.
_TAIL_CHUNK = 32


@numba.njit(cache=True, nogil=True)
def _dist_span(xs, yT, i, first, last, out):
    """``out[j - first] = ||xs[i] - y[j]||`` for columns ``first..last`` (vectorized over j)."""
    n_cols = last - first + 1
    for j in range(n_cols):
        out[j] = 0.0
    for k in range(xs.shape[1]):
        a = xs[i, k]
        yk = yT[k, first : last + 1]
        for j in range(n_cols):
            d = a - yk[j]
            out[j] += d * d
    for j in range(n_cols):
        out[j] = math.sqrt(out[j])


@numba.njit(cache=True, nogil=True)
def _nan_dist_span(xs, yT, w, w_total, nan_cost, i, first, last, out, used):
    """`_dist_span` over the features finite in both frames, sum rescaled by w_total / used."""
    n_cols = last - first + 1
    for j in range(n_cols):
        out[j] = 0.0
        used[j] = 0.0
    for k in range(xs.shape[1]):
        a = xs[i, k]
        if math.isnan(a):
            continue
        wk = w[k]
        yk = yT[k, first : last + 1]
        for j in range(n_cols):
            b = yk[j]
            if not math.isnan(b):
                d = a - b
                out[j] += d * d
                used[j] += wk
    for j in range(n_cols):
        u = used[j]
        out[j] = math.sqrt(out[j] * (w_total / u)) if u > 0.0 else nan_cost


@numba.njit(cache=True, nogil=True)
def _cost_span(xs, yT, w, w_total, nan_cost, has_nan, i, first, last, out, used):
    """Local costs of (i, first..last) into ``out``; ``used`` is scratch for the NaN kernel."""
    if has_nan:
        _nan_dist_span(xs, yT, w, w_total, nan_cost, i, first, last, out, used)
    else:
        _dist_span(xs, yT, i, first, last, out)


@numba.njit(cache=True, nogil=True)
def _cost_matrix_kernel(xs, yT, w, w_total, nan_cost, has_nan):
    n = xs.shape[0]
    m = yT.shape[1]
    out = np.empty((n, m))
    used = np.empty(m)
    for i in range(n):
        _cost_span(xs, yT, w, w_total, nan_cost, has_nan, i, 0, m - 1, out[i], used)
    return out


@numba.njit(cache=True, nogil=True)
def _path_cost(xs, yT, w, w_total, nan_cost, has_nan, path):
    """Sum of local costs (same arithmetic as the DP) over the cells of ``path`` (K, 2)."""
    buf = np.empty(1)
    used = np.empty(1)
    total = 0.0
    for k in range(path.shape[0]):
        j = path[k, 1]
        _cost_span(xs, yT, w, w_total, nan_cost, has_nan, path[k, 0], j, j, buf, used)
        total += buf[0]
    return total


@numba.njit(cache=True, nogil=True)
def _acc_at(acc, lo, s, e, i, j):
    """Accumulated cost of (i, j); inf where not computed (outside the band, or pruned)."""
    if j < s[i] or j > e[i]:
        return np.inf
    return acc[i, j - lo[i]]


@numba.njit(cache=True, nogil=True)
def _accumulate_span(acc, lo, s, e, i, first, last, crow, left, ub, stop_above, okf, okl):
    """DP over cells (i, first..last) of row i, local costs ``crow[j - first]``.

    ``left`` is acc[i, first-1] (inf if none). Row i-1 must be final (its computed range is
    ``s[i-1]..e[i-1]``). ``okf``/``okl`` track the first/last column with acc <= ub. With
    ``stop_above``, returns right after the first cell above ``ub``. Returns
    ``(left, okf, okl, last column written)``.
    """
    off = lo[i]
    if i > 0:
        poff = lo[i - 1]
        ps = s[i - 1]
        pe = e[i - 1]
    for j in range(first, last + 1):
        if i == 0:
            best = 0.0 if j == 0 else left
        else:
            # Written as selects: a branch on the (random) cost values would mispredict.
            diag = acc[i - 1, j - 1 - poff] if ps <= j - 1 <= pe else np.inf
            up = acc[i - 1, j - poff] if ps <= j <= pe else np.inf
            best = diag if diag < up else up
            best = left if left < best else best
        left = crow[j - first] + best
        acc[i, j - off] = left
        if left <= ub:
            if okf < 0:
                okf = j
            okl = j
        elif stop_above:
            return left, okf, okl, j
    return left, okf, okl, last


@numba.njit(cache=True, nogil=True)
def _fill_features(xs, yT, w, w_total, nan_cost, has_nan, lo, hi, ub):
    """Banded accumulated cost from features, pruned above ``ub`` (``np.inf``: no pruning).

    Returns ``(acc, s, e, ok)``: ``acc`` (N, W) float64 holds row i's columns from ``lo[i]``;
    only columns ``s[i]..e[i]`` were computed, the rest read as inf (see `_acc_at`). ``ok`` is
    False if ``ub`` was below the optimal cost (then the caller must rerun with ``np.inf``).

    Pruning (PrunedDTW): local costs are >= 0, so a cell whose accumulated cost exceeds ``ub``
    can neither be on an optimal path nor lead to one. Row i therefore starts at the first
    column of row i-1 with acc <= ub, and past the last such column + 1 it only continues
    while its own cells stay <= ub (they have no other cheap predecessor).
    """
    n = xs.shape[0]
    width = np.max(hi - lo) + 1
    acc = np.empty((n, width))
    s = np.empty(n, dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    crow = np.empty(width)
    used = np.empty(width)
    okf = 0
    okl = -1
    for i in range(n):
        if i == 0:
            first = 0
            vec_last = 0
        else:
            first = max(lo[i], okf)
            vec_last = min(hi[i], okl + 1)
            if vec_last < first:
                return acc, s, e, False
        s[i] = first
        _cost_span(xs, yT, w, w_total, nan_cost, has_nan, i, first, vec_last, crow, used)
        left, okf, okl, last = _accumulate_span(
            acc, lo, s, e, i, first, vec_last, crow, np.inf, ub, False, -1, -1
        )
        j = vec_last + 1
        while j <= hi[i] and left <= ub:
            chunk_last = min(hi[i], j + _TAIL_CHUNK - 1)
            _cost_span(xs, yT, w, w_total, nan_cost, has_nan, i, j, chunk_last, crow, used)
            left, okf, okl, last = _accumulate_span(
                acc, lo, s, e, i, j, chunk_last, crow, left, ub, True, okf, okl
            )
            j = last + 1
        e[i] = last
        if okf < 0:
            return acc, s, e, False
    return acc, s, e, e[n - 1] == hi[n - 1]


@numba.njit(cache=True, nogil=True)
def _fill_cost(c, lo, hi):
    """Banded accumulated cost (N, W) from a local-cost matrix (N, M); whole band computed."""
    n = c.shape[0]
    acc = np.empty((n, np.max(hi - lo) + 1))
    s = lo.copy()
    e = hi.copy()
    for i in range(n):
        crow = c[i, lo[i] :]
        _accumulate_span(acc, lo, s, e, i, lo[i], hi[i], crow, np.inf, np.inf, False, -1, -1)
    return acc, s, e


@numba.njit(cache=True, nogil=True)
def _backtrack(acc, lo, s, e):
    """Optimal path (K, 2) int64 from (0, 0) to (N-1, M-1) through a banded accumulated cost.

    Ties: diagonal (i-1, j-1) first, then teacher step (i-1, j), then student step (i, j-1).
    Cells not computed read as inf, so they are never chosen.
    """
    n = acc.shape[0]
    m = e[n - 1] + 1
    path = np.empty((n + m - 1, 2), dtype=np.int64)
    i = n - 1
    j = m - 1
    k = 0
    path[0, 0] = i
    path[0, 1] = j
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag = _acc_at(acc, lo, s, e, i - 1, j - 1)
            up = _acc_at(acc, lo, s, e, i - 1, j)
            left = _acc_at(acc, lo, s, e, i, j - 1)
            if diag <= up and diag <= left:
                i -= 1
                j -= 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        k += 1
        path[k, 0] = i
        path[k, 1] = j
    return path[: k + 1][::-1].copy()
