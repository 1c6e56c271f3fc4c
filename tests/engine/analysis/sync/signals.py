"""Synthetic audio and motion signals for the sync tests (drum hits, shifted pairs, bursts)."""

from __future__ import annotations

import numpy as np

SR = 16000
FPS = 30.0


def clicks(times: np.ndarray, dur_s: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """Mono track of short decaying noise bursts (drum hits) at `times`, seconds."""
    out = np.zeros(int(dur_s * sr), np.float32)
    n = int(0.04 * sr)
    for t0 in times:
        i = int(round(t0 * sr))
        if 0 <= i < out.size - n:
            burst = rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.008 * sr))
            out[i:i + n] += (rng.uniform(0.5, 1.0) * burst).astype(np.float32)
    return out


def varied_pattern(dur_s: float, rng: np.random.Generator) -> np.ndarray:
    """Onset times with irregular gaps (a realistic, non-repeating rhythm), seconds."""
    gaps = rng.choice([0.125, 0.25, 0.375, 0.5, 0.75], size=int(dur_s * 8))
    times = np.cumsum(gaps)
    return times[times < dur_s]


def shifted_pair(track: np.ndarray, offset_s: float, rng: np.random.Generator, noise: float = 0.05,
                  sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """Teacher and student recordings of `track` with teacher_s = student_s + offset_s."""
    k = int(round(abs(offset_s) * sr))
    lead = np.zeros(k, np.float32)
    late = np.concatenate([lead, track])
    teacher, student = (late, track.copy()) if offset_s >= 0 else (track.copy(), late)
    teacher = teacher + rng.normal(0, noise, teacher.size).astype(np.float32)
    student = 0.3 * student + rng.normal(0, noise * 0.5, student.size).astype(np.float32)  # quieter mic
    return teacher, student


def bursty_energy(n: int, rng: np.random.Generator) -> np.ndarray:
    """A dance-like motion energy: smoothed random bursts on a positive baseline, (n,)."""
    x = rng.exponential(1.0, n) * (rng.random(n) < 0.15)
    kernel = np.hanning(9)
    return 0.2 + np.convolve(x, kernel / kernel.sum(), mode="same")


def lead_dance_tail(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """3 s still (with a 0.1 s twitch at 1 s), 10 s of dance with two short pauses, 2 s still."""
    t = np.arange(int(15 * FPS)) / FPS
    e = np.abs(rng.normal(0.08, 0.03, t.size))                        # jittery stillness
    dancing = (t >= 3.0) & (t < 13.0)
    e[dancing] = np.abs(rng.normal(1.0, 0.5, dancing.sum())) + 0.2
    e[(t >= 6.0) & (t < 6.6)] = 0.08                                  # short pauses in the dance
    e[(t >= 9.0) & (t < 9.5)] = 0.1
    e[(t >= 1.0) & (t < 1.1)] = 2.0                                   # a twitch before starting
    return e, t
