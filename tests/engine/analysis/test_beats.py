"""engine.analysis.beats: beat times, downbeat and 8-counts.

Hand-computed truths first (a grid of beats every 0.5 s whose first downbeat is beat 2), then
soundtracks with a known beat (the demo's music, built click tracks), the fallbacks (no audio,
silence, noise, free rhythm, too short), and the callme404 teacher clip against a tempo and bar
starts read by hand off its bass onset envelope (ACCURACY.md: "Dance counts").
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.beats import NO_AUDIO, BeatGrid, beat_grid, no_beats, pulse_clarity
from engine.demo.choreography import BEAT_S, BPM, TEACHER_BEATS
from engine.demo.music import AUDIO_SR, soundtrack
from engine.io.video import audio
from tests.conftest import footage, needs_footage

SR = 16000

# ------------------------------------------------------------------------- counts, by hand

#: Beats every 0.5 s from 0 to 9.5 s; beat 2 (1.0 s) is count 1 of 8-count 1, so beats 0 and 1
#: are the pickup's counts 7 and 8.
GRID = BeatGrid(beats_s=np.arange(20) * 0.5, downbeat=2, bpm=120.0)


@pytest.mark.parametrize(("t", "expected"), [
    (1.0, (1, 1)),        # the first downbeat
    (1.49, (1, 1)),       # still within its beat
    (0.2, (0, 7)),        # beat 0: two before the downbeat, the pickup's count 7
    (0.7, (0, 8)),
    (4.9, (1, 8)),        # beat 9 = 7 after the downbeat
    (5.0, (2, 1)),        # beat 10 = 8 after: a new 8-count
    (9.99, (3, 2)),       # beat 19 = 17 after: 8-count 3, count 2 (within the last beat's interval)
    (10.0, None),         # one interval past the last beat: no count
    (-0.1, None),         # before the first beat
    (float("nan"), None),
])
def test_count_at_hand_computed(t, expected):
    assert GRID.count_at(t) == expected


def test_span_counts_and_eight_starts():
    assert GRID.span_counts(3.1, 3.9) == ((1, 5), (1, 6))       # beats 6 and 7
    assert GRID.span_counts(4.6, 5.6) == ((1, 8), (2, 2))
    assert GRID.span_counts(9.0, 12.0) is None                  # the end has no count
    np.testing.assert_allclose(GRID.eight_starts_s(), [1.0, 5.0, 9.0])


def test_no_beats_gives_no_counts_and_keeps_the_reason():
    g = no_beats("the teacher's music has no steady beat")
    assert not g.has_counts and g.count_at(1.0) is None and g.span_counts(0.0, 1.0) is None
    assert g.reason == "the teacher's music has no steady beat" and g.eight_starts_s().size == 0


@pytest.mark.parametrize(("beats", "downbeat", "reason", "message"), [
    (np.array([0.0, 0.5, 0.4]), 0, None, "increasing"),
    (np.array([0.0, np.nan]), 0, None, "finite"),
    (np.zeros(0), 0, None, "needs a reason"),
    (np.arange(8) * 0.5, 4, None, "downbeat"),
    (np.zeros((2, 2)), 0, None, "1-D"),
])
def test_grid_rejects_bad_beats(beats, downbeat, reason, message):
    with pytest.raises(ValueError, match=message):
        BeatGrid(beats_s=beats, downbeat=downbeat, reason=reason)


# ------------------------------------------------------------------------- known soundtracks

def click_track(bpm: float, duration_s: float, *, first_s: float = 0.0, accent_phase: int = 0,
                sr: int = SR) -> np.ndarray:
    """Clicks at first_s + k * 60 / bpm; beats k = accent_phase (mod 4) also get a 70 Hz bass note."""
    y = np.zeros(int(duration_s * sr), np.float32)
    t = np.arange(int(0.05 * sr)) / sr
    click = np.sin(2 * np.pi * 2000 * t) * np.exp(-t / 0.006)
    bass = np.sin(2 * np.pi * 70 * t) * np.exp(-t / 0.03)
    for k, start in enumerate(np.arange(first_s, duration_s - 0.05, 60.0 / bpm)):
        i = int(round(start * sr))
        y[i:i + click.size] += 0.3 * click
        if k % 4 == accent_phase:
            y[i:i + bass.size] += 0.8 * bass
    return y


def test_demo_music_beats_tempo_and_downbeat_match_its_score():
    # The demo's soundtrack: a note and a click on every beat k * BEAT_S, the bar's first accented.
    g = beat_grid(soundtrack(), AUDIO_SR)
    assert g.reason is None and abs(g.bpm - BPM) < 0.5
    # Every beat of the score, and at most one more at the very end of the file (the next one due).
    assert g.beats_s.size in (TEACHER_BEATS, TEACHER_BEATS + 1)
    np.testing.assert_allclose(g.beats_s[:TEACHER_BEATS], np.arange(TEACHER_BEATS) * BEAT_S, atol=0.04)
    assert g.downbeat == 0
    assert g.count_at(3.1) == (1, 7) and g.count_at(4.2) == (2, 1) and g.count_at(11.9) == (3, 8)


def test_click_track_with_a_pickup_finds_tempo_beats_and_the_accented_downbeat():
    # 100 BPM from 0.3 s, bass on beats 1, 5, 9, ...: beat 0 is the pickup's count 8.
    g = beat_grid(click_track(100.0, 30.0, first_s=0.3, accent_phase=1), SR)
    assert abs(g.bpm - 100.0) < 1.0
    truth = 0.3 + np.arange(g.beats_s.size) * 0.6
    np.testing.assert_allclose(g.beats_s, truth, atol=0.04)
    assert g.downbeat == 1 and g.count_at(0.35) == (0, 8) and g.count_at(0.95) == (1, 1)


def test_audio_is_not_modified():
    y = click_track(120.0, 10.0)
    before = y.copy()
    beat_grid(y, SR)
    np.testing.assert_array_equal(y, before)


# ------------------------------------------------------------------------- fallbacks

def random_clicks(seed: int = 0, duration_s: float = 20.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.zeros(int(duration_s * SR), np.float32)
    for t in np.sort(rng.uniform(0, duration_s - 0.1, 40)):
        i = int(t * SR)
        y[i:i + 200] += np.hanning(200)
    return y


@pytest.mark.parametrize(("sound", "reason"), [
    (None, NO_AUDIO),
    (np.zeros(10 * SR, np.float32), "silent"),
    (np.random.default_rng(1).standard_normal(20 * SR).astype(np.float32) * 0.1, "no steady beat"),
    (random_clicks(), "no steady beat"),
    (click_track(120.0, 2.0), "too short"),
], ids=["no audio", "silence", "white noise", "random clicks", "two seconds"])
def test_no_steady_beat_falls_back_to_seconds_and_says_why(sound, reason):
    g = beat_grid(sound, SR)
    assert not g.has_counts and g.bpm is None and reason in g.reason


def test_pulse_clarity_tells_a_pulse_from_noise():
    env = np.zeros(1000)
    env[::50] = 1.0
    assert pulse_clarity(env, 50) > 0.95
    noise = np.random.default_rng(2).standard_normal(1000)
    assert abs(pulse_clarity(noise, 50)) < 0.2


# ------------------------------------------------------------------------- real footage

#: callme404 teacher, read by hand off its bass (60-220 Hz) onset envelope plotted over 2-20 s:
#: the kick pattern repeats every 2.4 s (4 beats of 0.6 s: 100 BPM), each bar opening with the
#: strongest kick at these times (seconds of the teacher's file).
CALLME_BPM = 100.0
CALLME_BAR_STARTS_S = (5.15, 7.55, 9.95, 12.35, 14.75, 17.15, 19.55)


@needs_footage
def test_callme404_teacher_tempo_and_bars_match_the_hand_reading():
    path = footage("pairs/callme404_teacher_douyin.mp4")
    if not path.is_file():
        pytest.skip(f"shared clip {path.name} is missing")
    g = beat_grid(audio(path, sr=SR), SR)
    assert g.reason is None and abs(g.bpm - CALLME_BPM) < 2.0
    bars = g.beats_s[g.downbeat::4]
    for t in CALLME_BAR_STARTS_S:
        assert np.abs(bars - t).min() < 0.1, (t, np.round(bars, 2))


# ------------------------------------------------------------------------- tracker, by hand

def test_tempo_period_and_tracker_on_an_impulse_train_with_a_gap_and_a_stray_onset():
    from engine.analysis.beats import tempo_period, track_beats
    env = np.zeros(1000)
    env[20::50] = 1.0                  # a beat every 50 frames from frame 20 ...
    env[320] = 0.0                     # ... one of them silent ...
    env[545] = 0.8                     # ... and an off-beat onset halfway between two beats
    assert tempo_period(env, 100.0) == pytest.approx(50.0, abs=0.5)
    beats = track_beats(env, 50.0)
    np.testing.assert_array_equal(beats, np.arange(20, 1000, 50))   # the gap filled, the stray ignored
    assert env[545] == 0.8 and env[320] == 0.0                       # input not modified
