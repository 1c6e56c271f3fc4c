from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.analysis.normalize import mirror_world
from engine.analysis.sync import (
    MOTION_GROUPS,
    SyncResult,
    active_range,
    audio_offset,
    motion_energy,
    motion_offset,
    motion_signature,
    onset_envelope,
    sync,
)
from engine.core.body import Landmark
from engine.core.errors import CompareError, SettingsError
from tests.conftest import footage, needs_footage

SR = 16000
FPS = 30.0


# --- synthetic signals ------------------------------------------------------------------

def _clicks(times: np.ndarray, dur_s: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """Mono track of short decaying noise bursts (drum hits) at `times`, seconds."""
    out = np.zeros(int(dur_s * sr), np.float32)
    n = int(0.04 * sr)
    for t0 in times:
        i = int(round(t0 * sr))
        if 0 <= i < out.size - n:
            burst = rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.008 * sr))
            out[i:i + n] += (rng.uniform(0.5, 1.0) * burst).astype(np.float32)
    return out


def _varied_pattern(dur_s: float, rng: np.random.Generator) -> np.ndarray:
    """Onset times with irregular gaps (a realistic, non-repeating rhythm), seconds."""
    gaps = rng.choice([0.125, 0.25, 0.375, 0.5, 0.75], size=int(dur_s * 8))
    times = np.cumsum(gaps)
    return times[times < dur_s]


def _shifted_pair(track: np.ndarray, offset_s: float, rng: np.random.Generator, noise: float = 0.05,
                  sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """Teacher and student recordings of `track` with teacher_s = student_s + offset_s."""
    k = int(round(abs(offset_s) * sr))
    lead = np.zeros(k, np.float32)
    late = np.concatenate([lead, track])
    teacher, student = (late, track.copy()) if offset_s >= 0 else (track.copy(), late)
    teacher = teacher + rng.normal(0, noise, teacher.size).astype(np.float32)
    student = 0.3 * student + rng.normal(0, noise * 0.5, student.size).astype(np.float32)  # quieter mic
    return teacher, student


def _bursty_energy(n: int, rng: np.random.Generator) -> np.ndarray:
    """A dance-like motion energy: smoothed random bursts on a positive baseline, (n,)."""
    x = rng.exponential(1.0, n) * (rng.random(n) < 0.15)
    kernel = np.hanning(9)
    return 0.2 + np.convolve(x, kernel / kernel.sum(), mode="same")


# --- audio ------------------------------------------------------------------------------

@pytest.mark.parametrize("offset_s", [1.234, -0.517, 0.0])
def test_audio_offset_on_a_varied_click_track(offset_s):
    rng = np.random.default_rng(0)
    track = _clicks(_varied_pattern(12.0, rng), 12.0, rng)
    teacher, student = _shifted_pair(track, offset_s, rng)
    t_before, s_before = teacher.copy(), student.copy()
    got, conf = audio_offset(teacher, student, SR)
    assert got == pytest.approx(offset_s, abs=0.010)
    assert conf > 0.6
    np.testing.assert_array_equal(teacher, t_before)
    np.testing.assert_array_equal(student, s_before)


def test_audio_offset_sub_frame_precision():
    """A shift that is not a whole number of 10 ms envelope frames is still found."""
    rng = np.random.default_rng(5)
    track = _clicks(_varied_pattern(10.0, rng), 10.0, rng)
    teacher, student = _shifted_pair(track, 0.7843, rng)
    assert audio_offset(teacher, student, SR)[0] == pytest.approx(0.7843, abs=0.005)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unrelated_audio_has_low_confidence(seed):
    rng = np.random.default_rng(seed)
    noise_conf = audio_offset(rng.normal(0, 0.1, 10 * SR), rng.normal(0, 0.1, 8 * SR), SR)[1]
    clicks_conf = audio_offset(_clicks(_varied_pattern(10.0, rng), 10.0, rng),
                               _clicks(_varied_pattern(8.0, rng), 8.0, rng), SR)[1]
    assert noise_conf < 0.2
    assert clicks_conf < 0.2


def test_a_perfectly_periodic_beat_is_ambiguous():
    """Every beat of a metronome looks like the next, so any multiple of the period fits
    nearly as well as the true shift: confidence must be well below that of a varied rhythm."""
    rng = np.random.default_rng(4)
    periodic = _clicks(np.arange(0.0, 12.0, 0.5), 12.0, rng)
    conf_periodic = audio_offset(*_shifted_pair(periodic, 1.1, rng), SR)[1]
    varied = _clicks(_varied_pattern(12.0, rng), 12.0, rng)
    conf_varied = audio_offset(*_shifted_pair(varied, 1.1, rng), SR)[1]
    assert conf_periodic < 0.3
    assert conf_periodic < conf_varied - 0.4


def test_onset_envelope_rate_and_peaks():
    rng = np.random.default_rng(0)
    env, rate = onset_envelope(_clicks(np.array([1.0, 2.5]), 4.0, rng), SR)
    assert rate == pytest.approx(100.0)
    assert env.shape == (400,) or abs(env.shape[0] - 400) <= 1
    top = np.sort(np.argsort(env)[-2:]) / rate
    np.testing.assert_allclose(top, [1.0, 2.5], atol=0.03)


def test_silence_gives_zero_confidence():
    assert audio_offset(np.zeros(SR * 3), np.zeros(SR * 3), SR)[1] == 0.0


# --- motion -----------------------------------------------------------------------------

def test_motion_energy_of_a_known_motion(t_pose):
    """Every core joint moving 1 cm per frame along x at 30 fps -> 0.3 m/s."""
    clip = np.repeat(t_pose()[None], 10, axis=0)
    clip[..., 0] += 0.01 * np.arange(10, dtype=np.float32)[:, None]
    np.testing.assert_allclose(motion_energy(clip, FPS), 0.3, rtol=1e-4)
    per = motion_energy(clip, FPS, per_group=True)
    assert per.shape == (10, len(MOTION_GROUPS))
    np.testing.assert_allclose(per, 0.3, rtol=1e-4)


def test_motion_signature_of_a_known_motion(t_pose):
    """Both wrists rising 1 cm per frame at 30 fps -> wrist channel -0.3 (y is down)."""
    clip = np.repeat(t_pose()[None], 10, axis=0)
    clip[:, [Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST], 1] -= 0.01 * np.arange(10, dtype=np.float32)[:, None]
    sig = motion_signature(clip, FPS)
    assert sig.shape == (10, 6)
    wrists = MOTION_GROUPS.index((Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST))
    np.testing.assert_allclose(sig[:, wrists], -0.3, rtol=1e-4)
    np.testing.assert_allclose(np.delete(sig, wrists, axis=1), 0.0, atol=1e-6)


def test_motion_signature_ignores_camera_yaw_and_mirroring(dance_clip, rotate_y):
    clip = dance_clip(n=40)
    sig = motion_signature(clip, FPS)
    np.testing.assert_allclose(motion_signature(rotate_y(clip, 60.0), FPS), sig, atol=1e-4)
    np.testing.assert_allclose(motion_signature(mirror_world(clip), FPS), sig, atol=1e-4)


def test_motion_energy_gaps(dance_clip):
    clip = dance_clip(n=60)
    clip[20:23] = np.nan          # a 0.1 s dropout: interpolated
    clip[40:60] = np.nan          # nobody in view until the end: no motion
    before = clip.copy()
    e = motion_energy(clip, FPS)
    np.testing.assert_array_equal(clip, before)
    assert np.isfinite(e).all()
    assert (e[20:24] > 0).all()
    assert (e[40:] == 0).all()


@pytest.mark.parametrize("offset_s", [2.5, -1.3])
def test_motion_offset_recovers_a_known_shift(offset_s):
    rng = np.random.default_rng(7)
    base = _bursty_energy(900, rng)
    k = int(round(abs(offset_s) * FPS))
    teacher, student = (base[:600], base[k:k + 600]) if offset_s > 0 else (base[k:k + 600], base[:600])
    student = student * 1.5 + rng.normal(0, 0.05, student.size)  # another dancer, bigger moves
    got, conf = motion_offset(teacher, student, FPS)
    assert got == pytest.approx(offset_s, abs=1.0 / FPS)
    assert conf > 0.5


@pytest.mark.parametrize("mirrored", [False, True])
def test_motion_offset_from_signatures(dance_clip, rotate_y, mirrored):
    """A student filmed from another angle (maybe mirrored), 1.5 s later in their file."""
    base = dance_clip(n=420, seed=6)
    teacher = base[:360]
    student = rotate_y(base[45:405], 35.0) * np.float32(1.3)  # starts 1.5 s into the dance
    if mirrored:
        student = mirror_world(student)
    got, conf = motion_offset(motion_signature(teacher, FPS), motion_signature(student, FPS), FPS)
    assert got == pytest.approx(1.5, abs=1.0 / FPS)
    # Each limb of the factory's dance is a sum of two sines: nearly periodic, so a lag one
    # period away fits almost as well and the confidence is (rightly) only moderate.
    assert conf > 0.3


def test_motion_offset_of_unrelated_dances_is_unsure():
    rng = np.random.default_rng(8)
    _, conf = motion_offset(_bursty_energy(600, rng), _bursty_energy(500, rng), FPS)
    assert conf < 0.3


# --- active range -----------------------------------------------------------------------

def _lead_dance_tail(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """3 s still (with a 0.1 s twitch at 1 s), 10 s of dance with two short pauses, 2 s still."""
    t = np.arange(int(15 * FPS)) / FPS
    e = np.abs(rng.normal(0.08, 0.03, t.size))                        # jittery stillness
    dancing = (t >= 3.0) & (t < 13.0)
    e[dancing] = np.abs(rng.normal(1.0, 0.5, dancing.sum())) + 0.2
    e[(t >= 6.0) & (t < 6.6)] = 0.08                                  # short pauses in the dance
    e[(t >= 9.0) & (t < 9.5)] = 0.1
    e[(t >= 1.0) & (t < 1.1)] = 2.0                                   # a twitch before starting
    return e, t


def test_active_range_finds_lead_in_and_tail_out():
    e, t = _lead_dance_tail(np.random.default_rng(0))
    start, end = active_range(e, t)
    assert start == pytest.approx(3.0, abs=0.1)
    assert end == pytest.approx(13.0, abs=0.1)


def test_active_range_does_not_depend_on_units_or_dance_share():
    """Not a fraction of the maximum: scaling the energy or a mostly-dancing clip is fine."""
    e, t = _lead_dance_tail(np.random.default_rng(1))
    np.testing.assert_allclose(active_range(e * 1000.0, t), active_range(e, t))
    keep = t >= 2.5                                                   # only 0.5 s of lead-in
    start, end = active_range(e[keep], t[keep])
    assert start == pytest.approx(3.0, abs=0.1) and end == pytest.approx(13.0, abs=0.1)


def test_active_range_averages_channels():
    e, t = _lead_dance_tail(np.random.default_rng(3))
    assert active_range(np.stack([e, 2 * e], axis=1), t) == active_range(e, t)


def test_active_range_of_a_clip_that_is_all_dance():
    rng = np.random.default_rng(2)
    t = np.arange(300) / FPS
    e = np.abs(rng.normal(1.0, 0.3, t.size))
    assert active_range(e, t) == (0.0, pytest.approx(t[-1]))


def test_active_range_rejects_bad_input():
    with pytest.raises(ValueError):
        active_range(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError):
        active_range(np.zeros(0), np.zeros(0))


# --- sync entry point -------------------------------------------------------------------

def _motion_pair(rng: np.random.Generator, offset_s: float = 1.0) -> dict:
    base = _bursty_energy(700, rng)
    k = int(round(offset_s * FPS))
    te, se = base[:600], base[k:k + 600] + rng.normal(0, 0.02, 600)
    t = np.arange(600) / FPS
    return dict(teacher_t=t, teacher_energy=te, student_t=t, student_energy=se, fps=FPS)


def test_sync_auto_prefers_good_audio():
    rng = np.random.default_rng(10)
    track = _clicks(_varied_pattern(20.0, rng), 20.0, rng)
    ta, sa = _shifted_pair(track, 0.8, rng)
    res = sync(**_motion_pair(rng, offset_s=3.0), teacher_audio=ta, student_audio=sa, sr=SR)
    assert isinstance(res, SyncResult)
    assert res.method == "audio" and res.offset_s == pytest.approx(0.8, abs=0.01)


def test_sync_auto_falls_back_to_motion():
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 0.1, 20 * SR).astype(np.float32), rng.normal(0, 0.1, 20 * SR).astype(np.float32)
    for audio in (dict(), dict(teacher_audio=noise[0], student_audio=noise[1])):
        res = sync(**_motion_pair(rng, offset_s=1.0), **audio, sr=SR)
        assert res.method == "motion" and res.offset_s == pytest.approx(1.0, abs=1.0 / FPS)


def test_sync_none_still_reports_active_ranges():
    e, t = _lead_dance_tail(np.random.default_rng(0))
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
