"""The public DTW wrappers: validate, call the kernels, return an `Alignment`."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from engine.analysis.align import _wavefront
from engine.analysis.align._banded import (
    _accumulate,
    _band_bounds,
    _check_band,
    _is_real,
    _prepare,
)

# The numba kernels (`_kernels`) are imported only where an input is too large for
# `_wavefront`: importing numba and loading the kernels costs ~0.6 s in a fresh process.

BACKENDS = ("exact", "fastdtw")


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
    n, m = prep.xs.shape[0], prep.yT.shape[1]
    if _wavefront.is_small(n, m):
        cols = np.broadcast_to(np.arange(m), (n, m))
        return _wavefront.local_costs(*prep.kernel_args(), cols)
    from engine.analysis.align._kernels import _cost_matrix_kernel

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
        n, m = c.shape
    else:
        prep = _prepare(x, y, weights)
        n, m = prep.xs.shape[0], prep.ys.shape[0]
    lo, hi = _band_bounds(n, m, band_f)
    if _wavefront.is_small(n, m):
        cols, inside = _wavefront.band_columns(lo, hi, m)
        if C is not None:
            costs = c[np.arange(n)[:, None], cols]
        else:
            costs = _wavefront.local_costs(*prep.kernel_args(), cols)
        path, total = _wavefront.solve(costs, cols, inside, m)
        return _result(path, total, "exact", band_f)

    from engine.analysis.align._kernels import _backtrack, _fill_cost

    acc, s, e = _fill_cost(c, lo, hi) if C is not None else _accumulate(prep, lo, hi)
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
    from engine.analysis.align._kernels import _path_cost

    total = float(_path_cost(*prep.kernel_args(), path))
    return _result(path, total, "fastdtw", None)


def _result(path: np.ndarray, total: float, backend: str, band: float | None) -> Alignment:
    path.setflags(write=False)
    return Alignment(
        path=path, cost=total / path.shape[0], total_cost=total, backend=backend, band=band
    )
