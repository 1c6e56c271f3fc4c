"""engine.analysis.metrics.dynamics: motion energy, hits, per-pair energy match."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.metrics import (
    dynamics_score,
    dynamics_scores,
    hits,
    motion_energy,
)
from tests.factories import FPS, L, frozen, moving_world, spiky_energy


def test_motion_energy_of_constant_speed_is_that_speed():
    energy = motion_energy(frozen(moving_world(20)), FPS)
    assert energy.dtype == np.float32 and energy.shape == (20,)
    np.testing.assert_allclose(energy, 0.5, rtol=1e-5)


def test_motion_energy_is_the_mean_over_core_joints_and_skips_unknown_neighbours():
    w = moving_world(20)
    w[:, L.LEFT_WRIST, :3] = w[0, L.LEFT_WRIST, :3]              # one of the 12 core joints holds still
    np.testing.assert_allclose(motion_energy(w, FPS), 0.5 * 11 / 12, rtol=1e-5)
    w[10, L.LEFT_WRIST, :3] = np.nan                             # unknown in frame 10
    e = motion_energy(w, FPS)
    np.testing.assert_allclose(e[9:12], 0.5, rtol=1e-5)         # frames 9-11 average the 11 movers
    np.testing.assert_allclose(e[[8, 12]], 0.5 * 11 / 12, rtol=1e-5)
    w[5] = np.nan
    assert np.isnan(motion_energy(w, FPS)[5])
    assert np.isnan(motion_energy(w[:1], FPS)).all()




def test_hits_finds_the_four_spikes():
    found = hits(frozen(spiky_energy()), FPS)
    assert found.tolist() == [30, 75, 110, 150]
    double = spiky_energy(spikes=(30, 36, 110))                  # 36 is 0.2 s after 30: one accent
    assert hits(double, FPS).tolist() == [30, 110] or hits(double, FPS).tolist() == [36, 110]
    assert hits(np.ones(50), FPS).size == 0                      # constant motion: no accents
    assert hits(spiky_energy(), FPS, min_prominence=5.0).size == 0


def test_dynamics_of_identical_energies_is_perfect():
    e = spiky_energy()
    path = np.stack([np.arange(e.size), np.arange(e.size)], axis=1)
    per_pair, summary = dynamics_scores(frozen(e), frozen(e), frozen(path), FPS)
    np.testing.assert_allclose(per_pair, 100.0, rtol=1e-6)
    assert summary["teacher_hits"] == 4 and summary["hits_matched"] == 4
    assert summary["hit_rate"] == 1.0 and summary["energy_ratio"] == pytest.approx(1.0)
    assert dynamics_score(per_pair, summary) == pytest.approx(100.0)


def test_half_the_energy_scores_about_50_but_keeps_its_hits():
    e = spiky_energy()
    path = np.stack([np.arange(e.size), np.arange(e.size)], axis=1)
    per_pair, summary = dynamics_scores(e, 0.5 * e, path, FPS)
    # (0.5 m + f) / (m + f) with f = 0.05 x median ~ 0.05: about 52
    assert np.all((per_pair > 45) & (per_pair < 56))
    assert summary["energy_ratio"] == pytest.approx(0.5, rel=1e-6)
    assert summary["hit_rate"] == 1.0                            # timing is right, energy is not


def test_hits_are_matched_through_the_path():
    e = spiky_energy()
    late = np.concatenate([np.full(10, 1.0, np.float32), e])     # the student is 10 frames late
    i = np.arange(e.size)
    aligned = np.stack([i, i + 10], axis=1)
    _, s = dynamics_scores(e, late, aligned, FPS)
    assert (s["teacher_hits"], s["hits_matched"]) == (4, 4)
    _, s = dynamics_scores(e, late, np.stack([i, i], axis=1), FPS)   # 0.33 s off > 0.2 s
    assert (s["teacher_hits"], s["hits_matched"], s["hit_rate"]) == (4, 0, 0.0)


def test_dynamics_score_combines_the_parts_it_has():
    assert dynamics_score(np.full(3, 50.0), {"hit_rate": 1.0}) == pytest.approx(75.0)
    assert dynamics_score(np.full(3, 50.0), {"hit_rate": None}) == pytest.approx(50.0)
    assert dynamics_score(np.full(3, np.nan), {"hit_rate": 0.5}) == pytest.approx(50.0)
    assert dynamics_score(np.full(3, np.nan), {"hit_rate": None}) is None
