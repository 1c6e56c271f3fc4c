"""Gaps filled, jitter smoothed: the cleaned Performance later stages trust.

Joints seen with low visibility and frames with no detection become gaps; interior gaps up to
`max_gap_s` are interpolated linearly (longer ones stay NaN: inventing a second of dancing
would be worse than admitting we did not see it); each finite stretch is then smoothed with a
Savitzky-Golay filter, which keeps the peaks of sharp dance hits better than a moving average
or One Euro at the same noise reduction. `filled` records what was interpolated.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.signal import savgol_filter

from .body import hip_centre
from .performance import Performance
from .settings import CleanSettings


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index runs where a 1-D bool mask is True."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def fill_gaps(x: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate interior NaN runs of at most `max_gap` samples.

    Parameters
    ----------
    x : (N,) float series with NaN gaps
    max_gap : longest gap filled, samples

    Returns
    -------
    filled_x : (N,) a new array
    was_filled : (N,) bool
    """
    out = np.array(x, dtype=np.float64, copy=True)
    was_filled = np.zeros(out.shape[0], dtype=bool)
    for start, stop in true_runs(~np.isfinite(out)):
        if start == 0 or stop == out.shape[0] or stop - start > max_gap:
            continue  # edges cannot be interpolated; long gaps stay unknown
        left, right = out[start - 1], out[stop]
        frac = np.arange(1, stop - start + 1) / (stop - start + 1)
        out[start:stop] = left + (right - left) * frac
        was_filled[start:stop] = True
    return out, was_filled


def smooth(x: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """Savitzky-Golay smoothing of each finite run of a (N,) series; runs shorter than the window
    are left as they are. Returns a new array."""
    out = np.array(x, dtype=np.float64, copy=True)
    if window <= polyorder:
        return out
    for start, stop in true_runs(np.isfinite(out)):
        if stop - start >= window:
            out[start:stop] = savgol_filter(out[start:stop], window, polyorder, mode="interp")
    return out


def _clean_landmarks(arr: np.ndarray, seen: np.ndarray, max_gap: int, window: int, polyorder: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(N, 33, 4) landmarks -> cleaned copy and (N, 33) filled flags. Visibility passes through."""
    out = arr.copy()
    out[..., :3][~seen] = np.nan
    filled = np.zeros(seen.shape, dtype=bool)
    for j in range(arr.shape[1]):
        for c in range(3):
            series, was_filled = fill_gaps(out[:, j, c], max_gap)
            out[:, j, c] = smooth(series, window, polyorder)
            filled[:, j] |= was_filled
    return out, filled


def clean(perf: Performance, settings: CleanSettings = CleanSettings()) -> Performance:
    """Gap-filled, smoothed copy of a Performance, with `filled` set. The input is not modified."""
    max_gap = int(round(settings.max_gap_s * perf.fps))
    window = int(round(settings.smooth_window_s * perf.fps)) | 1  # odd
    vis = perf.world[..., 3]
    seen = perf.detected[:, None] & (vis >= settings.visibility_threshold)
    world, filled = _clean_landmarks(perf.world, seen, max_gap, window, settings.smooth_polyorder)
    # Image landmarks share the visibility of the world ones (same model output).
    image, _ = _clean_landmarks(perf.image, seen, max_gap, window, settings.smooth_polyorder)
    return replace(perf, world=world.astype(np.float32), image=image.astype(np.float32),
                   hip_xy=hip_centre(image).astype(np.float32), filled=filled)
