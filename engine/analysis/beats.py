"""The teacher's beat and dance counts: beat times, the downbeat, and "8-count N, count M".

Beats are tracked on the sync onset envelope (`sync.onset.onset_envelope`, computed the same
way for both): the tempo is the envelope's strongest autocorrelation period under a broad
prior around 120 BPM, then Ellis' dynamic programme ("Beat tracking by dynamic programming",
2007, the method of librosa's `beat_track`) picks the beats that fall on strong onsets at that
period. librosa itself was tried first (same beats on the demo and callme404 clips) and left
out: importing it compiles numba kernels that are not cached, about 12 s in every new process
(bench/bench_beats.py), which a warm `compare` (under 2 s) cannot afford. The downbeat is the
beat phase with the strongest bass accent (the envelope's lowest band groups: bass and kick).

A steady beat is required before counts are given: enough beats, even intervals and a clear
pulse (the envelope's autocorrelation at the beat period). Music that fails (speech, noise,
free rhythm) or a clip without audio gets an empty grid whose `reason` says why; every view then
shows seconds only and says so.

Counts: 4/4 bars, two bars to an 8-count. Count 1 of 8-count 1 is the first detected downbeat;
beats before it are the pickup (8-count 0). Once steady, the grid is extended at the mean beat
interval to the start and the end of the audio (weak first and last beats are often missed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.sync.onset import onset_envelope

#: Beats per bar (4/4) and counts per 8-count (two bars).
BEATS_PER_BAR = 4
COUNTS_PER_EIGHT = 8
#: Tempo prior: log-normal around this many BPM, this many octaves wide (librosa's defaults),
#: searched between these BPM.
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
MIN_BPM, MAX_BPM = 40.0, 240.0
#: Dynamic programme: a beat's predecessor lies between these multiples of the period before
#: it, and a gap g off the period costs TIGHTNESS * log(g / period)^2 (librosa's default 100).
GAP_RANGE = (0.5, 2.0)
TIGHTNESS = 100.0
#: See `_extend`: share of a beat interval.
EARLY_SLACK = 0.25
#: A steady beat needs at least this many beats (two bars) ...
MIN_BEATS = 8
#: ... beat intervals whose standard deviation is at most this fraction of their mean
#: (measured: a click track 0.00, pop and K-pop covers 0.01-0.05, a fitness class 0.10; white
#: noise 0.08, random clicks 0.13) ...
MAX_INTERVAL_CV = 0.10
#: ... and a pulse at least this clear: the onset envelope's autocorrelation at the beat period
#: (best within +-5 %). Measured: a click track 0.95, pop and K-pop covers 0.44-0.68, 3 s AIST
#: excerpts 0.25-0.67; white noise 0.04-0.05, random clicks 0.08, a folk and a stage solo
#: (no steady beat) 0.10-0.13.
MIN_PULSE_CLARITY = 0.2
#: Band groups of the sync envelope used for the downbeat accent: the lowest of this many
#: (60 Hz to about 220 Hz: bass and kick).
ACCENT_GROUPS = 4
#: Accent read at each beat as the envelope's maximum within this many seconds either side
#: (the tracker's beat times wander by a few hops).
ACCENT_WINDOW_S = 0.04

NO_AUDIO = "the teacher's clip has no audio"


@dataclass(frozen=True, eq=False)
class BeatGrid:
    """The teacher's beats and where the 8-counts start.

    Attributes
    ----------
    beats_s : (B,) float64, increasing, seconds from the start of the teacher's file; empty when
        there are no counts
    downbeat : index into `beats_s` of count 1 of 8-count 1 (0..BEATS_PER_BAR - 1; earlier beats
        are the pickup)
    bpm : tempo, beats per minute (mean interval of the detected beats); None without counts
    reason : why there are no counts (None when there are)
    """

    beats_s: np.ndarray
    downbeat: int = 0
    bpm: float | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        b = self.beats_s
        if not isinstance(b, np.ndarray) or b.ndim != 1:
            raise ValueError(f"beats_s: expected a 1-D array, got {getattr(b, 'shape', type(b).__name__)}")
        if b.size and not (np.isfinite(b).all() and (np.diff(b) > 0).all()):
            raise ValueError("beats_s must be finite and strictly increasing")
        if b.size == 0 and not self.reason:
            raise ValueError("a grid without beats needs a reason")
        if b.size and not 0 <= self.downbeat < min(b.size, BEATS_PER_BAR):
            raise ValueError(f"downbeat must index one of the first {BEATS_PER_BAR} beats, got {self.downbeat}")

    @property
    def has_counts(self) -> bool:
        return self.beats_s.size > 0

    def count_at(self, t: float) -> tuple[int, int] | None:
        """(8-count, count) of the beat interval holding `t` seconds: 8-count 1.. (0: the pickup),
        count 1..8. None without counts, before the first beat or a beat past the last one."""
        b = self.beats_s
        if not b.size or not np.isfinite(t):
            return None
        k = int(np.searchsorted(b, t + 1e-9, side="right")) - 1
        last_interval = b[-1] - b[-2] if b.size > 1 else 0.0
        if k < 0 or t >= b[-1] + last_interval:
            return None
        n = k - self.downbeat
        return n // COUNTS_PER_EIGHT + 1, n % COUNTS_PER_EIGHT + 1

    def span_counts(self, t0: float, t1: float) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """(8-count, count) of a span's start and end (`count_at`); None when either has none."""
        a, b = self.count_at(t0), self.count_at(t1)
        return None if a is None or b is None else (a, b)

    def eight_starts_s(self) -> np.ndarray:
        """(E,) times of count 1 of every 8-count (8-count 1, 2, ...), seconds."""
        return self.beats_s[self.downbeat::COUNTS_PER_EIGHT]


def no_beats(reason: str) -> BeatGrid:
    """A grid without counts; `reason` says why (shown to the user)."""
    return BeatGrid(beats_s=np.zeros(0), reason=reason)


def pulse_clarity(envelope: np.ndarray, period_frames: float) -> float:
    """Normalised autocorrelation of an onset envelope at a beat period (best within +-5 %):
    about 1 for a click track, about 0 for noise. `envelope` (F,) is not modified."""
    e = np.asarray(envelope, dtype=np.float64) - np.mean(envelope)
    energy = float(e @ e)
    lo, hi = int(np.floor(0.95 * period_frames)), int(np.ceil(1.05 * period_frames))
    if energy <= 0 or lo < 1 or hi >= e.size:
        return 0.0
    return max(float(e[lag:] @ e[:-lag]) / energy for lag in range(lo, hi + 1))


def _extend(beats: np.ndarray, interval: float, duration_s: float) -> np.ndarray:
    """The beats, continued at `interval` back to the start and on to `duration_s`. A beat due
    within EARLY_SLACK intervals before time 0 is put at 0 (the envelope places onsets a few
    frames early, so music that starts on a beat would otherwise lose its first one)."""
    n_before = int(np.floor(beats[0] / interval + EARLY_SLACK))
    before = np.maximum(beats[0] - interval * np.arange(n_before, 0, -1), 0.0)
    n_after = int(np.floor((duration_s - beats[-1]) / interval + 1e-9))
    after = beats[-1] + interval * np.arange(1, n_after + 1)
    return np.concatenate([before, beats, after])


def _downbeat(bass: np.ndarray, rate: float, beats_s: np.ndarray) -> int:
    """Index (0..BEATS_PER_BAR - 1) of the first downbeat: the beat phase with the strongest
    bass accent on average. `bass` (F,): the onset envelope of the lowest band group
    (`ACCENT_GROUPS`), `rate` frames/s."""
    half = max(1, int(round(ACCENT_WINDOW_S * rate)))
    frames = np.clip(np.round(beats_s * rate).astype(int), 0, bass.size - 1)
    accent = np.array([bass[max(f - half, 0):f + half + 1].max() for f in frames])
    phases = [accent[p::BEATS_PER_BAR].mean() for p in range(min(BEATS_PER_BAR, accent.size))]
    return int(np.argmax(phases))


def tempo_period(envelope: np.ndarray, rate: float) -> float:
    """The beat period of an onset envelope, frames (sub-frame): the autocorrelation lag in
    MIN_BPM..MAX_BPM with the highest value under the tempo prior. `envelope` (F,) not modified."""
    e = np.asarray(envelope, dtype=np.float64) - np.mean(envelope)
    lo, hi = int(np.floor(60.0 * rate / MAX_BPM)), int(np.ceil(60.0 * rate / MIN_BPM))
    hi = min(hi, e.size - 2)
    if hi <= lo + 1:
        return float("nan")
    spec = np.fft.rfft(e, n=2 * e.size)
    ac = np.fft.irfft(spec * np.conj(spec))[: hi + 2]
    lags = np.arange(lo, hi + 1)
    prior = np.exp(-0.5 * (np.log2(60.0 * rate / lags / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    k = lo + int(np.argmax(np.maximum(ac[lo:hi + 1], 0.0) * prior))
    a, b, c = ac[k - 1], ac[k], ac[k + 1]          # parabolic peak refinement
    denom = a - 2 * b + c
    return float(k + (0.5 * (a - c) / denom if denom < 0 else 0.0))


def track_beats(envelope: np.ndarray, period: float) -> np.ndarray:
    """Beat frames by dynamic programming (Ellis 2007): each beat on a strong onset, each gap
    near `period` frames. `envelope` (F,) onset strength, not modified; returns (B,) increasing
    int frame indices."""
    env = np.maximum(np.asarray(envelope, dtype=np.float64), 0.0)
    env = env / (env.std() + 1e-12)
    # Onset strength smoothed over about a sixteenth of a beat: a beat may sit a frame or two off.
    half = int(round(period))
    window = np.exp(-0.5 * (np.arange(-half, half + 1) * 32.0 / period) ** 2)
    local = np.convolve(env, window, mode="same")
    n = local.size
    score, back = local.copy(), np.full(n, -1)
    gaps = np.arange(int(np.floor(GAP_RANGE[0] * period)), int(np.ceil(GAP_RANGE[1] * period)) + 1)
    gaps = gaps[gaps > 0]
    penalty = -TIGHTNESS * np.log(gaps / period) ** 2
    for i in range(int(gaps[0]), n):
        prev = i - gaps
        ok = prev >= 0
        cand = score[prev[ok]] + penalty[ok]
        j = int(np.argmax(cand))
        if cand[j] > 0:
            score[i] += cand[j]
            back[i] = prev[ok][j]
    # The last beat: the best cumulative score within the final period.
    tail = max(n - int(np.ceil(period)), 0)
    i = tail + int(np.argmax(score[tail:]))
    beats = []
    while i >= 0:
        beats.append(i)
        i = back[i]
    beats = np.array(beats[::-1], dtype=np.int64)
    # Leading and trailing beats on silence (the chain runs on through it) are not beats.
    strong = local[beats] > 0.5 * np.median(local[beats])
    if strong.any():
        first, last = np.flatnonzero(strong)[[0, -1]]
        beats = beats[first:last + 1]
    return beats


def beat_grid(audio: np.ndarray | None, sr: int) -> BeatGrid:
    """The beats and 8-counts of a soundtrack, or an empty grid saying why there are none.

    Parameters
    ----------
    audio : (S,) mono samples at `sr` Hz, sample 0 at time 0 of the file (`io.video.audio`), or
        None when the clip has no audio. Not modified.
    sr : sample rate, Hz

    Returns
    -------
    BeatGrid
        Beats over the whole soundtrack (see the module docstring), or `no_beats` with the reason:
        no audio, silence, too short, or no steady beat.
    """
    if audio is None:
        return no_beats(NO_AUDIO)
    if sr <= 0:
        raise ValueError(f"sr must be > 0, got {sr}")
    y = np.asarray(audio, dtype=np.float64).ravel()
    duration_s = y.size / sr
    if not np.isfinite(y).all() or np.max(np.abs(y), initial=0.0) < 1e-4:
        return no_beats("the teacher's music is silent")
    # One pass: the band groups' envelopes; their mean is the whole-band envelope (the
    # detrending is linear), the lowest group carries the bass accent of the downbeat.
    groups, rate = onset_envelope(y, sr, groups=ACCENT_GROUPS)
    envelope = groups.mean(axis=0)
    period = tempo_period(envelope, rate)
    beats = track_beats(envelope, period) / rate if np.isfinite(period) else np.zeros(0)
    if beats.size < MIN_BEATS:
        return no_beats(f"the teacher's music is too short or too quiet to find a beat ({beats.size} beats, "
                        f"{MIN_BEATS} needed)")
    intervals = np.diff(beats)
    # The mean interval from a line through all beats: beat times are whole frames (10 ms), so a
    # median of intervals would be quantised (one frame in 50 is 2 % of the tempo).
    interval = float(np.polyfit(np.arange(beats.size), beats, 1)[0])
    cv = float(np.std(intervals) / np.mean(intervals))
    clarity = pulse_clarity(envelope, interval * rate)
    if cv > MAX_INTERVAL_CV or clarity < MIN_PULSE_CLARITY:
        return no_beats("the teacher's music has no steady beat")
    beats = _extend(beats, interval, duration_s)
    return BeatGrid(beats_s=beats, downbeat=_downbeat(groups[0], rate, beats), bpm=60.0 / interval)
