"""Small signal-processing kernels in plain NumPy, equal to their scipy.signal and scipy.ndimage
counterparts.

`import scipy.signal` costs most of a second (it pulls in scipy.stats and builds array-API
wrappers), more than the whole rest of a cached comparison, and `savgol_filter` spends most of
its time refitting the edge polynomials on every call; `import scipy.ndimage` costs ~0.12 s.
These are the few pieces the engine uses, written to give the same numbers (to float rounding;
the ndimage filters bit for bit) and the same peak indices:

- `savgol_smooth`: `savgol_filter(x, window, polyorder, mode="interp", axis=axis)`
- `find_peaks_prominence`: `find_peaks(x, prominence=p, wlen=w, distance=d)[0]`
- `cross_correlate_full`, `correlation_lags_full`: `correlate(a, b, mode="full")`,
  `correlation_lags(n, m, mode="full")`
- `periodic_hann`: `get_window("hann", n)`
- `uniform_filter1d`, `maximum_filter1d`: scipy.ndimage's, modes reflect / nearest / constant
- `median_filter_nearest`: `ndimage.median_filter(x, size, mode="nearest")` of a 1-D signal
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# --- Savitzky-Golay ------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _fit_weights(window: int, polyorder: int, positions: tuple[float, ...]) -> np.ndarray:
    """(P, window) weights: row p @ samples = the degree-`polyorder` least-squares polynomial
    through samples 0..window-1, evaluated at positions[p] (in samples). Read-only."""
    t = np.arange(window, dtype=np.float64)
    centre, scale = (window - 1) / 2.0, max((window - 1) / 2.0, 1.0)  # conditioning only
    powers = np.arange(polyorder + 1)
    fit = ((t[:, None] - centre) / scale) ** powers                        # (window, order + 1)
    at = ((np.asarray(positions)[:, None] - centre) / scale) ** powers     # (P, order + 1)
    weights = at @ np.linalg.pinv(fit)
    weights.setflags(write=False)
    return weights


def savgol_smooth(x: np.ndarray, window: int, polyorder: int, axis: int = 0) -> np.ndarray:
    """Savitzky-Golay smoothing along `axis`, vectorised over the other axes.

    Equal to `scipy.signal.savgol_filter(x, window, polyorder, mode="interp", axis=axis)`:
    samples with a full window get the least-squares polynomial of their centred window; the
    first and last `window // 2` take the polynomial fitted to the first / last `window` samples.

    Parameters
    ----------
    x : (..., N, ...) array, N >= window along `axis`, finite. Not modified.
    window : window length, samples (>= 1)
    polyorder : polynomial degree, < window

    Returns
    -------
    Same shape as `x`; float32 if `x` is float32 (computed in float64), else float64.
    """
    x = np.asarray(x)
    if window < 1 or not 0 <= polyorder < window:
        raise ValueError(f"need 0 <= polyorder < window, got window={window}, polyorder={polyorder}")
    n = x.shape[axis]
    if window > n:
        raise ValueError(f"window ({window}) is longer than the series ({n} samples)")
    out_dtype = np.float32 if x.dtype == np.float32 else np.float64
    data = np.moveaxis(x.astype(np.float64, copy=False), axis, 0)
    half, lead = window // 2, (window - 1) // 2  # lead: samples before the centre (even: fewer)
    centre = _fit_weights(window, polyorder, ((window - 1) / 2.0,))[0]
    y = np.empty(data.shape, dtype=np.float64)
    # Interior: y[i] = centre . data[i - lead : i - lead + window]
    body = slice(lead, n - window + lead + 1)
    y[body] = centre[0] * data[:n - window + 1]
    for k in range(1, window):
        y[body] += centre[k] * data[k:n - window + 1 + k]
    if half:
        edge = data.reshape(n, -1)
        left = _fit_weights(window, polyorder, tuple(float(p) for p in range(half)))
        right = _fit_weights(window, polyorder, tuple(float(p) for p in range(window - half, window)))
        y[:half] = (left @ edge[:window]).reshape((half,) + data.shape[1:])
        y[n - half:] = (right @ edge[n - window:]).reshape((half,) + data.shape[1:])
    return np.moveaxis(y, 0, axis).astype(out_dtype, copy=False)


# --- peaks -----------------------------------------------------------------------------------

def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of local maxima of (N,) x: a sample or flat run of equal samples with a lower
    neighbour on both sides (so never the first or last sample); a run gives its middle
    sample, rounded down."""
    if x.size < 3:
        return np.zeros(0, dtype=np.intp)
    step = np.diff(x)
    moves = np.flatnonzero(step != 0)           # boundaries between runs of equal values
    up = step[moves] > 0
    # A maximum: a rise into a run immediately followed (after the run) by a fall.
    tops = np.flatnonzero(up[:-1] & ~up[1:])
    first = moves[tops] + 1                     # first sample of the run
    last = moves[tops + 1]                      # last sample of the run
    return ((first + last) // 2).astype(np.intp)


def _keep_by_distance(peaks: np.ndarray, heights: np.ndarray, distance: float) -> np.ndarray:
    """(P,) bool: peaks kept when, from the highest down, each kept peak removes the others
    closer than `distance` samples (rounded up). Ties follow `np.argsort`, as scipy does."""
    gap = math.ceil(distance)
    keep = np.ones(peaks.size, dtype=bool)
    for j in np.argsort(heights)[::-1]:
        if not keep[j]:
            continue
        lo = np.searchsorted(peaks, peaks[j] - gap, side="right")
        hi = np.searchsorted(peaks, peaks[j] + gap, side="left")
        keep[lo:hi] = False
        keep[j] = True
    return keep


def _prominences(x: np.ndarray, peaks: np.ndarray, wlen: int | None) -> np.ndarray:
    """(P,) prominence of each peak: its height above the higher of the lowest points reached
    on each side before a higher sample, the signal's end or (with `wlen`) the edge of a
    window of +-wlen // 2 samples centred on the peak."""
    n = x.size
    reach = n if wlen is None else wlen // 2
    out = np.empty(peaks.size, dtype=np.float64)
    for i, p in enumerate(peaks):
        top = x[p]
        left = x[max(p - reach, 0):p + 1]
        higher = np.flatnonzero(left > top)
        left_min = left[higher[-1] + 1:].min() if higher.size else left.min()
        right = x[p:min(p + reach, n - 1) + 1]
        higher = np.flatnonzero(right > top)
        right_min = right[:higher[0]].min() if higher.size else right.min()
        out[i] = top - max(left_min, right_min)
    return out


def find_peaks_prominence(x: np.ndarray, prominence: float, *, wlen: float | None = None,
                          distance: float | None = None) -> np.ndarray:
    """Peaks of a 1-D series that stand out by at least `prominence`.

    Same indices as `scipy.signal.find_peaks(x, prominence=prominence, wlen=wlen,
    distance=distance)[0]`: local maxima (a flat top gives its middle sample, rounded down;
    the end samples are never peaks), then thinned by `distance` (highest first), then kept
    where the prominence, measured within a window of `wlen` samples centred on the peak
    (rounded up to odd), is >= `prominence`.

    Parameters
    ----------
    x : (N,) float array without NaN. Not modified.
    prominence : minimum prominence, in x's unit
    wlen : prominence window, samples (> 1); None: the whole series
    distance : minimum spacing of peaks, samples (>= 1); None: no spacing rule

    Returns
    -------
    (P,) intp, increasing sample indices.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x: expected shape (N,), got {x.shape}")
    if distance is not None and distance < 1:
        raise ValueError(f"distance must be >= 1, got {distance}")
    if wlen is not None:
        if not wlen > 1:
            raise ValueError(f"wlen must be > 1, got {wlen}")
        wlen = math.ceil(wlen)
    peaks = _local_maxima(x)
    if distance is not None and peaks.size:
        peaks = peaks[_keep_by_distance(peaks, x[peaks], distance)]
    return peaks[_prominences(x, peaks, wlen) >= prominence]


# --- correlation and windows -----------------------------------------------------------------

def _fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (an FFT length pocketfft handles quickly)."""
    best = 1 << max(n - 1, 0).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            q = p35
            while q < n:
                q *= 2
            best = min(best, q)
            p35 *= 3
        p5 *= 5
    return best


def cross_correlate_full(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full cross-correlation of real series along the last axis, via the FFT.

    out[..., k] = sum_i a[..., i + lag] b[..., i] with lag = correlation_lags_full(N, M)[k],
    as `scipy.signal.correlate(a, b, mode="full")` for each 1-D pair.

    Parameters
    ----------
    a : (..., N) real array
    b : (..., M) real array; leading axes broadcast against a's

    Returns
    -------
    (..., N + M - 1) float64
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n, m = a.shape[-1], b.shape[-1]
    if n == 0 or m == 0:
        raise ValueError(f"cannot correlate empty series (lengths {n} and {m})")
    size = n + m - 1
    nfft = _fast_len(size)
    spec = np.fft.rfft(a, nfft, axis=-1) * np.fft.rfft(b[..., ::-1], nfft, axis=-1)
    return np.fft.irfft(spec, nfft, axis=-1)[..., :size]


def correlation_lags_full(n: int, m: int) -> np.ndarray:
    """(n + m - 1,) lags, samples, of `cross_correlate_full` outputs: -(m - 1) .. n - 1."""
    return np.arange(-(m - 1), n)


def periodic_hann(n: int) -> np.ndarray:
    """(n,) periodic Hann window for spectral analysis (`scipy.signal.get_window("hann", n)`)."""
    if n < 1:
        raise ValueError(f"window length must be >= 1, got {n}")
    if n == 1:
        return np.ones(1)
    return np.hanning(n + 1)[:-1]


# --- moving-window filters (scipy.ndimage's 1-D filters) ----------------------------------------

#: scipy.ndimage's extension modes -> numpy.pad's (origin 0 only).
_PAD_MODES = {"reflect": "symmetric", "nearest": "edge", "constant": "constant"}


def _extended(x: np.ndarray, size: int, mode: str, cval: float) -> tuple[np.ndarray, int]:
    """(..., N) -> (..., N + size - 1) extended as scipy.ndimage extends a line: ``size // 2``
    samples before, ``size - size // 2 - 1`` after. Returns it and the axis length N."""
    if mode not in _PAD_MODES:
        raise ValueError(f"mode: expected one of {sorted(_PAD_MODES)}, got {mode!r}")
    if size < 1:
        raise ValueError(f"size: expected >= 1, got {size}")
    before = size // 2
    pad = [(0, 0)] * (x.ndim - 1) + [(before, size - before - 1)]
    kw = {"constant_values": cval} if mode == "constant" else {}
    return np.pad(x, pad, mode=_PAD_MODES[mode], **kw), x.shape[-1]


def uniform_filter1d(x: np.ndarray, size: int, axis: int = -1, mode: str = "reflect",
                     cval: float = 0.0) -> np.ndarray:
    """Moving mean over ``size`` samples along ``axis``, bit-identical to
    ``scipy.ndimage.uniform_filter1d(x, size, axis, mode=mode, cval=cval)`` for float input.

    scipy keeps a running sum in float64 (the first window's in order, then ``+ entering -
    leaving`` per step, one subtraction then one addition) and divides each by ``size``; a
    cumulative sum (sequential in NumPy) repeats it exactly.
    """
    a = np.asarray(x)
    out_dtype = a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64
    ext, n = _extended(np.moveaxis(a.astype(np.float64), axis, -1), size, mode, cval)
    with np.errstate(invalid="ignore"):   # inf leaving the window: NaN, as scipy (which says nothing)
        first = np.add.accumulate(ext[..., :size], axis=-1)[..., -1:]
        steps = ext[..., size : size + n - 1] - ext[..., : n - 1]
        run = np.cumsum(np.concatenate([first, steps], axis=-1), axis=-1) / float(size)
    return np.moveaxis(run, -1, axis).astype(out_dtype, copy=False)


def maximum_filter1d(x: np.ndarray, size: int, axis: int = -1, mode: str = "reflect",
                     cval: float = 0.0) -> np.ndarray:
    """Moving maximum over ``size`` samples along ``axis``, equal to
    ``scipy.ndimage.maximum_filter1d(x, size, axis, mode=mode, cval=cval)`` (no NaN in ``x``)."""
    a = np.asarray(x)
    ext, n = _extended(np.moveaxis(a, axis, -1), size, mode, cval)
    windows = np.lib.stride_tricks.sliding_window_view(ext, size, axis=-1)[..., :n, :]
    return np.moveaxis(windows.max(axis=-1), -1, axis).astype(a.dtype, copy=False)


def median_filter_nearest(x: np.ndarray, size: int) -> np.ndarray:
    """Moving median over an odd ``size`` of a 1-D signal, its ends extended by their edge values:
    equal to ``scipy.ndimage.median_filter(x, size=size, mode="nearest")`` (no NaN in ``x``)."""
    a = np.asarray(x)
    if a.ndim != 1 or size % 2 != 1:
        raise ValueError(f"median_filter_nearest: expected a 1-D signal and an odd size, got {a.shape} and {size}")
    ext, n = _extended(a, size, "nearest", 0.0)
    windows = np.lib.stride_tricks.sliding_window_view(ext, size)[:n]
    return np.partition(windows, size // 2, axis=-1)[:, size // 2].astype(a.dtype, copy=False)
