"""Window features of a pose track for style similarity: how a dancer moves, not which steps.

Per window of `WINDOW_S` (hop `HOP_S`), from the normalised pose (`normalize`) and its joint
angles (`metrics.joint_angles`):

* posture: mean sin and cos of each joint angle (2 x 14);
* angular speed: mean and standard deviation of each joint's |d angle / dt|, degrees/s (2 x 14);
* rhythm: the share of the motion energy's power in the bands `BANDS_HZ` (4);
* body expansion: mean and standard deviation of the hands' and feet's distance from the hip
  centre, torso lengths (2).

`FEATURE_NAMES` names the columns. The pose is smoothed as `clean` does; frames nobody was seen
in are bridged when short and otherwise left out of the statistics; a window with under half its frames seen is dropped.
"""

from __future__ import annotations

import warnings

import numpy as np

from engine.analysis.clean import fill_gaps, smooth
from engine.analysis.metrics.angles import joint_angles
from engine.analysis.normalize import normalize
from engine.core.body import SCORED_JOINTS, Landmark
from engine.core.settings import CleanSettings

#: Window length and hop, seconds.
WINDOW_S, HOP_S = 4.0, 2.0
#: A clip shorter than a window but at least this long is one window, seconds.
MIN_WINDOW_S = 2.0
#: Movement-frequency bands of the motion energy, Hz.
BANDS_HZ: tuple[tuple[float, float], ...] = ((0.25, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0))
_ENDS = [int(j) for j in (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)]
#: Longest gap of unseen frames bridged, seconds.
MAX_GAP_S = 0.5

FEATURE_NAMES: tuple[str, ...] = (
    *(f"sin_{j}" for j in SCORED_JOINTS), *(f"cos_{j}" for j in SCORED_JOINTS),
    *(f"speed_mean_{j}" for j in SCORED_JOINTS), *(f"speed_std_{j}" for j in SCORED_JOINTS),
    *(f"band_{lo:g}_{hi:g}_hz" for lo, hi in BANDS_HZ), "expansion_mean", "expansion_std",
)


def _window_row(ang: np.ndarray, speed: np.ndarray, energy: np.ndarray, spread: np.ndarray, fps: float) -> np.ndarray:
    rad = np.radians(ang)
    e = np.nan_to_num(energy - np.nanmean(energy))
    power = np.abs(np.fft.rfft(e * np.hanning(len(e)))) ** 2
    freqs = np.fft.rfftfreq(len(e), 1.0 / fps)
    bands = np.array([power[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in BANDS_HZ])
    bands = bands / bands.sum() if bands.sum() > 0 else np.full(len(BANDS_HZ), 1.0 / len(BANDS_HZ))
    return np.concatenate([np.nanmean(np.sin(rad), 0), np.nanmean(np.cos(rad), 0), np.nanmean(speed, 0),
                           np.nanstd(speed, 0), bands, [np.nanmean(spread), np.nanstd(spread)]])


def window_features(world: np.ndarray, fps: float) -> np.ndarray:
    """(W, len(FEATURE_NAMES)) float64 features of a pose track's windows (W may be 0).

    world : (N, 33, 4) world landmarks, metres, NaN rows where nobody was seen; not modified
    fps : frames per second of the track
    """
    n = len(world)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    norm = normalize(world)
    xyz, _ = fill_gaps(norm[..., :3], int(round(MAX_GAP_S * fps)))
    # The product's own smoothing (`clean`): tracker jitter would otherwise read as angular speed.
    cs = CleanSettings()
    xyz = smooth(xyz, int(round(cs.smooth_window_s * fps)) | 1, cs.smooth_polyorder)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-NaN frames: NaN statistics, dropped below
        ang = joint_angles(xyz).astype(np.float64)
        speed = np.abs(np.gradient(ang, 1.0 / fps, axis=0)) if n > 1 else np.zeros_like(ang)
        energy = np.nanmean(np.linalg.norm(np.gradient(xyz, 1.0 / fps, axis=0), axis=-1), axis=1) if n > 1 \
            else np.zeros(n)
        spread = np.nanmean(np.linalg.norm(xyz[:, _ENDS, :], axis=-1), axis=1)
    win, hop = int(round(WINDOW_S * fps)), int(round(HOP_S * fps))
    if n < win:
        starts = [0] if n >= MIN_WINDOW_S * fps else []
        win = n
    else:
        starts = list(range(0, n - win + 1, hop))
    rows = []
    seen = np.isfinite(xyz).all(axis=(1, 2))
    for s in starts:
        sl = slice(s, s + win)
        if seen[sl].mean() < 0.5:
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            row = _window_row(ang[sl], speed[sl], energy[sl], spread[sl], fps)
        if np.isfinite(row).all():
            rows.append(row)
    return np.array(rows).reshape(len(rows), len(FEATURE_NAMES))
