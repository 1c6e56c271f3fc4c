"""engine.demo.music: the soundtrack's length, and a note starting on every beat."""

from __future__ import annotations

import numpy as np

from engine.demo.choreography import BEAT_S, TEACHER_BEATS, TEACHER_DURATION_S
from engine.demo.music import AUDIO_SR, soundtrack


def test_soundtrack_length_and_level():
    x = soundtrack()
    assert x.shape == (int(round(TEACHER_DURATION_S * AUDIO_SR)),)
    assert 0.1 < np.abs(x).max() < 1.0                    # audible, no clipping


def test_a_note_starts_on_every_beat():
    x = soundtrack()
    win = int(0.02 * AUDIO_SR)
    for k in range(TEACHER_BEATS):
        start = int(round(k * BEAT_S * AUDIO_SR))
        before = np.abs(x[max(start - win, 0):start]).max() if k else 0.0
        after = np.abs(x[start:start + win]).max()
        assert after > 2 * before + 0.05, f"beat {k}"
