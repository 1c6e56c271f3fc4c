"""engine.live.scorer: limb co-movement over the last seconds danced, against the reference."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.core.body import SCORED_JOINTS
from engine.core.settings import ScoreSettings
from engine.live import LiveScorer
from engine.live.scorer import HISTORY_S, LAG_S, LATE_S
from tests.engine.analysis.metrics.posekit import dance
from tests.engine.live.helpers import hanging_left_arm
from tests.factories import FPS, LEGS, dance_clip, reference_of

#: Seconds of synthetic dancing: the window fills after HISTORY_S, then ~3.5 s are scored.
DANCE_S = 6.0
N = int(DANCE_S * FPS)


def replay(scorer: LiveScorer, user: np.ndarray, *, delay_s: float = 0.0, rate: float = 25.0) -> list:
    """Feed `user` (N, 33, 4) at FPS to the scorer as a camera at `rate` frames/s would: at
    reference time t the user shows their frame at t - delay_s. Returns every result (None or
    LiveScore), in order."""
    out = []
    for t in np.arange(0.0, DANCE_S, 1.0 / rate):
        i = int(np.clip(round((t - delay_s) * FPS), 0, len(user) - 1))
        out.append(scorer.score(user[i], float(t)))
    return out


def scores(results: list) -> np.ndarray:
    return np.array([r.score for r in results if r is not None])


@pytest.fixture(scope="module")
def choreography() -> np.ndarray:
    return dance(N, FPS)


def test_the_reference_replayed_scores_at_least_95(choreography):
    got = scores(replay(LiveScorer(reference_of(choreography)), choreography))
    assert got.size > 50 and got.min() >= 95.0


@pytest.mark.parametrize("rate", [25.0, 8.0])          # a fast machine, and a loaded one
def test_the_same_dance_late_within_the_lag_still_scores_high(choreography, rate):
    results = [r for r in replay(LiveScorer(reference_of(choreography)), choreography, delay_s=0.2, rate=rate)
               if r is not None]
    assert min(r.score for r in results) >= 90.0
    assert np.median([r.lag_s for r in results]) == pytest.approx(0.2, abs=1.5 / FPS)


def test_late_by_a_reaction_time_still_scores_high(choreography):
    results = [r for r in replay(LiveScorer(reference_of(choreography)), choreography, delay_s=0.8) if r is not None]
    assert min(r.score for r in results) >= 90.0
    assert np.median([r.lag_s for r in results]) == pytest.approx(0.8, abs=1.5 / FPS)


@pytest.mark.parametrize("delay_s", [LATE_S + 0.6, -(LAG_S + 0.5)])       # too late, too early
def test_beyond_the_lags_allowed_costs(choreography, delay_s):
    off = np.median(scores(replay(LiveScorer(reference_of(choreography)), choreography, delay_s=delay_s)))
    assert off < 85.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_unrelated_dance_scores_at_most_50(choreography, seed):
    other = dance_clip(N, FPS, seed=seed)
    assert np.median(scores(replay(LiveScorer(reference_of(choreography)), other))) <= 50.0


def test_a_constant_offset_is_style_and_stays_high(choreography):
    styled = dance(N, FPS, left_arm_error=np.full(N, 20.0))        # the left arm always 20 degrees lower
    got = scores(replay(LiveScorer(reference_of(choreography)), styled))
    assert got.min() >= 90.0


def test_a_limb_that_does_not_follow_is_named(choreography):
    results = [r for r in replay(LiveScorer(reference_of(choreography)), hanging_left_arm(N)) if r is not None]
    assert 60.0 < np.median([r.score for r in results]) < 95.0          # three limbs of 14, pooled
    named = [r.worst_joint for r in results if r.worst_joint is not None]
    assert named and {j for j in named} <= {"left_shoulder", "left_elbow", "left_wrist"}
    assert all(min(r.joint_scores, key=r.joint_scores.get).startswith("left_") for r in results)


def test_no_score_until_the_window_is_full(choreography):
    scorer = LiveScorer(reference_of(choreography))
    rate = 25.0
    results = replay(scorer, choreography, rate=rate)
    first = next(i for i, r in enumerate(results) if r is not None)
    assert (first - 1) / rate < HISTORY_S <= first / rate + 1e-9   # the first frame HISTORY_S in
    assert all(r is not None for r in results[first:])
    assert not scorer.ready(0.0) and scorer.ready(DANCE_S)
    # Time going backwards (a new attempt) starts a new window.
    assert scorer.score(choreography[0], 0.0) is None and not scorer.ready(0.1)


def test_mirror_scores_the_mirror_image_of_the_reference(choreography):
    ref = reference_of(choreography)
    copy = mirror_world(choreography)                                 # a teacher facing the user, copied
    assert scores(replay(LiveScorer(ref, mirror=True), copy)).min() >= 95.0
    assert np.median(scores(replay(LiveScorer(ref), copy))) < 85.0


def test_mirror_names_the_user_own_side(choreography):
    wrong = mirror_world(hanging_left_arm(N))                         # the user's RIGHT arm hangs
    named = [r.worst_joint for r in replay(LiveScorer(reference_of(choreography), mirror=True), wrong)
             if r is not None and r.worst_joint is not None]
    assert named and set(named) <= {"right_shoulder", "right_elbow", "right_wrist"}


def test_joint_weights_come_from_score_settings(choreography):
    wrong = hanging_left_arm(N)
    base = ScoreSettings()
    arms_free = ScoreSettings(joint_weights={**base.joint_weights, "shoulders": 0.0, "elbows": 0.0, "wrists": 0.0})
    ref = reference_of(choreography)
    default = np.median(scores(replay(LiveScorer(ref), wrong)))
    without_arms = scores(replay(LiveScorer(ref, arms_free), wrong))
    assert without_arms.min() >= 99.0 > default


def test_limbs_out_of_view_are_left_out(choreography):
    user = choreography.copy()
    user[:, list(LEGS), 3] = 0.1
    results = [r for r in replay(LiveScorer(reference_of(choreography)), user) if r is not None]
    legs = {"left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"}
    assert results and all(not legs & set(r.joint_scores) for r in results)
    assert min(r.score for r in results) >= 95.0


def test_no_score_for_nobody_or_too_little(choreography):
    scorer = LiveScorer(reference_of(choreography))
    replay(scorer, choreography)                                      # a full window behind
    assert scorer.score(np.full((33, 4), np.nan, np.float32), DANCE_S) is None
    few = choreography[0].copy()
    few[:, 3] = 0.1
    assert scorer.score(few, DANCE_S + 0.04) is None


def test_joint_scores_use_the_user_names_and_scale(choreography):
    result = replay(LiveScorer(reference_of(choreography)), choreography)[-1]
    assert set(result.joint_scores) <= set(SCORED_JOINTS) and result.worst_joint is None
    assert all(0.0 <= v <= 100.0 for v in result.joint_scores.values())
    assert 0 <= result.ref_index < N


def test_scorer_does_not_modify_its_input(choreography):
    user = choreography[10].copy()
    before = user.copy()
    LiveScorer(reference_of(choreography)).score(user, 0.5)
    np.testing.assert_array_equal(user, before)


@pytest.mark.parametrize("kwargs, message", [({"history_s": 0.0}, "history_s"), ({"lag_s": -0.1}, "lag_s")])
def test_bad_windows_are_refused(choreography, kwargs, message):
    with pytest.raises(ValueError, match=message):
        LiveScorer(reference_of(choreography), **kwargs)
