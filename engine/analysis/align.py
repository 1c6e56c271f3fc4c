"""Exact dynamic time warping of two feature sequences (teacher frames x student frames).

The default backend is an exact DTW in small numba kernels, optionally restricted to a
Sakoe-Chiba band; ``fastdtw`` (Salvador & Chan's multi-resolution approximation) is kept as an
alternative backend. The API follows ``librosa.sequence.dtw`` and ``tslearn.metrics.dtw_path``:
keyword-only options, the band as a fraction of the sequence length, features *or* a
precomputed cost matrix, and inputs are never modified.

Conventions
-----------
* Teacher is the first sequence (rows, index ``i``, ``N`` frames), student the second
  (columns, index ``j``, ``M`` frames).
* Steps are (1, 0), (0, 1) and (1, 1), all with weight 1: the accumulated cost of a path is the
  plain sum of the local costs of the cells it visits,
  ``acc[i, j] = C[i, j] + min(acc[i-1, j-1], acc[i-1, j], acc[i, j-1])``, ``acc[0, 0] = C[0, 0]``.
* Local cost: Euclidean distance between frames, optionally feature-weighted, NaN-aware
  (see `cost_matrix`).

How the exact backend stays fast
--------------------------------
Local costs are computed inside the kernels from the features, one band row at a time (no
N x M local-cost matrix). Accumulated costs live in a banded (N, W) float64 array, W the band
width. On large inputs the DP is *pruned* (PrunedDTW, Silva & Batista 2016): a cheap DTW inside
a narrow corridor gives an upper bound ``ub`` on the optimal cost, and cells whose accumulated
cost provably exceeds ``ub`` are never computed. The result is bit-identical to the unpruned DP
(every cell that could be on, or compete with, the optimal path is computed exactly); only the
work changes, and it shrinks most when the two sequences are similar, which is the product's case.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["Alignment", "cost_matrix", "dtw"]

BACKENDS = ("exact", "fastdtw")

#: Slack added to the band half-width (in frames) so that cells lying exactly on the band edge
#: are inside whatever the floating-point rounding of the diagonal.
_BAND_EDGE_TOL = 1e-9

#: Band fraction of the narrow corridor whose DTW cost is the pruning upper bound. Wide enough
#: to hold a student who drifts ~1 s from the teacher in a 1-minute clip, cheap (~6% of cells).
_UB_BAND = 0.03

#: Below this many band cells the whole band is computed: the bound would cost more than it saves.
_PRUNE_MIN_CELLS = 40_000

#: Columns of local costs computed at a time past the end of the previous row's surviving cells.
_TAIL_CHUNK = 32


@dataclass(frozen=True, eq=False)
class Alignment:
    """A DTW alignment between a teacher (``N`` frames) and a student (``M`` frames).

    Attributes
    ----------
    path : (K, 2) int64, read-only
        ``(teacher index, student index)`` pairs, from ``(0, 0)`` to ``(N-1, M-1)``, each step
        one of (1, 0), (0, 1), (1, 1).
    cost : float
        Mean local cost along the path, ``total_cost / K`` (local-cost units, e.g. the feature
        units for Euclidean features).
    total_cost : float
        Sum of the local costs along the path.
    backend : str
        ``"exact"`` or ``"fastdtw"``.
    band : float or None
        The Sakoe-Chiba band fraction used, ``None`` when unconstrained (always ``None`` for
        ``"fastdtw"``).
    """

    path: np.ndarray
    cost: float
    total_cost: float
    backend: str
    band: float | None

    def __post_init__(self) -> None:
        p = self.path
        if not (isinstance(p, np.ndarray) and p.ndim == 2 and p.shape[1] == 2 and p.shape[0] >= 1):
            got = p.shape if isinstance(p, np.ndarray) else type(p).__name__
            raise ValueError(f"Alignment.path: expected shape (K, 2) with K >= 1, got {got}")
        if p.dtype != np.int64:
            raise ValueError(f"Alignment.path: expected dtype int64, got {p.dtype}")
        if self.backend not in BACKENDS:
            raise ValueError(f"Alignment.backend: expected one of {BACKENDS}, got {self.backend!r}")


# --------------------------------------------------------------------------------------------
# Kernels (private, tiny; the public wrappers validate everything they receive).
# Features reach them pre-scaled by sqrt(weight), zero-weight features dropped, y transposed
# to (D, M) so that a span of columns is contiguous. No fastmath: each cell's sum runs over
# k = 0..D-1 in order whatever span it is computed in, so a cell's cost is bit-identical in
# every kernel (cost_matrix, the DP, the bound, the fastdtw path cost).
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Validation and preparation helpers
# --------------------------------------------------------------------------------------------


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
    """Banded accumulated cost ``(acc, s, e)`` for features, pruned when it pays."""
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


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def cost_matrix(x: np.ndarray, y: np.ndarray, *, weights: np.ndarray | None = None) -> np.ndarray:
    """Local cost between every teacher frame and every student frame.

    Parameters
    ----------
    x : (N, D) array_like of float
        Teacher features, one row per frame. NaN marks a missing feature.
    y : (M, D) array_like of float
        Student features.
    weights : (D,) array_like of float >= 0, optional
        Per-feature weights (default all 1). Zero-weight features are ignored.

    Returns
    -------
    (N, M) ndarray of float64
        ``sqrt(sum_k w_k (x[i,k] - y[j,k])**2)``, in feature units.

    Notes
    -----
    Missing features: a feature that is NaN in either frame is left out of that pair, and the
    weighted sum of squares is rescaled by ``sum(w) / sum(w over the features used)``
    (``D / used`` for unit weights, as in ``sklearn.metrics.nan_euclidean_distances``), so the
    expected distance neither shrinks nor grows with the number of missing joints. A pair with
    no common finite weighted feature gets ``sqrt(sum(w)) * (largest range of any weighted
    feature over x and y together)`` (1.0 if that is 0): finite, and not below any other entry.
    The entries are bit-identical to the local costs `dtw` uses internally.
    """
    prep = _prepare(x, y, weights)
    return _cost_matrix_kernel(*prep.kernel_args())


def dtw(
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    C: np.ndarray | None = None,
    band: float | None = 0.2,
    weights: np.ndarray | None = None,
    backend: str = "exact",
    radius: int = 1,
) -> Alignment:
    """Align a teacher sequence to a student sequence by dynamic time warping.

    Give features ``x`` and ``y``, or a precomputed local-cost matrix ``C``, not both.

    Parameters
    ----------
    x : (N, D) array_like of float, optional
        Teacher features, one row per frame; NaN marks a missing feature (see `cost_matrix`).
    y : (M, D) array_like of float, optional
        Student features.
    C : (N, M) array_like of float, optional
        Precomputed finite local costs. Only for ``backend="exact"``; never pruned (costs may
        be negative).
    band : float or None, default 0.2
        Sakoe-Chiba band half-width as a fraction of ``max(N, M)`` frames, around the diagonal
        from (0, 0) to (N-1, M-1): cell (i, j) is allowed when
        ``|j - i*(M-1)/(N-1)| <= max(band * max(N, M), 1, (s + 1) / 2)``, ``s = (M-1)/(N-1)``;
        the floor keeps a path possible whatever the lengths. ``None``: unconstrained.
        Ignored by ``"fastdtw"`` (its result reports ``band=None``).
    weights : (D,) array_like of float >= 0, optional
        Per-feature weights for the local cost; with features only.
    backend : {"exact", "fastdtw"}
        ``"exact"``: the optimal path, numba kernels; at most O(N * W) time and memory, ``W``
        the band width in student frames (less when pruning applies, see the module notes).
        ``"fastdtw"``: the ``fastdtw`` package's approximation (needs features); its path's
        cost is recomputed with exactly the local cost ``"exact"`` uses, so costs compare.
    radius : int >= 1, default 1
        fastdtw's search radius, in frames at each resolution level.

    Returns
    -------
    Alignment
        Path, mean and total cost along it, backend and band.

    Raises
    ------
    ValueError
        Bad shapes or dtypes, mismatched feature counts, a negative or non-finite band, both or
        neither of features and ``C``, ``C`` with ``backend="fastdtw"``.

    Notes
    -----
    Ties in the backtracking prefer the diagonal step, then the teacher step (i-1, j), then
    the student step (i, j-1), so the result is deterministic. Inputs are never modified.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    band_f = _check_band(band)
    if C is not None and (x is not None or y is not None):
        raise ValueError("dtw: expected either features x, y or a cost matrix C, got both")
    if C is None and (x is None or y is None):
        raise ValueError(
            "dtw: expected both features x and y (or a cost matrix C), got "
            f"x={'None' if x is None else 'array'}, y={'None' if y is None else 'array'}"
        )
    if backend == "fastdtw":
        if C is not None:
            raise ValueError("backend='fastdtw': expected features x and y, got a cost matrix C")
        return _dtw_fast(x, y, weights=weights, radius=radius)

    if C is not None:
        if weights is not None:
            raise ValueError("weights: expected None with a cost matrix C (weight x and y instead)")
        c = _as_cost(C)
        lo, hi = _band_bounds(c.shape[0], c.shape[1], band_f)
        acc, s, e = _fill_cost(c, lo, hi)
    else:
        prep = _prepare(x, y, weights)
        lo, hi = _band_bounds(prep.xs.shape[0], prep.ys.shape[0], band_f)
        acc, s, e = _accumulate(prep, lo, hi)
    path = _backtrack(acc, lo, s, e)
    # The end cell (N-1, M-1) is always computed; read in Python, so no extra kernel is loaded.
    total = float(acc[-1, e[-1] - lo[-1]])
    return _result(path, total, "exact", band_f)


def _as_cost(C: object) -> np.ndarray:
    c = np.asarray(C)
    if not _is_real(c):
        raise ValueError(f"C: expected a real array, got dtype {c.dtype}")
    if c.ndim != 2 or c.shape[0] < 1 or c.shape[1] < 1:
        raise ValueError(f"C: expected shape (N, M) with N, M >= 1, got {c.shape}")
    c = np.ascontiguousarray(c, dtype=np.float64)
    if not np.isfinite(c).all():
        raise ValueError("C: expected finite local costs, found NaN or inf")
    return c


def _dtw_fast(x: object, y: object, *, weights: object, radius: object) -> Alignment:
    from fastdtw import fastdtw  # the alternative backend: imported only when asked for

    # fastdtw 0.3.4 fails with IndexError for radius 0 (its window loses connectivity,
    # slaypni/fastdtw#17), so 1 is the smallest radius accepted.
    if isinstance(radius, bool) or not isinstance(radius, numbers.Integral) or radius < 1:
        raise ValueError(f"radius: expected an integer >= 1, got {radius!r}")
    prep = _prepare(x, y, weights)
    if prep.has_nan:
        w, w_total, nan_cost = prep.w, prep.w_total, prep.nan_cost

        def dist(a: np.ndarray, b: np.ndarray) -> float:
            ok = ~(np.isnan(a) | np.isnan(b))
            used = float(w[ok].sum())
            if used <= 0.0:
                return nan_cost
            d = a[ok] - b[ok]
            return math.sqrt(float((d * d).sum()) * w_total / used)

        _, pairs = fastdtw(prep.xs, prep.ys, radius=int(radius), dist=dist)
    else:
        # The features are already scaled by sqrt(weight): fastdtw's own 2-norm is our cost.
        _, pairs = fastdtw(prep.xs, prep.ys, radius=int(radius), dist=2)
    path = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    total = float(_path_cost(*prep.kernel_args(), path))
    return _result(path, total, "fastdtw", None)


def _result(path: np.ndarray, total: float, backend: str, band: float | None) -> Alignment:
    path.setflags(write=False)
    return Alignment(
        path=path, cost=total / path.shape[0], total_cost=total, backend=backend, band=band
    )
