"""Subsequence DTW: the kernel against a slow, obvious reference; planted windows found where they are."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.analysis.subsequence import (
    SEARCH_FPS,
    Place,
    best_places,
    distinct,
    end_costs,
    local_costs,
    pose_track_features,
)
from tests.factories import dance_clip


def slow_subsequence(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every path of steps (1,1), (2,1), (1,2) by recursion over cells, in plain Python."""
    c = np.array([[np.linalg.norm(a - b) for b in r] for a in q])
    n, m = c.shape
    best: dict[tuple[int, int], tuple[float, int, int]] = {}   # cell -> (sum, cells, start)
    for i in range(n):
        for j in range(m):
            if i == 0:
                best[i, j] = (c[0, j], 1, j)
                continue
            options = []
            if j >= 1 and (i - 1, j - 1) in best:
                s, k, st = best[i - 1, j - 1]
                options.append((s + c[i, j], k + 1, st))
            if i >= 2 and j >= 1 and (i - 2, j - 1) in best:
                s, k, st = best[i - 2, j - 1]
                options.append((s + c[i - 1, j] + c[i, j], k + 2, st))
            if j >= 2 and (i - 1, j - 2) in best:
                s, k, st = best[i - 1, j - 2]
                options.append((s + c[i, j - 1] + c[i, j], k + 2, st))
            if options:
                best[i, j] = min(options, key=lambda o: o[0])
    mean = np.full(m, np.inf)
    start = np.zeros(m, int)
    for j in range(m):
        if (n - 1, j) in best:
            s, k, st = best[n - 1, j]
            mean[j], start[j] = s / k, st
    return mean, start


@pytest.mark.parametrize("seed", range(4))
def test_kernel_matches_the_slow_reference(seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(int(rng.integers(1, 7)), 3))
    r = rng.normal(size=(int(rng.integers(1, 12)), 3))
    q_before, r_before = q.copy(), r.copy()
    mean, start = end_costs(q, r)
    want_mean, want_start = slow_subsequence(q, r)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-9)
    finite = np.isfinite(want_mean)
    np.testing.assert_array_equal(start[finite], want_start[finite])
    np.testing.assert_array_equal(q, q_before)                 # inputs never modified
    np.testing.assert_array_equal(r, r_before)


def test_local_costs_by_hand():
    q = np.array([[0.0, 0.0], [3.0, 4.0]])
    r = np.array([[0.0, 0.0], [0.0, 4.0], [3.0, 0.0]])
    np.testing.assert_allclose(local_costs(q, r), [[0, 4, 3], [5, 3, 4]], atol=1e-9)


def test_a_planted_window_is_found_and_top_places_are_different_moments():
    rng = np.random.default_rng(0)
    ref = np.cumsum(rng.normal(0, 0.3, (300, 6)), axis=0)
    query = ref[120:170] + rng.normal(0, 0.01, (50, 6))
    places = best_places(query, ref, top=3)
    assert (places[0].start, places[0].stop) == (120, 169)
    assert places[0].cost < 0.05 < places[1].cost
    for a in places:
        for b in places:
            if a is not b:
                assert distinct(a, b, 25)


def test_a_slower_query_is_placed_over_the_same_span():
    rng = np.random.default_rng(1)
    ref = np.cumsum(rng.normal(0, 0.3, (300, 6)), axis=0)
    slow = np.repeat(ref[100:160], 3, axis=0)[::2]          # 1.5x as long, same moves
    [best] = best_places(slow, ref, top=1)
    assert abs(best.start - 100) <= 1 and abs(best.stop - 159) <= 1


def test_min_span_keeps_the_query_from_collapsing():
    ref = np.zeros((50, 2))
    ref[10] = 1.0
    query = np.ones((20, 2))                                # every query frame is like ref frame 10
    [p] = best_places(query, ref, top=1)
    assert p.stop - p.start + 1 >= 10                       # at least half the query's length


def test_features_are_mirror_aware_and_sampled_at_the_search_rate():
    world = dance_clip(90, seed=3)
    t = np.arange(90) / 30.0
    f = pose_track_features(world, t)
    assert f.shape == (round(90 / 30.0 * SEARCH_FPS), 36)
    # The mirror image of a mirrored track is the track itself.
    np.testing.assert_allclose(pose_track_features(mirror_world(world), t, mirror=True), f, atol=1e-5)
    assert np.abs(pose_track_features(mirror_world(world), t) - f).max() > 0.1
    holes = world.copy()
    holes[:5] = np.nan                                       # nobody seen at first: the first seen frame holds
    g = pose_track_features(holes, t)
    assert np.isfinite(g).all()


@pytest.mark.parametrize(("query", "reference", "error"), [
    (np.zeros((0, 3)), np.zeros((5, 3)), "at least one frame"),
    (np.zeros((3, 2)), np.zeros((5, 3)), "features"),
    (np.full((3, 3), np.nan), np.zeros((5, 3)), "finite"),
])
def test_bad_input(query, reference, error):
    with pytest.raises(ValueError, match=error):
        end_costs(query, reference)


def test_distinct_by_hand():
    a = Place(start=0, stop=9, cost=0.0)
    assert not distinct(a, Place(start=2, stop=11, cost=0.0), 1)       # overlap 8 of 10
    assert distinct(a, Place(start=8, stop=17, cost=0.0), 5)           # overlap 2, ends 8 apart
    assert not distinct(a, Place(start=8, stop=11, cost=0.0), 5)       # ends 2 apart
