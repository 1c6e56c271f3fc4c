"""Dynamics: how much energy the dancer puts into the moves, and whether the accents ("hits") land.

Motion energy is the mean speed of the 12 core joints. On normalized coordinates (see
`engine.analysis.normalize`) it is in torso lengths per second, so dancers of different sizes and
camera distances compare directly.
"""

from __future__ import annotations

import numpy as np

from engine.analysis import kinematics
from engine.analysis.clean import fill_gaps
from engine.analysis.dsp import find_peaks_prominence
from engine.analysis.metrics._common import check_path
from engine.core.arrays import nanmean_or_none

#: Scale from the median absolute deviation to a Gaussian standard deviation.
MAD_TO_SIGMA = 1.4826

#: A hit's prominence must reach the largest of: HIT_MAD_K robust standard deviations of the
#: clip's energy (it stands out from the clip's own ups and downs), HIT_MEDIAN_FRAC of the
#: median energy (a real accent, not a ripple on continuous motion), and HIT_MAX_FRAC of the
#: clip's 95th percentile (so jitter on a clip that is mostly still, where the median and MAD
#: are ~0, is not called a hit). All relative: the thresholds follow each clip's own scale.
HIT_MAD_K = 3.0
HIT_MEDIAN_FRAC = 0.5
HIT_MAX_FRAC = 0.1
#: Percentile used instead of the maximum, so one tracking glitch cannot hide every hit.
HIT_HIGH_PERCENTILE = 95.0

#: Two hits closer than this are one accent (about a 16th note at 120 bpm), seconds.
HIT_MIN_GAP_S = 0.25

#: Prominence is measured within this window around each peak, seconds: a hit is a sharp,
#: local accent, not a slow swell that is high compared with a still intro far away.
HIT_PROMINENCE_WINDOW_S = 1.0

#: A teacher hit counts as matched by a student hit within this many seconds of it (after
#: mapping the teacher frame through the path).
HIT_TOLERANCE_S = 0.2

#: Floor added to both windowed energies before their ratio, as a fraction of the teacher's
#: median energy: keeps the ratio defined (and 1) when both dancers hold still.
ENERGY_FLOOR_FRAC = 0.05

#: Weight of the per-pair energy score in `dynamics_score`; the hit rate gets the rest.
PAIR_WEIGHT = 0.5


def motion_energy(world: np.ndarray, fps: float) -> np.ndarray:
    """Mean speed of the 12 core joints per frame, for the dynamics score.

    `engine.analysis.kinematics.motion_energy` with its defaults (central differences, NaN
    where unknown), as float32.

    Parameters
    ----------
    world : (N, 33, >=3) array
        Landmarks x, y, z (only these are used), any unit; NaN marks unknown joints. Not modified.
    fps : float
        Frames per second.

    Returns
    -------
    (N,) float32, input units per second (torso lengths / s on normalized coordinates).
        Central difference inside the clip, one-sided at its ends. A joint unknown in the
        frame or in a neighbour its difference uses is left out of that frame's mean; a frame
        with no usable joint (or a clip of one frame) is NaN.
    """
    return kinematics.motion_energy(world, fps).astype(np.float32)


def hits(energy: np.ndarray, fps: float, *, min_prominence: float | None = None) -> np.ndarray:
    """Frames of the motion accents ("hits"): sharp peaks of motion energy.

    Parameters
    ----------
    energy : (N,) array
        Motion energy (`motion_energy`), any unit per second. NaN gaps are bridged linearly
        for peak finding only. Not modified.
    fps : float
        Frames per second.
    min_prominence : float, optional
        Absolute prominence threshold in the energy's unit. Default: relative to the clip,
        the largest of HIT_MAD_K robust sigmas (median/MAD), HIT_MEDIAN_FRAC x median and
        HIT_MAX_FRAC x the 95th percentile.

    Returns
    -------
    (H,) intp, increasing frame indices; hits are at least HIT_MIN_GAP_S apart.
    """
    e = np.asarray(energy, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError(f"energy: expected shape (N,), got {e.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    finite = e[np.isfinite(e)]
    if finite.size < 3:
        return np.zeros(0, dtype=np.intp)
    if min_prominence is None:
        med = float(np.median(finite))
        sigma = MAD_TO_SIGMA * float(np.median(np.abs(finite - med)))
        high = float(np.percentile(finite, HIT_HIGH_PERCENTILE))
        threshold = max(HIT_MAD_K * sigma, HIT_MEDIAN_FRAC * med, HIT_MAX_FRAC * high)
    else:
        threshold = float(min_prominence)
    if not threshold > 0:
        return np.zeros(0, dtype=np.intp)  # a constant (e.g. all-still) clip has no accents
    # wlen must be odd and >= 3 for a centred window
    wlen = max(3, int(round(HIT_PROMINENCE_WINDOW_S * fps)) | 1)
    bridged, _ = fill_gaps(e, hold_ends=True)  # every gap, ends held flat
    peaks = find_peaks_prominence(bridged, threshold, wlen=wlen,
                                  distance=max(1, int(round(HIT_MIN_GAP_S * fps))))
    return peaks.astype(np.intp)


def _window_mean(x: np.ndarray, half: int) -> np.ndarray:
    """Mean of the finite values within +-half samples of each sample (NaN if none), (N,)."""
    n = x.size
    known = np.isfinite(x)
    csum = np.concatenate([[0.0], np.cumsum(np.where(known, x, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(known)])
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n)
    hi = np.clip(idx + half + 1, 0, n)
    count = ccount[hi] - ccount[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[hi] - csum[lo]) / count, np.nan)


def _match_hits(teacher_hits: np.ndarray, student_hits: np.ndarray, path: np.ndarray,
                tol_frames: float) -> tuple[int, int]:
    """(teacher hits inside the path's span, those matched one-to-one by a student hit)."""
    p0, p1 = path[:, 0], path[:, 1]
    order = np.argsort(p0, kind="stable")  # a DTW path is already sorted; be safe
    p0, p1 = p0[order], p1[order]
    left = np.searchsorted(p0, teacher_hits, side="left")
    right = np.searchsorted(p0, teacher_hits, side="right")
    inside = right > left
    # The student frames paired with teacher frame i form a run; its middle is where i lands.
    mapped = 0.5 * (p1[left[inside]] + p1[right[inside] - 1])
    used = np.zeros(student_hits.size, dtype=bool)
    matched = 0
    for target in mapped:  # a handful of hits per clip: a plain greedy loop is clearest
        gap = np.abs(student_hits - target)
        gap[used] = np.inf
        if gap.size and gap.min() <= tol_frames:
            used[int(np.argmin(gap))] = True
            matched += 1
    return int(inside.sum()), matched


def dynamics_scores(
    teacher_energy: np.ndarray,
    student_energy: np.ndarray,
    path: np.ndarray,
    fps: float,
    *,
    window_s: float = 1.0,
) -> tuple[np.ndarray, dict]:
    """Per-pair energy match and a hit summary.

    Per pair (i, j): the teacher's energy averaged over `window_s` around i and the student's
    around j, then ``100 * (low + f) / (high + f)`` with f = ENERGY_FLOOR_FRAC x the
    teacher's median energy. Linear in the ratio: a move danced with half the energy scores
    about 50, and more energy than the teacher costs the same as less (over-dancing is also
    off the choreography's dynamics).

    Parameters
    ----------
    teacher_energy : (N,) array, student_energy : (M,) array
        Motion energy (`motion_energy`), same unit. Not modified.
    path : (K, 2) integer array
        DTW pairs (teacher frame, student frame), monotonic.
    fps : float
        Frames per second of both tracks.
    window_s : float
        Averaging window, seconds.

    Returns
    -------
    per_pair : (K,) float32, 0..100, NaN where either windowed energy is unknown.
    summary : dict
        "energy_ratio": student / teacher mean energy over the frames the path covers (each
        frame once), float, or None if not computable;
        "teacher_hits": teacher hits within the path's span, int;
        "student_hits": all student hits, int;
        "hits_matched": teacher hits with a student hit within +-HIT_TOLERANCE_S of where the
        path maps them (one-to-one), int;
        "hit_rate": hits_matched / teacher_hits, 0..1, or None if the teacher has no hits.
    """
    t = np.asarray(teacher_energy, dtype=np.float64)
    s = np.asarray(student_energy, dtype=np.float64)
    if t.ndim != 1 or s.ndim != 1:
        raise ValueError(f"energies: expected 1-D arrays, got {t.shape} and {s.shape}")
    if not (fps > 0 and window_s > 0):
        raise ValueError(f"fps and window_s must be > 0, got {fps} and {window_s}")
    p = check_path(path, t.size, s.size)

    half = max(1, int(round(window_s * fps / 2)))
    tw = _window_mean(t, half)[p[:, 0]]
    sw = _window_mean(s, half)[p[:, 1]]
    t_finite = t[np.isfinite(t)]
    floor = ENERGY_FLOOR_FRAC * float(np.median(t_finite)) if t_finite.size else 0.0
    floor = max(floor, np.finfo(np.float64).tiny)  # both exactly still -> 1, not 0 / 0
    with np.errstate(invalid="ignore"):
        per_pair = 100.0 * (np.minimum(tw, sw) + floor) / (np.maximum(tw, sw) + floor)

    t_mean = nanmean_or_none(t[np.unique(p[:, 0])])
    s_mean = nanmean_or_none(s[np.unique(p[:, 1])])
    ratio = s_mean / t_mean if (t_mean is not None and s_mean is not None and t_mean > 0) else None

    t_hits = hits(t, fps)
    s_hits = hits(s, fps)
    n_teacher, n_matched = _match_hits(t_hits, s_hits, p, HIT_TOLERANCE_S * fps) if p.size else (0, 0)
    summary = {
        "energy_ratio": ratio,
        "teacher_hits": n_teacher,
        "student_hits": int(s_hits.size),
        "hits_matched": n_matched,
        "hit_rate": n_matched / n_teacher if n_teacher else None,
    }
    return per_pair.astype(np.float32), summary


def dynamics_score(per_pair: np.ndarray, summary: dict) -> float | None:
    """Overall dynamics, 0..100: PAIR_WEIGHT x mean per-pair score + the rest x 100 x hit rate.

    A part that cannot be computed (no finite pair, or a teacher with no hits) is left out and
    the other carries the whole weight; None when neither exists.
    """
    pair = nanmean_or_none(per_pair)
    rate = summary.get("hit_rate")
    if pair is None and rate is None:
        return None
    if rate is None:
        return pair
    if pair is None:
        return 100.0 * float(rate)
    return PAIR_WEIGHT * pair + (1.0 - PAIR_WEIGHT) * 100.0 * float(rate)
