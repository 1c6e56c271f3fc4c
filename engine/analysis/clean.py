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

from engine.analysis.dsp import savgol_smooth
from engine.core.arrays import true_runs
from engine.core.body import hip_centre
from engine.core.performance import Performance
from engine.core.settings import CleanSettings


def _column_groups(known: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Columns of an (N, C) bool array grouped by identical pattern: [(pattern (N,), columns)]."""
    packed = np.ascontiguousarray(np.packbits(known, axis=0).T)  # (C, ceil(N / 8)) bytes
    groups: dict[bytes, list[int]] = {}
    for c in range(packed.shape[0]):
        groups.setdefault(packed[c].tobytes(), []).append(c)
    return [(known[:, cols[0]], np.array(cols)) for cols in groups.values()]


def fill_gaps(x: np.ndarray, max_gap: int | None = None, *,
              hold_ends: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate interior NaN runs of at most `max_gap` samples, per series.

    The one gap filler of the engine: `clean` (joint tracks), sync (motion signals, long gaps
    then set to 0) and dynamics (peak finding, every gap bridged) all use it.

    Parameters
    ----------
    x : (N,) or (N, ...) float series along axis 0 with NaN gaps; not modified
    max_gap : longest interior gap filled, samples; None fills every interior gap
    hold_ends : also fill the runs at the start and end with the nearest known value
        (as `np.interp` does); a series with no known value stays NaN

    Returns
    -------
    filled_x : same shape, float64, a new array
    was_filled : same shape, bool
    """
    out = np.array(x, dtype=np.float64, copy=True)
    was_filled = np.zeros(out.shape, dtype=bool)
    n = out.shape[0]
    if out.size == 0:
        return out, was_filled
    cols, flags = out.reshape(n, -1), was_filled.reshape(n, -1)  # views of the new arrays
    # Series with the same gaps are filled together.
    for known, group in _column_groups(np.isfinite(cols)):
        for start, stop in true_runs(~known):
            if start == 0 or stop == n:  # edges cannot be interpolated
                if not hold_ends or (start == 0 and stop == n):
                    continue
                cols[start:stop, group] = cols[stop if start == 0 else start - 1, group]
            elif max_gap is not None and stop - start > max_gap:
                continue  # long gaps stay unknown
            else:
                # np.interp's arithmetic (slope times steps, plus the left value), so every
                # caller gets the numbers it got when it used np.interp itself.
                left, right = cols[start - 1, group], cols[stop, group]
                slope = (right - left) / (stop - start + 1)
                steps = np.arange(1, stop - start + 1, dtype=np.float64)[:, None]
                cols[start:stop, group] = slope * steps + left
            flags[start:stop, group] = True
    return out, was_filled


def smooth(x: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """Savitzky-Golay smoothing of each finite run of each series along axis 0.

    `x` is (N,) or (N, ...); runs shorter than the window are left as they are; series with
    the same finite runs are smoothed together. Returns a new float64 array.
    """
    out = np.array(x, dtype=np.float64, copy=True)
    n = out.shape[0]
    if window <= polyorder or n < window:
        return out
    cols = out.reshape(n, -1)  # a view of `out`
    for known, group in _column_groups(np.isfinite(cols)):
        for start, stop in true_runs(known):
            if stop - start >= window:
                cols[start:stop, group] = savgol_smooth(cols[start:stop, group], window, polyorder)
    return out


def clean(perf: Performance, settings: CleanSettings = CleanSettings()) -> Performance:
    """Gap-filled, smoothed copy of a Performance, with `filled` set. The input is not modified."""
    max_gap = int(round(settings.max_gap_s * perf.fps))
    window = int(round(settings.smooth_window_s * perf.fps)) | 1  # odd
    vis = perf.world[..., 3]
    seen = perf.detected[:, None] & (vis >= settings.visibility_threshold)
    # Image landmarks share the visibility of the world ones (same model output), so both are
    # cleaned as one (N, 33, 6) block: coordinates with the same gaps are processed together.
    xyz = np.concatenate([perf.world[..., :3], perf.image[..., :3]], axis=2).astype(np.float64)
    xyz[~seen] = np.nan
    xyz, was_filled = fill_gaps(xyz, max_gap)
    xyz = smooth(xyz, window, settings.smooth_polyorder)
    world = np.concatenate([xyz[..., :3], perf.world[..., 3:]], axis=2).astype(np.float32)
    image = np.concatenate([xyz[..., 3:], perf.image[..., 3:]], axis=2).astype(np.float32)
    return replace(perf, world=world, image=image, hip_xy=hip_centre(image).astype(np.float32),
                   filled=was_filled[..., :3].any(axis=2))
