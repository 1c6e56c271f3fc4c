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

Small inputs (up to ~1000 x 1000 frames, `_wavefront.SMALL_CELLS`) skip numba altogether: the
same DP in NumPy, one anti-diagonal at a time, bit-identical to the kernels (same local-cost
arithmetic, same tie order), because importing numba and loading the kernels costs ~0.6 s in a
fresh process, more than a cached comparison's whole alignment.

The package: `_dtw` holds the public wrappers (`dtw`, `cost_matrix`, `Alignment`), `_banded`
the input checks and the banded DP driver, `_kernels` the numba loops, `_wavefront` the NumPy DP.
"""

from engine.analysis.align._dtw import BACKENDS, Alignment, cost_matrix, dtw

__all__ = ["BACKENDS", "Alignment", "cost_matrix", "dtw"]
