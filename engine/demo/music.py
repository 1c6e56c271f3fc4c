"""The soundtrack: a melody note and a click on every beat, a bass note on every bar."""

from __future__ import annotations

import numpy as np

from engine.demo.choreography import BEAT_S, BEATS_PER_BAR, TEACHER_BEATS, TEACHER_DURATION_S

AUDIO_SR = 44100                         # Hz

#: One melody note per beat (MIDI numbers), never repeating a bar, so cross-correlation of the
#: two soundtracks has a single clear peak instead of one per beat.
MELODY = (69, 72, 76, 72, 65, 69, 72, 77, 67, 72, 76, 79, 64, 68, 71, 76,
          69, 76, 72, 69, 74, 77, 81, 77)
BASS = (45, 41, 48, 43, 45, 40)          # one bass note per bar
NOTE_TAU_S, NOTE_LEN_S = 0.11, 0.45      # melody note decay time constant, length
BASS_TAU_S, BASS_LEN_S = 0.5, 1.9
CLICK_HZ, CLICK_TAU_S, CLICK_LEN_S = 2500.0, 0.008, 0.04
ATTACK_S = 0.003
NOTE_AMP, BASS_AMP, CLICK_AMP = 0.22, 0.3, 0.12
NOTE_HARMONICS, BASS_HARMONICS = (1.0, 0.35, 0.12), (1.0, 0.5)   # relative partial amplitudes
ACCENT = 1.6                             # loudness of a bar's first beat relative to the others
NOISE_AMP = 0.002                        # room noise floor (about -54 dBFS)


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _tone(freq: float, length_s: float, tau_s: float, harmonics: tuple[float, ...]) -> np.ndarray:
    """A plucked tone: fast linear attack, exponential decay. (length_s * AUDIO_SR,) float."""
    t = np.arange(int(length_s * AUDIO_SR)) / AUDIO_SR
    wave = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return wave * np.minimum(t / ATTACK_S, 1.0) * np.exp(-t / tau_s)


def soundtrack() -> np.ndarray:
    """The teacher's soundtrack: TEACHER_DURATION_S of mono float samples, beat 0 at t = 0."""
    n = int(round(TEACHER_DURATION_S * AUDIO_SR))
    out = np.zeros(n + int(BASS_LEN_S * AUDIO_SR))
    click = _tone(CLICK_HZ, CLICK_LEN_S, CLICK_TAU_S, (1.0,))
    for k in range(TEACHER_BEATS):
        start = int(round(k * BEAT_S * AUDIO_SR))
        accent = ACCENT if k % BEATS_PER_BAR == 0 else 1.0
        note = NOTE_AMP * accent * _tone(_midi_hz(MELODY[k]), NOTE_LEN_S, NOTE_TAU_S, NOTE_HARMONICS)
        out[start:start + note.size] += note
        out[start:start + click.size] += CLICK_AMP * accent * click
        if k % BEATS_PER_BAR == 0:
            bass_hz = _midi_hz(BASS[k // BEATS_PER_BAR])
            bass = BASS_AMP * _tone(bass_hz, BASS_LEN_S, BASS_TAU_S, BASS_HARMONICS)
            out[start:start + bass.size] += bass
    return out[:n]
