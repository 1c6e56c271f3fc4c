"""Audio offset: onset envelopes of the two soundtracks, matched by the lag search.

The onset envelope is a half-wave rectified log-band-energy flux (an STFT with a log-spaced
band filterbank), detrended; `audio_offset` correlates it band group by band group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.dsp import periodic_hann, uniform_filter1d
from engine.analysis.sync._lag import MAX_LAG_S, best_lag, standardize

#: Onset envelope rate, frames per second (hop = sr / ENVELOPE_RATE samples).
ENVELOPE_RATE = 100.0
#: STFT window length, seconds (1024 samples at 16 kHz).
STFT_WINDOW_S = 0.064
#: STFT frames processed at once (bounds memory on long clips).
STFT_CHUNK_FRAMES = 2048
#: Band filterbank for the spectral flux: this many log-spaced bands between these Hz.
N_BANDS = 40
BAND_LO_HZ = 60.0
BAND_HI_HZ = 7600.0
#: The bands are pooled into this many groups, each correlated on its own and the results
#: averaged: a lag must then match the rhythm of the bass, the mids and the highs at once,
#: which tells one bar of real music from the next better than a single envelope does.
N_BAND_GROUPS = 8
#: Compression of band energies before differencing: log(1 + LOG_GAIN * energy / mean).
LOG_GAIN = 100.0
#: The envelope minus its moving average over this span (s): removes loudness drifts.
DETREND_S = 1.0

#: Peak / chance ratio (both above the correlation's median) mapped to confidence 0 and 1,
#: for audio. Measured: unrelated click tracks and noise 0.95..1.4, a metronome against
#: itself 1.1; the same music 1.8..2.3 (real pair 2.1, identical AIST audio 2.2).
AUDIO_RATIO_NONE = 1.25
AUDIO_RATIO_FULL = 2.25


def _band_matrix(n_fft: int, sr: int) -> np.ndarray:
    """(N_BANDS, n_fft // 2 + 1) triangular filters, log-spaced centres."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    hi = min(BAND_HI_HZ, 0.45 * sr)
    edges = np.geomspace(BAND_LO_HZ, hi, N_BANDS + 2)
    fb = np.zeros((N_BANDS, freqs.size))
    for i in range(N_BANDS):
        lo, mid, top = edges[i], edges[i + 1], edges[i + 2]
        up = (freqs - lo) / (mid - lo)
        down = (top - freqs) / (top - mid)
        fb[i] = np.clip(np.minimum(up, down), 0.0, None)
        if not fb[i].any():  # a band narrower than one bin at low sr: take the nearest bin
            fb[i, int(np.argmin(np.abs(freqs - mid)))] = 1.0
    return fb


def _band_energies(x: np.ndarray, sr: int, n_fft: int, hop: int) -> np.ndarray:
    """(N_BANDS, F) band powers of Hann-windowed frames centred on samples 0, hop, 2 hop, ..."""
    half = n_fft // 2
    padded = np.pad(x, (half, half), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]  # a view, no copy
    window = periodic_hann(n_fft)
    fb = _band_matrix(n_fft, sr)
    out = np.empty((N_BANDS, frames.shape[0]))
    for i in range(0, frames.shape[0], STFT_CHUNK_FRAMES):
        spec = np.fft.rfft(frames[i:i + STFT_CHUNK_FRAMES] * window, axis=1)
        out[:, i:i + STFT_CHUNK_FRAMES] = fb @ (spec.real ** 2 + spec.imag ** 2).T
    return out


def onset_envelope(audio: np.ndarray, sr: int, *, groups: int = 1) -> tuple[np.ndarray, float]:
    """Onset strength: half-wave rectified log-band-energy flux, detrended.

    Parameters
    ----------
    audio : (S,) array
        Mono samples, any scale. Not modified.
    sr : int
        Sample rate, Hz.
    groups : int
        Number of frequency groups (a divisor of `N_BANDS`), low to high.

    Returns
    -------
    envelope : (groups, F) float64, or (F,) when groups is 1
        Frame f is centred on sample f * hop, i.e. time f / rate seconds.
    rate : float
        Envelope frames per second (sr / hop, about `ENVELOPE_RATE`).
    """
    if N_BANDS % groups:
        raise ValueError(f"groups must divide {N_BANDS}, got {groups}")
    x = np.asarray(audio, dtype=np.float64).ravel()
    hop = max(1, int(round(sr / ENVELOPE_RATE)))
    n_fft = int(2 ** np.ceil(np.log2(STFT_WINDOW_S * sr)))
    if x.size < n_fft:
        return np.zeros((groups, 0) if groups > 1 else 0), sr / hop
    bands = _band_energies(x, sr, n_fft, hop)
    # Log compression relative to each band's mean level: loud and quiet recordings of the
    # same music then give the same flux, and a constant noise floor adds little.
    ref = bands.mean(axis=1, keepdims=True) + 1e-12
    logb = np.log1p(LOG_GAIN * bands / ref)
    flux = np.maximum(np.diff(logb, axis=1, prepend=logb[:, :1]), 0.0)
    flux = flux.reshape(groups, N_BANDS // groups, -1).mean(axis=1)
    width = max(1, int(round(DETREND_S * sr / hop)))
    flux = flux - uniform_filter1d(flux, width, axis=1, mode="nearest")
    return (flux[0] if groups == 1 else flux), sr / hop


@dataclass(frozen=True, eq=False)
class OnsetEnvelope:
    """A soundtrack's onset envelope as the windowed audio lag matches it (`sync_envelope`).

    Attributes
    ----------
    values : (N_BAND_GROUPS, F) float64, frame f at f / rate seconds of the file
    rate : envelope frames per second
    """

    values: np.ndarray
    rate: float

    def __post_init__(self) -> None:
        v = self.values
        if not isinstance(v, np.ndarray) or v.ndim != 2 or v.shape[0] != N_BAND_GROUPS:
            got = v.shape if isinstance(v, np.ndarray) else type(v).__name__
            raise ValueError(f"envelope values: expected shape ({N_BAND_GROUPS}, F), got {got}")
        if not (np.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"envelope rate must be > 0 frames/s, got {self.rate}")


def sync_envelope(audio: np.ndarray, sr: int) -> OnsetEnvelope:
    """The onset envelope `audio_lag.windowed_audio_offset` computes from `audio`, made ahead
    (e.g. while the poses load). Mono samples at `sr` Hz; not modified."""
    if sr <= 0:
        raise ValueError(f"sr must be > 0, got {sr}")
    values, rate = onset_envelope(audio, sr, groups=N_BAND_GROUPS)
    return OnsetEnvelope(values=values, rate=rate)


def envelope_pair(teacher_audio: np.ndarray | None, student_audio: np.ndarray | None, sr: int | None,
                  teacher_envelope: OnsetEnvelope | None, student_envelope: OnsetEnvelope | None
                  ) -> tuple[OnsetEnvelope, OnsetEnvelope]:
    """The two envelopes a windowed audio lag matches, from either both soundtracks and `sr`
    or both envelopes made ahead (validated: one of the two, the same rate)."""
    audio_given = teacher_audio is not None or student_audio is not None
    envelopes_given = teacher_envelope is not None or student_envelope is not None
    if audio_given == envelopes_given:
        raise ValueError("give either teacher_audio, student_audio and sr, or teacher_envelope and student_envelope")
    if envelopes_given:
        if teacher_envelope is None or student_envelope is None:
            raise ValueError("give both teacher_envelope and student_envelope")
        if teacher_envelope.rate != student_envelope.rate:
            raise ValueError(f"envelope rates differ: teacher {teacher_envelope.rate}, "
                             f"student {student_envelope.rate} frames/s")
        return teacher_envelope, student_envelope
    if teacher_audio is None or student_audio is None or sr is None:
        raise ValueError("give teacher_audio, student_audio and sr")
    return sync_envelope(teacher_audio, sr), sync_envelope(student_audio, sr)


def audio_offset(teacher_audio: np.ndarray, student_audio: np.ndarray, sr: int, *,
                 max_lag_s: float = MAX_LAG_S) -> tuple[float, float]:
    """Offset between two recordings of the same music, from their onset envelopes.

    Parameters
    ----------
    teacher_audio, student_audio : (S,) arrays
        Mono samples at `sr` Hz, sample 0 = time 0 of each file. Not modified.
    sr : int
        Sample rate of both, Hz.
    max_lag_s : float
        Largest |offset| searched, seconds.

    Returns
    -------
    offset_s : float
        teacher_s = student_s + offset_s. Resolution well under one envelope frame (10 ms).
    confidence : float
        0..1; low for unrelated audio and for perfectly periodic music (every beat alike).
    """
    env_t, rate = onset_envelope(teacher_audio, sr, groups=N_BAND_GROUPS)
    env_s, _ = onset_envelope(student_audio, sr, groups=N_BAND_GROUPS)
    return best_lag(standardize(env_t), standardize(env_s), rate, max_lag_s,
                    (AUDIO_RATIO_NONE, AUDIO_RATIO_FULL))
