"""The lag search both offsets use (private to `engine.analysis.sync`).

Two envelopes at a common rate (an audio onset envelope at 100 Hz, or a motion signal at the
analysis fps) are standardized and cross-correlated with an FFT; the best lag is refined to a
fraction of a sample by a parabola through the peak.

Confidence compares the peak with the best that chance and repetition achieve: the larger of
(a) the best other lag at least `EXCLUDE_S` away (a perfectly periodic beat matches itself one
bar later as well as at the true lag) and (b) the best lag between the teacher and the
*time-reversed* student, a null with the same rhythm statistics (tempo grid, density, bands)
but no true alignment. Neither a raw peak height nor its z-score is usable on its own: sparse
onsets on a shared tempo grid give two unrelated drum tracks peaks far above the correlation's
median. The peak-to-chance ratio is mapped linearly to 0..1 by a (none, full) pair of ratios
that each caller calibrates for its signal.
"""

from __future__ import annotations

import numpy as np

from engine.analysis.dsp import correlation_lags_full, cross_correlate_full

#: Largest offset searched, seconds (in both directions).
MAX_LAG_S = 30.0
#: The runner-up peak is searched outside +- this many seconds of the best lag.
EXCLUDE_S = 0.5


def standardize(x: np.ndarray) -> np.ndarray:
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


def best_lag(a: np.ndarray, b: np.ndarray, rate: float, max_lag_s: float,
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
