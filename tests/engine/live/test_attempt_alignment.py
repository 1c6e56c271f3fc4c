"""engine.live.attempt_alignment: a live recording is compared on the reference's clock."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.analysis.compare import analyze_performances
from engine.analysis.score import score
from engine.core.settings import AlignSettings
from engine.live import attempt_alignment
from tests.conftest import needs_footage

REFERENCE = "solo/studio_bw_female_solo_10s.mp4"


@pytest.mark.parametrize(("chosen", "used"), [("auto", "none"), ("none", "none"), ("motion", "motion"),
                                              ("audio", "audio")])
def test_auto_sync_is_not_searched_again_but_a_chosen_method_is_kept(chosen: str, used: str) -> None:
    settings = AlignSettings(sync=chosen, band=0.3, mirror="off")
    assert attempt_alignment(settings) == dataclasses.replace(settings, sync=used)


def late_start(perf, late_s: float):
    """`perf` as a live recording of someone who starts `late_s` late: its first pose held that
    long, then the same dance, cut to the same length; no sound (as the recorder writes)."""
    n, k = len(perf.t), int(round(late_s * perf.fps))
    idx = np.r_[np.zeros(k, int), np.arange(n)][:n]
    return dataclasses.replace(perf, image=perf.image[idx], world=perf.world[idx], mask=perf.mask[idx],
                               hip_xy=perf.hip_xy[idx], detected=perf.detected[idx],
                               source=dataclasses.replace(perf.source, file="attempt.mp4", sha256="1" * 64,
                                                          has_audio=False))


@needs_footage
@pytest.mark.slow
@pytest.mark.parametrize("late_s", [0.5, 1.0])
def test_the_reference_danced_back_late_scores_high_on_the_reference_clock(load_clip, late_s: float) -> None:
    """Known truth: the reference's own dance, started up to the live score's 1 s of allowed
    lateness late. On the reference's clock (no offset searched) DTW takes up the lateness: not
    mirrored, and an overall the report's scale calls the right choreography (>= 85)."""
    reference = load_clip(REFERENCE)
    a = analyze_performances(reference, late_start(reference, late_s), settings=attempt_alignment(AlignSettings()))
    assert (a.sync.method, a.sync.offset_s, a.mirror) == ("none", 0.0, False)
    assert score(a).overall >= 85, score(a).overall
