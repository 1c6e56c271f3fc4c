"""Where in a long routine does a short clip belong? Subsequence DTW on normalised pose features.

`pose_track_features(world, t)` turns a pose track into the search features: the 12 core joints,
hip-centred, in torso lengths, the shoulder line turned onto x (`normalize`), sampled at
`SEARCH_FPS`, short gaps bridged. `best_places(query, reference)` slides the query along the
reference with subsequence DTW (free start and end in the reference, the whole query used) and
returns the best places, each with its mean local cost per path step (so references of any
length compare) and at least `exclusion` reference frames apart (so the top places are different
moments, not one moment shifted by a frame).

Step pattern: (1, 1), (2, 1) and (1, 2) with the skipped cell's cost added, so the query's tempo
may differ from the reference's by up to 2x either way but can never collapse onto one frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from engine.analysis.clean import fill_gaps
from engine.analysis.normalize import joint_features, normalize

#: Search features are sampled at this rate, frames/s (0.1 s steps: a third of the +-0.3 s wanted).
SEARCH_FPS = 10.0
#: A match must span at least this share of the query's frames in the reference.
MIN_SPAN_SHARE = 0.5


@dataclass(frozen=True)
class Place:
    """One place a query matches in a reference.

    start, stop : reference frames (at `SEARCH_FPS`) of the match, stop inclusive
    cost : mean Euclidean distance per path step, torso lengths (12 joints x 3 coordinates)
    """

    start: int
    stop: int
    cost: float


def pose_track_features(world: np.ndarray, t: np.ndarray, *, mirror: bool = False,
                        fps: float = SEARCH_FPS) -> np.ndarray:
    """(F, 36) float32 search features of a pose track, F = frames at `fps` over its length.

    Parameters
    ----------
    world : (N, 33, 4) world landmarks (metres), NaN rows where nobody was detected; not modified
    t : (N,) seconds of each row
    mirror : the track's mirror image (left and right swapped)
    fps : the sampling rate of the features, frames/s

    Rows of frames never seen (before the first or after the last detection, or a track with
    none) hold the nearest seen frame; a track with no detection at all gives all-NaN rows.
    """
    t = np.asarray(t, dtype=np.float64)
    if len(t) == 0:
        return np.zeros((0, 36), np.float32)
    feats = joint_features(normalize(world, mirror=mirror))
    filled, _ = fill_gaps(feats, None, hold_ends=True)
    grid = np.arange(t[0], t[-1] + 1e-6, 1.0 / fps)
    rows = np.clip(np.searchsorted(t, grid), 0, len(t) - 1)
    return np.ascontiguousarray(filled[rows], dtype=np.float32)


@numba.njit(cache=True, nogil=True)
def _subsequence_dtw(cost):
    """Subsequence DTW on a local-cost matrix (n query frames, m reference frames). Returns, per
    reference end frame j, the mean cost per cell of the best path ending there (the path of the
    least summed cost, so stretching the reference over extra frames costs those frames) and its
    start frame (inf where no path ends)."""
    n, m = cost.shape
    inf = np.inf
    acc = np.full((n, m), inf)
    steps = np.zeros((n, m), np.int64)
    start = np.zeros((n, m), np.int64)
    for j in range(m):
        acc[0, j] = cost[0, j]
        steps[0, j] = 1
        start[0, j] = j
    for i in range(1, n):
        for j in range(1, m):
            c = cost[i, j]
            best, best_sum, best_len, best_start = inf, inf, 0, 0
            if acc[i - 1, j - 1] < inf:                       # (1, 1)
                s, ln = acc[i - 1, j - 1] + c, steps[i - 1, j - 1] + 1
                if s < best:
                    best, best_sum, best_len, best_start = s, s, ln, start[i - 1, j - 1]
            if i >= 2 and acc[i - 2, j - 1] < inf:            # (2, 1): two query frames on one step
                s, ln = acc[i - 2, j - 1] + cost[i - 1, j] + c, steps[i - 2, j - 1] + 2
                if s < best:
                    best, best_sum, best_len, best_start = s, s, ln, start[i - 2, j - 1]
            if j >= 2 and acc[i - 1, j - 2] < inf:            # (1, 2): two reference frames on one step
                s, ln = acc[i - 1, j - 2] + cost[i, j - 1] + c, steps[i - 1, j - 2] + 2
                if s < best:
                    best, best_sum, best_len, best_start = s, s, ln, start[i - 1, j - 2]
            if best < inf:
                acc[i, j], steps[i, j], start[i, j] = best_sum, best_len, best_start
    mean = np.full(m, inf)
    for j in range(m):
        if acc[n - 1, j] < inf:
            mean[j] = acc[n - 1, j] / steps[n - 1, j]
    return mean, start[n - 1].copy()


def _check(name: str, a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 1:
        raise ValueError(f"{name}: expected (frames, features) with at least one frame, got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: features must be finite (bridge gaps first: pose_track_features)")
    return a


def end_costs(query: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per reference end frame: (mean cost per step of the best match ending there, its start).

    query (n, d), reference (m, d): finite features; not modified. Costs are inf where no path
    can end (the first frames, when the query is longer than half the reference allows).
    """
    q, r = _check("query", query), _check("reference", reference)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"query has {q.shape[1]} features, reference {r.shape[1]}")
    return _subsequence_dtw(local_costs(q, r))


def local_costs(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(n, m) Euclidean distances between every query and reference frame."""
    return _local_costs(np.ascontiguousarray(query, dtype=np.float64),
                        np.ascontiguousarray(reference, dtype=np.float64))


@numba.njit(cache=True, nogil=True)
def _local_costs(q, r):
    # Plain loops, not a BLAS matrix product: BLAS threads fight over a busy machine's cores,
    # and at (80 x 600 x 36) the loops are as fast.
    n, m, d = q.shape[0], r.shape[0], q.shape[1]
    out = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            s = 0.0
            for k in range(d):
                diff = q[i, k] - r[j, k]
                s += diff * diff
            out[i, j] = np.sqrt(s)
    return out


def best_places(query: np.ndarray, reference: np.ndarray, *, top: int = 5, exclusion: int | None = None,
                min_span: int | None = None) -> list[Place]:
    """The `top` best places of `query` in `reference`, best (lowest cost) first.

    Parameters
    ----------
    query, reference : (n, d) and (m, d) finite features (`pose_track_features`); not modified
    top : how many places at most
    exclusion : a place's end is at least this many frames from every better place's, and it
        overlaps none of them by half (default exclusion: half the query's length)
    min_span : shortest match in reference frames (default `MIN_SPAN_SHARE` of the query)
    """
    n = len(query)
    exclusion = max(1, n // 2) if exclusion is None else int(exclusion)
    min_span = max(1, int(np.ceil(MIN_SPAN_SHARE * n))) if min_span is None else int(min_span)
    cost, start = end_costs(query, reference)
    ends = np.arange(len(cost))
    cost = np.where(ends - start + 1 >= min_span, cost, np.inf)
    places: list[Place] = []
    while len(places) < top:
        j = int(np.argmin(cost))
        if not np.isfinite(cost[j]):
            break
        place = Place(start=int(start[j]), stop=j, cost=float(cost[j]))
        places.append(place)
        # Every end that is not a different moment from this place is out (`distinct`, vectorised).
        overlap = np.minimum(ends, j) - np.maximum(start, place.start) + 1
        shorter = np.minimum(ends - start, j - place.start) + 1
        cost[(np.abs(ends - j) < exclusion) | (overlap >= 0.5 * shorter)] = np.inf
    return places


def distinct(a: Place, b: Place, exclusion: int) -> bool:
    """Two places are different moments: their ends are `exclusion` frames apart or more, and
    they overlap by less than half the shorter one."""
    overlap = min(a.stop, b.stop) - max(a.start, b.start) + 1
    shorter = min(a.stop - a.start, b.stop - b.start) + 1
    return abs(a.stop - b.stop) >= exclusion and overlap < 0.5 * shorter
