"""Time sync of two clips: audio offset, motion offset, and where each dancer is active.

Convention (DESIGN.md): ``teacher_s = student_s + offset_s`` for the same musical moment.

Both offsets come from the same lag search: two envelopes at a common rate (an audio onset
envelope at 100 Hz, or a motion signal at the analysis fps) are standardized and cross-correlated
with an FFT; the best lag is refined to a fraction of a sample by a parabola through the peak.

Confidence compares the peak with the best that chance and repetition achieve: the larger of
(a) the best other lag at least `EXCLUDE_S` away (a perfectly periodic beat matches itself one
bar later as well as at the true lag) and (b) the best lag between the teacher and the
*time-reversed* student, a null with the same rhythm statistics (tempo grid, density, bands)
but no true alignment. Neither a raw peak height nor its z-score is usable on its own: sparse
onsets on a shared tempo grid give two unrelated drum tracks peaks far above the correlation's
median. The peak-to-chance ratio is mapped linearly to 0..1 (`AUDIO_RATIO_NONE`..
`AUDIO_RATIO_FULL`; motion has its own pair, `MOTION_RATIO_*`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.analysis.dsp import correlation_lags_full, cross_correlate_full, periodic_hann
from engine.core.arrays import true_runs
from engine.core.body import CORE_JOINTS, LEFT_RIGHT_PAIRS, N_LANDMARKS, Landmark
from engine.core.errors import CompareError, SettingsError

# --- audio onset envelope ---------------------------------------------------------------
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

# --- lag search -------------------------------------------------------------------------
#: Largest offset searched, seconds (in both directions).
MAX_LAG_S = 30.0
#: The runner-up peak is searched outside +- this many seconds of the best lag.
EXCLUDE_S = 0.5
#: Peak / chance ratio (both above the correlation's median) mapped to confidence 0 and 1,
#: for audio. Measured: unrelated click tracks and noise 0.95..1.4, a metronome against
#: itself 1.1; the same music 1.8..2.3 (real pair 2.1, identical AIST audio 2.2).
AUDIO_RATIO_NONE = 1.25
AUDIO_RATIO_FULL = 2.25
#: The same for motion. Two different dancers move alike only roughly, and any two dances
#: share a beat-like rhythm: 10 s windows of unrelated dances reach 1.5..1.8, 10 s windows of
#: the real pair 1.1..2.0, the whole real pair 2.3.
MOTION_RATIO_NONE = 1.5
MOTION_RATIO_FULL = 2.5

# --- motion energy / active range -------------------------------------------------------
#: Gaps in the pose track up to this long (s) are bridged by interpolating the energy;
#: longer ones (nobody in view) count as no motion.
MAX_INTERP_GAP_S = 0.5
#: Median filter applied to the energy before thresholding, seconds (kills jitter spikes,
#: keeps the edges of a real start or stop).
ACTIVE_SMOOTH_S = 0.3
#: Active stretches shorter than this (s) are blips (a twitch, a detection glitch).
MIN_ACTIVE_S = 0.3
#: Still stretches shorter than this (s) between active ones are pauses within the dance.
MAX_PAUSE_S = 1.0
#: The two-cluster split must separate the moving from the still level by at least this
#: factor (ratio of cluster medians); otherwise the whole clip is one kind (all dance or
#: all still) and the whole span counts as active.
MIN_ACTIVE_RATIO = 3.0
#: Before the motion lag search each channel is smoothed over this span (s) and its moving
#: average over `MOTION_DETREND_S` is removed.
MOTION_SMOOTH_S = 0.1
MOTION_DETREND_S = 2.0

#: Channels of `motion_signature`: each core joint with its left/right twin (shoulders,
#: elbows, wrists, hips, knees, ankles), so they do not change when the student mirrors.
MOTION_GROUPS: tuple[tuple[int, int], ...] = tuple(
    (int(a), int(b)) for a, b in LEFT_RIGHT_PAIRS if a in CORE_JOINTS and b in CORE_JOINTS
)

METHODS = ("auto", "audio", "motion", "none")


@dataclass(frozen=True)
class SyncResult:
    """How two clips line up in time.

    Attributes
    ----------
    method : str
        "audio", "motion" or "none": what produced `offset_s`.
    offset_s : float
        teacher_s = student_s + offset_s, seconds.
    confidence : float
        0..1 (0 for "none").
    teacher_active_s, student_active_s : (float, float)
        Where each dancer actually dances, seconds from the start of their file.
    """

    method: str
    offset_s: float
    confidence: float
    teacher_active_s: tuple[float, float]
    student_active_s: tuple[float, float]


# --- lag search -------------------------------------------------------------------------

def _standardize(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance along the last axis (constant rows stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=-1, keepdims=True)
    sd = x.std(axis=-1, keepdims=True)
    return x / np.where(sd > 0, sd, 1.0)


def _xcorr(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel-averaged cross-correlation of (C, N) and (C, M), normalized by sqrt(N M)."""
    n, m = a.shape[1], b.shape[1]
    corr = cross_correlate_full(a, b).sum(axis=0)
    return corr / (a.shape[0] * np.sqrt(n * m)), correlation_lags_full(n, m)


def _best_lag(a: np.ndarray, b: np.ndarray, rate: float, max_lag_s: float,
              ratios: tuple[float, float]) -> tuple[float, float]:
    """Lag (s) at which `a` best matches `b` delayed: a(t) ~ b(t - lag). Returns (lag_s, conf).

    `a` (C, N) and `b` (C, M) are standardized envelopes at `rate` Hz, C channels correlated
    separately and averaged. The correlation is normalized by the full lengths (not by the
    overlap), so lags with little overlap are penalized rather than rewarded for matching a
    few frames by chance; at the true lag of identical signals it is the overlap fraction.
    `ratios`: peak/chance ratios mapped to confidence 0 and 1.
    """
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    if a.shape[1] < 3 or b.shape[1] < 3 or not (np.any(a) and np.any(b)):
        return 0.0, 0.0
    corr, lags = _xcorr(a, b)
    keep = np.abs(lags) <= max_lag_s * rate
    if keep.sum() < 3:
        return 0.0, 0.0
    corr, lags = corr[keep], lags[keep]

    k = int(np.argmax(corr))
    frac = 0.0
    if 0 < k < corr.size - 1:
        y0, y1, y2 = corr[k - 1], corr[k], corr[k + 1]
        den = y0 - 2.0 * y1 + y2
        if den < 0:
            frac = float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5))
    lag_s = (lags[k] + frac) / rate

    peak = corr[k]
    floor = float(np.median(corr))
    far = np.abs(lags - lags[k]) > EXCLUDE_S * rate
    runner_up = corr[far].max() if np.any(far) else floor
    null = _xcorr(a, b[:, ::-1])[0][keep].max()
    chance = max(runner_up, null)
    if not peak > floor:
        return float(lag_s), 0.0
    if not chance > floor:
        return float(lag_s), 1.0
    ratio = (peak - floor) / (chance - floor)
    conf = (ratio - ratios[0]) / (ratios[1] - ratios[0])
    return float(lag_s), float(np.clip(conf, 0.0, 1.0))


# --- audio ------------------------------------------------------------------------------

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
    flux = flux - ndimage.uniform_filter1d(flux, width, axis=1, mode="nearest")
    return (flux[0] if groups == 1 else flux), sr / hop


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
    return _best_lag(_standardize(env_t), _standardize(env_s), rate, max_lag_s,
                     (AUDIO_RATIO_NONE, AUDIO_RATIO_FULL))


# --- motion -----------------------------------------------------------------------------

def _fill_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    """Linear interpolation over NaN runs of at most `max_gap` samples; longer runs -> 0."""
    out = x.copy()
    bad = ~np.isfinite(out)
    if not bad.any():
        return out
    good = np.flatnonzero(~bad)
    if good.size == 0:
        return np.zeros_like(out)
    labels, _ = ndimage.label(bad)
    interp = np.interp(np.arange(out.size), good, out[good])
    for (sl,) in ndimage.find_objects(labels):
        inside = sl.start > 0 and sl.stop < out.size
        out[sl] = interp[sl] if inside and (sl.stop - sl.start) <= max_gap else 0.0
    return out


def _check_track(landmarks: np.ndarray, fps: float) -> np.ndarray:
    arr = np.asarray(landmarks)
    if arr.ndim != 3 or arr.shape[1] != N_LANDMARKS or arr.shape[2] < 3:
        raise ValueError(f"landmarks: expected shape (N, {N_LANDMARKS}, 4), got {arr.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    return arr


def _frame_signal(per_joint: np.ndarray, fps: float) -> np.ndarray:
    """(N-1, J) per-step values with NaN -> (N,) mean over joints, gaps handled.

    Step i (frame i to i+1) is stored at frame i+1; frame 0 repeats frame 1.
    """
    finite = np.isfinite(per_joint)
    counts = finite.sum(axis=1)
    mean = np.full(per_joint.shape[0], np.nan)
    np.divide(np.where(finite, per_joint, 0.0).sum(axis=1), counts, out=mean, where=counts > 0)
    return _fill_gaps(np.concatenate([mean[:1], mean]), int(round(MAX_INTERP_GAP_S * fps)))


def motion_energy(landmarks: np.ndarray, fps: float, *, use_z: bool = True,
                  per_group: bool = False) -> np.ndarray:
    """Mean speed of the 12 core joints per frame: how much the dancer moves.

    Parameters
    ----------
    landmarks : (N, 33, 4) array
        World (metres) or image (normalized) landmarks with visibility. Not modified.
    fps : float
        Frame rate of the track, frames/s.
    use_z : bool
        Include z. Image-space z is a rough relative depth, noisier than x and y; pass False
        for image landmarks.
    per_group : bool
        One channel per left/right joint pair (`MOTION_GROUPS`) instead of the overall mean.
        `active_range` averages the channels; `motion_offset` matches them together (but
        `motion_signature` is the better input for that).

    Returns
    -------
    (N,) or (N, 6) float64
        Units of the input per second. Frame i holds the speed from frame i-1 to i (frame 0
        repeats frame 1). Joints missing in a frame are left out of its mean. Frames with no
        speed at all (no detection) are interpolated from their neighbours across gaps up to
        `MAX_INTERP_GAP_S` (a dropout is not a freeze) and set to 0 across longer gaps and
        at the ends of the clip (nobody in view is not dancing).
    """
    arr = _check_track(landmarks, fps)
    n = arr.shape[0]
    if n < 2:
        return np.zeros((n, len(MOTION_GROUPS)) if per_group else n)
    pts = arr[:, [int(j) for j in CORE_JOINTS], :3 if use_z else 2].astype(np.float64)
    speed = np.linalg.norm(np.diff(pts, axis=0), axis=-1) * fps  # (N-1, 12), CORE_JOINTS order
    if not per_group:
        return _frame_signal(speed, fps)
    col = {int(j): i for i, j in enumerate(CORE_JOINTS)}
    return np.stack([_frame_signal(speed[:, [col[a], col[b]]], fps) for a, b in MOTION_GROUPS], axis=1)


def motion_signature(landmarks: np.ndarray, fps: float) -> np.ndarray:
    """Vertical velocity of each left/right joint pair relative to the hips, for `motion_offset`.

    Signed vertical velocity tells an arm going up from one coming down, which speed cannot,
    and it is unchanged by the camera's yaw, by mirroring (left and right are averaged) and,
    after `motion_offset` standardizes each channel, by the dancer's size and the units.

    Parameters
    ----------
    landmarks : (N, 33, 4) array
        World or image landmarks (both have y pointing down). Not modified.
    fps : float
        Frame rate, frames/s.

    Returns
    -------
    (N, 6) float64
        Channels in `MOTION_GROUPS` order, input units per second (positive = moving down).
        Gaps handled as in `motion_energy` (0 across long gaps).
    """
    arr = _check_track(landmarks, fps)
    n = arr.shape[0]
    if n < 2:
        return np.zeros((n, len(MOTION_GROUPS)))
    y = arr[..., 1].astype(np.float64)
    y = y - 0.5 * (y[:, Landmark.LEFT_HIP] + y[:, Landmark.RIGHT_HIP])[:, None]
    vy = np.diff(y, axis=0) * fps
    return np.stack([_frame_signal(vy[:, list(pair)], fps) for pair in MOTION_GROUPS], axis=1)


def _motion_envelope(x: np.ndarray, fps: float) -> np.ndarray:
    """(N,) or (N, C) motion signal -> (C, N) smoothed, detrended, standardized."""
    e = np.asarray(x, dtype=np.float64)
    e = e[:, None] if e.ndim == 1 else e
    e = np.where(np.isfinite(e), e, 0.0).T
    e = ndimage.uniform_filter1d(e, max(1, int(round(MOTION_SMOOTH_S * fps))), axis=1, mode="nearest")
    e = e - ndimage.uniform_filter1d(e, max(1, int(round(MOTION_DETREND_S * fps))), axis=1, mode="nearest")
    return _standardize(e)


def motion_offset(teacher_motion: np.ndarray, student_motion: np.ndarray, fps: float, *,
                  max_lag_s: float = MAX_LAG_S) -> tuple[float, float]:
    """Offset from how the dancers move (for clips without usable audio).

    Parameters
    ----------
    teacher_motion, student_motion : (N,) or (N, C), (M,) or (M, C) arrays
        The same kind of signal for both clips, at `fps` frames/s: `motion_signature`
        (more reliable) or `motion_energy`. Not modified.
    fps : float
        Common frame rate, frames/s.
    max_lag_s : float
        Largest |offset| searched, seconds.

    Returns
    -------
    offset_s : float
        teacher_s = student_s + offset_s (frame 0 of each signal = time 0 of its file). This
        is when the student *moves* like the teacher, which can differ from the music's
        offset by the student's own lag.
    confidence : float
        0..1, as for `audio_offset` but calibrated for motion (`MOTION_RATIO_NONE`).
    """
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    env_t, env_s = _motion_envelope(teacher_motion, fps), _motion_envelope(student_motion, fps)
    if env_t.shape[0] != env_s.shape[0]:
        raise ValueError("motion signals have different channel counts: "
                         f"{env_t.shape[0]} and {env_s.shape[0]}")
    return _best_lag(env_t, env_s, float(fps), max_lag_s, (MOTION_RATIO_NONE, MOTION_RATIO_FULL))


# --- active range -----------------------------------------------------------------------

def _otsu(values: np.ndarray, bins: int = 128) -> float:
    """Threshold maximizing the between-class variance of `values` (1-D, finite)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu0 = m0 / w0
        mu1 = (m0[-1] - m0) / w1
        between = w0 * w1 * (mu0 - mu1) ** 2
    between = np.where(np.isfinite(between), between, -1.0)
    return float(edges[int(np.argmax(between)) + 1])


def active_range(energy: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """Where the dancer actually dances: (start_s, end_s), seconds from the file's start.

    The energy is median-filtered, log-compressed and split in two clusters (still, moving)
    by Otsu's threshold, so the result depends on neither the units nor how much of the clip
    is dance. Active stretches under `MIN_ACTIVE_S` are dropped and still stretches under
    `MAX_PAUSE_S` between active ones are bridged; the range runs from the first active frame
    to the last. If the two clusters are not clearly apart (`MIN_ACTIVE_RATIO`) the clip is
    all one kind and its whole span is returned.

    Parameters
    ----------
    energy : (N,) or (N, C) array
        Motion energy (`motion_energy`), any units; channels are averaged. Not modified.
    t : (N,) array
        Frame times, seconds.

    Returns
    -------
    (start_s, end_s) : (float, float)
        Times of the first and last active frames.
    """
    e = np.asarray(energy, dtype=np.float64)
    if e.ndim == 2:
        finite = np.isfinite(e)
        e = np.where(finite, e, 0.0).sum(axis=1) / np.maximum(finite.sum(axis=1), 1)
    tt = np.asarray(t, dtype=np.float64)
    if e.ndim != 1 or tt.shape != e.shape:
        raise ValueError(f"energy and t must be 1-D of the same length, got {e.shape} and {tt.shape}")
    if e.size == 0:
        raise ValueError("active_range: empty clip")
    whole = (float(tt[0]), float(tt[-1]))
    if e.size < 3:
        return whole
    dt = float(np.median(np.diff(tt)))
    if not dt > 0:
        raise ValueError("active_range: t must increase")
    e = np.where(np.isfinite(e), np.maximum(e, 0.0), 0.0)
    smooth = ndimage.median_filter(e, size=max(1, int(round(ACTIVE_SMOOTH_S / dt))) | 1, mode="nearest")
    pos = smooth[smooth > 0]
    if pos.size < 2:
        return whole
    # Log scale: still jitter and dance differ by a factor, not by an amount; a floor keeps
    # exact zeros (nobody in view) from stretching the histogram.
    floor = 1e-3 * np.median(pos)
    loge = np.log(np.maximum(smooth, floor))
    thr = _otsu(loge)
    moving = loge > thr
    if moving.all() or not moving.any():
        return whole
    if np.exp(np.median(loge[moving]) - np.median(loge[~moving])) < MIN_ACTIVE_RATIO:
        return whole

    for start, stop in true_runs(~moving):  # bridge short pauses between active stretches
        if start > 0 and stop < moving.size and (stop - start) * dt < MAX_PAUSE_S:
            moving[start:stop] = True
    for start, stop in true_runs(moving):  # drop blips
        if (stop - start) * dt < MIN_ACTIVE_S:
            moving[start:stop] = False
    idx = np.flatnonzero(moving)
    if idx.size == 0:
        return whole
    return float(tt[idx[0]]), float(tt[idx[-1]])


# --- entry point ------------------------------------------------------------------------

def sync(
    *,
    teacher_t: np.ndarray,
    teacher_energy: np.ndarray,
    student_t: np.ndarray,
    student_energy: np.ndarray,
    fps: float,
    teacher_audio: np.ndarray | None = None,
    student_audio: np.ndarray | None = None,
    sr: int = 16000,
    method: str = "auto",
    min_audio_confidence: float = 0.3,
    teacher_motion: np.ndarray | None = None,
    student_motion: np.ndarray | None = None,
    max_lag_s: float = MAX_LAG_S,
) -> SyncResult:
    """Find the time offset between teacher and student, and where each one dances.

    Parameters
    ----------
    teacher_t, student_t : (N,), (M,) arrays
        Frame times, seconds from the start of each file.
    teacher_energy, student_energy : (N,) or (N, C), (M,) or (M, C) arrays
        `motion_energy` of each clip: the active ranges, and the motion offset when no
        `*_motion` is given.
    fps : float
        Analysis frame rate of both tracks, frames/s.
    teacher_audio, student_audio : (S,) arrays or None
        Mono audio at `sr` Hz, sample 0 = time 0 of the file; None if the clip has none.
    sr : int
        Audio sample rate, Hz.
    method : {"auto", "audio", "motion", "none"}
        "auto": audio when both clips have it and its confidence reaches
        `min_audio_confidence`, motion otherwise. "audio" / "motion": only that one.
        "none": offset 0, confidence 0.
    min_audio_confidence : float
        0..1, see "auto".
    teacher_motion, student_motion : (N, C), (M, C) arrays, optional
        `motion_signature` of each clip; when both are given the motion offset uses them
        (more reliable than the energy).
    max_lag_s : float
        Largest |offset| searched, seconds.

    Returns
    -------
    SyncResult

    Raises
    ------
    SettingsError
        Unknown `method`.
    CompareError
        `method="audio"` but a clip has no audio.
    """
    if method not in METHODS:
        raise SettingsError(f"sync method must be one of {', '.join(METHODS)}; got {method!r}")
    active_t = active_range(teacher_energy, teacher_t)
    active_s = active_range(student_energy, student_t)

    def result(name: str, offset_s: float, confidence: float) -> SyncResult:
        return SyncResult(method=name, offset_s=float(offset_s), confidence=float(confidence),
                          teacher_active_s=active_t, student_active_s=active_s)

    if method == "none":
        return result("none", 0.0, 0.0)

    have_audio = teacher_audio is not None and student_audio is not None
    if method == "audio" and not have_audio:
        missing = (("teacher", teacher_audio), ("student", student_audio))
        which = " and ".join(name for name, a in missing if a is None)
        raise CompareError(f"audio sync needs sound in both clips, but the {which} clip has none; "
                           "use sync 'motion' or 'auto' instead")
    if method in ("audio", "auto") and have_audio:
        offset, conf = audio_offset(teacher_audio, student_audio, sr, max_lag_s=max_lag_s)
        if method == "audio" or conf >= min_audio_confidence:
            return result("audio", offset, conf)
    if teacher_motion is not None and student_motion is not None:
        offset, conf = motion_offset(teacher_motion, student_motion, fps, max_lag_s=max_lag_s)
    else:
        offset, conf = motion_offset(teacher_energy, student_energy, fps, max_lag_s=max_lag_s)
    return result("motion", offset, conf)
