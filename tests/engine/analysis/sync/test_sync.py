"""engine.analysis.sync.sync: choosing audio or motion, active ranges, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.sync import (
    SyncResult,
    sync,
    sync_envelope,
)
from engine.core.errors import CompareError, SettingsError
from tests.engine.analysis.sync.signals import (
    FPS,
    SR,
    bursty_energy,
    clicks,
    lead_dance_tail,
    shifted_pair,
    varied_pattern,
)


def _motion_pair(rng: np.random.Generator, offset_s: float = 1.0) -> dict:
    base = bursty_energy(700, rng)
    k = int(round(offset_s * FPS))
    te, se = base[:600], base[k:k + 600] + rng.normal(0, 0.02, 600)
    t = np.arange(600) / FPS
    return dict(teacher_t=t, teacher_energy=te, student_t=t, student_energy=se, fps=FPS)


def test_sync_auto_prefers_good_audio():
    rng = np.random.default_rng(10)
    track = clicks(varied_pattern(20.0, rng), 20.0, rng)
    ta, sa = shifted_pair(track, 0.8, rng)
    res = sync(**_motion_pair(rng, offset_s=3.0), teacher_audio=ta, student_audio=sa, sr=SR)
    assert isinstance(res, SyncResult)
    assert res.method == "audio" and res.offset_s == pytest.approx(0.8, abs=0.01)


@pytest.mark.parametrize("method", ["auto", "audio"])
def test_sync_from_envelopes_made_ahead_equals_sync_from_audio(method):
    rng = np.random.default_rng(10)
    track = clicks(varied_pattern(20.0, rng), 20.0, rng)
    ta, sa = shifted_pair(track, 0.8, rng)
    motion = _motion_pair(rng, offset_s=3.0)
    from_audio = sync(**motion, teacher_audio=ta, student_audio=sa, sr=SR, method=method)
    ahead = sync(**motion, teacher_envelope=sync_envelope(ta, SR), student_envelope=sync_envelope(sa, SR),
                 method=method)
    assert ahead == from_audio


def test_sync_auto_falls_back_to_motion():
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 0.1, 20 * SR).astype(np.float32), rng.normal(0, 0.1, 20 * SR).astype(np.float32)
    for audio in (dict(), dict(teacher_audio=noise[0], student_audio=noise[1])):
        res = sync(**_motion_pair(rng, offset_s=1.0), **audio, sr=SR)
        assert res.method == "motion" and res.offset_s == pytest.approx(1.0, abs=1.0 / FPS)


def test_sync_none_still_reports_active_ranges():
    e, t = lead_dance_tail(np.random.default_rng(0))
    res = sync(teacher_t=t, teacher_energy=e, student_t=t, student_energy=e, fps=FPS, method="none")
    assert (res.method, res.offset_s, res.confidence) == ("none", 0.0, 0.0)
    assert res.teacher_active_s == pytest.approx((3.0, 13.0), abs=0.1)


@pytest.mark.parametrize("kwargs, error", [
    (dict(method="audio"), CompareError),                               # no audio at all
    (dict(method="audio", teacher_audio=np.zeros(SR)), CompareError),   # student has none
    (dict(method="chroma"), SettingsError),
])
def test_sync_rejects(kwargs, error):
    with pytest.raises(error):
        sync(**_motion_pair(np.random.default_rng(0)), **kwargs)
