"""engine.analysis.sync.onset: onset envelopes and the audio offset, synthetic and real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.analysis.sync import (
    audio_offset,
    onset_envelope,
)
from tests.conftest import footage, needs_footage
from tests.engine.analysis.sync.signals import SR, clicks, shifted_pair, varied_pattern


@pytest.mark.parametrize("offset_s", [1.234, -0.517, 0.0])
def test_audio_offset_on_a_varied_click_track(offset_s):
    rng = np.random.default_rng(0)
    track = clicks(varied_pattern(12.0, rng), 12.0, rng)
    teacher, student = shifted_pair(track, offset_s, rng)
    t_before, s_before = teacher.copy(), student.copy()
    got, conf = audio_offset(teacher, student, SR)
    assert got == pytest.approx(offset_s, abs=0.010)
    assert conf > 0.6
    np.testing.assert_array_equal(teacher, t_before)
    np.testing.assert_array_equal(student, s_before)


def test_audio_offset_sub_frame_precision():
    """A shift that is not a whole number of 10 ms envelope frames is still found."""
    rng = np.random.default_rng(5)
    track = clicks(varied_pattern(10.0, rng), 10.0, rng)
    teacher, student = shifted_pair(track, 0.7843, rng)
    assert audio_offset(teacher, student, SR)[0] == pytest.approx(0.7843, abs=0.005)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unrelated_audio_has_low_confidence(seed):
    rng = np.random.default_rng(seed)
    noise_conf = audio_offset(rng.normal(0, 0.1, 10 * SR), rng.normal(0, 0.1, 8 * SR), SR)[1]
    clicks_conf = audio_offset(clicks(varied_pattern(10.0, rng), 10.0, rng),
                               clicks(varied_pattern(8.0, rng), 8.0, rng), SR)[1]
    assert noise_conf < 0.2
    assert clicks_conf < 0.2


def test_a_perfectly_periodic_beat_is_ambiguous():
    """Every beat of a metronome looks like the next, so any multiple of the period fits
    nearly as well as the true shift: confidence must be well below that of a varied rhythm."""
    rng = np.random.default_rng(4)
    periodic = clicks(np.arange(0.0, 12.0, 0.5), 12.0, rng)
    conf_periodic = audio_offset(*shifted_pair(periodic, 1.1, rng), SR)[1]
    varied = clicks(varied_pattern(12.0, rng), 12.0, rng)
    conf_varied = audio_offset(*shifted_pair(varied, 1.1, rng), SR)[1]
    assert conf_periodic < 0.3
    assert conf_periodic < conf_varied - 0.4


def test_onset_envelope_rate_and_peaks():
    rng = np.random.default_rng(0)
    env, rate = onset_envelope(clicks(np.array([1.0, 2.5]), 4.0, rng), SR)
    assert rate == pytest.approx(100.0)
    assert env.shape == (400,) or abs(env.shape[0] - 400) <= 1
    top = np.sort(np.argsort(env)[-2:]) / rate
    np.testing.assert_allclose(top, [1.0, 2.5], atol=0.03)


def test_silence_gives_zero_confidence():
    assert audio_offset(np.zeros(SR * 3), np.zeros(SR * 3), SR)[1] == 0.0




# --- real footage -----------------------------------------------------------------------

def _audio(path: Path) -> np.ndarray:
    """Mono float32 at SR, sample 0 = file time 0, via engine.io.video."""
    from engine.io.video import audio

    samples = audio(path, sr=SR)
    assert samples is not None, f"{path.name} has no audio track"
    return samples


@needs_footage
def test_real_pair_audio_offset():
    """Same song, a phone screen recording vs a studio recording: teacher = student + 0.80 s."""
    teacher = _audio(footage("pairs/callme404_teacher_douyin.mp4"))
    student = _audio(footage("pairs/callme404_student_studio.mp4"))
    offset, conf = audio_offset(teacher, student, SR)
    assert offset == pytest.approx(0.80, abs=0.05)
    assert conf >= 0.5


@needs_footage
def test_aist_clips_with_identical_audio_are_in_sync():
    a = _audio(footage("aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4"))
    b = _audio(footage("aist/gBR_sBM_c01_d04_mBR0_ch03_first3s.mp4"))
    offset, conf = audio_offset(a, b, SR)
    assert offset == pytest.approx(0.0, abs=0.02)
    assert conf >= 0.5
