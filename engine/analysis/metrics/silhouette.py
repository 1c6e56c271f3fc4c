"""Silhouette match: a soft, clothing-tolerant overlap of person-centred segmentation masks.

The masks (`Performance.mask`) are already centred on the hips and scaled by the skeleton's
torso length, so where the dancer stands and how big they look do not matter.

Per frame: a light Gaussian blur of the probability map, then a threshold at 128, which
smooths the outline (fabric folds, speckles, one-pixel holes) without moving it; then one
`cv2.distanceTransform` giving every pixel's distance to the silhouette.

Per pair (teacher silhouette T, student silhouette S), in pixels of the 128-px crop:

    cost(d)  = clip((d - TOLERANCE_PX) / (CAP_PX - TOLERANCE_PX), 0, 1)
    miss_TS  = sum over pixels of T of cost(distance to S) / area(T)
    miss_ST  = the same with T and S swapped
    score    = 100 * exp(-max(miss_TS, miss_ST) / COST_SCALE)

A pixel of one silhouette that lies within TOLERANCE_PX of the other is free, so baggy
clothes and a few pixels of outline disagreement cost (almost) nothing; further out the cost
grows to 1 at CAP_PX, so a missing or misplaced arm costs its whole area. `miss` is the
share of a silhouette that the other does not cover (soft), so the costs are already
normalised by area. The larger of the two directions is used, not their mean: a silhouette
error is usually one-sided (an arm where the other has none), and averaging with the clean
direction would halve it. The result is symmetric in teacher and student.

No geometric area normalisation (rescaling the student about its centroid to the
teacher's area): the crops are already scaled by the torso length measured on the skeleton,
which clothes do not change. Area is what clothes (and pose: an arm held out adds area)
change, so rescaling by it would shrink or inflate the whole outline and turn a puffer
jacket into misplaced limbs and feet; the distance tolerance absorbs clothing instead.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.analysis.metrics._common import check_path
from engine.core.arrays import nanmean_or_none

#: Mask side the pixel constants below are tuned for; other sizes scale them linearly.
REFERENCE_SIZE = 128

#: Threshold on the 0..255 probability: the model's own 50 % line.
THRESHOLD = 128

#: Gaussian sigma of the outline smoothing, pixels at REFERENCE_SIZE (a torso is ~26 px).
BLUR_SIGMA_PX = 1.0

#: Gaussian kernel half-width, in sigmas (the tails beyond 2 sigma do not move a threshold).
BLUR_RADIUS_SIGMAS = 2.0

#: Outline disagreement that is free, pixels at REFERENCE_SIZE (~0.12 torso lengths:
#: clothing, segmentation wobble, small scale jitter of the crop).
TOLERANCE_PX = 3.0

#: Distance at which a pixel costs fully, pixels at REFERENCE_SIZE (about an arm's width
#: beyond the tolerance: the limb is elsewhere, not just drawn fatter).
CAP_PX = 12.0

#: Uncovered share of a silhouette at which the score falls to 100 / e ~ 37. Tuned on
#: 128-px bodies: a whole extended forearm+arm missing is ~7-9 % of the body -> ~60-70.
COST_SCALE = 0.2

#: Costs are cached per frame as uint8 in 0..COST_LEVELS (memory: 16 KB per frame).
COST_LEVELS = 255  # also the uint8 saturation that `cv2.convertScaleAbs` applies

#: Pairs processed together; bounds the temporary arrays to ~CHUNK x 16 KB.
CHUNK = 256


def _check_masks(mask: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"{name}: expected shape (N, S, S), got {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"{name}: expected dtype uint8 (0..255), got {arr.dtype}")
    return arr


def _check_ok(ok: np.ndarray, n: int, name: str) -> np.ndarray:
    arr = np.asarray(ok)
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), got {arr.shape}")
    return arr.astype(bool)


def _prepare(masks: np.ndarray, frames: np.ndarray, *, flip: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binary silhouette, quantized cost map and area for each listed frame (computed once each).

    Returns (F, S*S) bool, (F, S*S) uint8 cost in 0..COST_LEVELS, (F,) float64 area in pixels.
    """
    size = masks.shape[1]
    px = size / REFERENCE_SIZE
    sigma, tol, cap = BLUR_SIGMA_PX * px, TOLERANCE_PX * px, CAP_PX * px
    ksize = 2 * int(np.ceil(BLUR_RADIUS_SIGMAS * sigma)) + 1
    gain = COST_LEVELS / (cap - tol)
    sil = np.empty((frames.size, size * size), dtype=bool)
    cost = np.empty((frames.size, size * size), dtype=np.uint8)
    for k, f in enumerate(frames):
        m = np.ascontiguousarray(masks[f])
        if flip:
            m = cv2.flip(m, 1)  # new array, left-right about the middle column
        smooth = cv2.GaussianBlur(m, (ksize, ksize), sigma)
        # 1 outside the silhouette (probability < THRESHOLD), 0 on it.
        _, outside = cv2.threshold(smooth, THRESHOLD - 1, 1, cv2.THRESH_BINARY_INV)
        # distanceTransform gives each nonzero pixel its distance to the nearest zero one,
        # i.e. every outside pixel its distance to the silhouette (0 on the silhouette).
        # The 5x5 mask is within ~2 % of the exact distance and twice as fast.
        dist = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_5)
        # (max(d, tol) - tol) * gain, rounded and saturated to 0..255 by convertScaleAbs.
        c = cv2.convertScaleAbs(cv2.max(dist, tol), alpha=gain, beta=-tol * gain)
        sil[k] = (outside == 0).ravel()
        cost[k] = c.ravel()
    return sil, cost, sil.sum(axis=1).astype(np.float64)


def _fill_skipped(score: np.ndarray, computed: np.ndarray, fillable: np.ndarray) -> np.ndarray:
    """Fill pairs skipped by the stride from the computed pairs bracketing them along the path.

    Linear interpolation between the nearest computed pair before and after; if only one of
    them is finite, its value; if neither, NaN. Only pairs whose own masks are usable are filled.
    """
    out = score.copy()
    k_comp = np.flatnonzero(computed)
    targets = np.flatnonzero(~computed & fillable)
    if targets.size == 0 or k_comp.size == 0:
        return out
    pos = np.searchsorted(k_comp, targets)  # computed pairs always include 0 and K-1
    k0 = k_comp[np.clip(pos - 1, 0, k_comp.size - 1)]
    k1 = k_comp[np.clip(pos, 0, k_comp.size - 1)]
    v0, v1 = score[k0], score[k1]
    w = np.where(k1 > k0, (targets - k0) / np.maximum(k1 - k0, 1), 0.0)
    both = np.isfinite(v0) & np.isfinite(v1)
    out[targets] = np.where(both, (1 - w) * v0 + w * v1, np.where(np.isfinite(v0), v0, v1))
    return out


def silhouette_scores(
    teacher_mask: np.ndarray,
    student_mask: np.ndarray,
    path: np.ndarray,
    *,
    mirror: bool,
    teacher_ok: np.ndarray,
    student_ok: np.ndarray,
    stride: int = 1,
) -> np.ndarray:
    """Per aligned pair, how well the two silhouettes match, 0..100 (see the module docstring).

    Parameters
    ----------
    teacher_mask : (N, S, S) uint8
        Person-centred masks, 0..255 probability. Not modified.
    student_mask : (M, S, S) uint8
        Same size S. Not modified.
    path : (K, 2) integer array
        DTW pairs (teacher frame, student frame). Repeated frames are processed once.
    mirror : bool
        The student dances the teacher's mirror image: flip the student's masks left-right
        (about the hip centre, which sits on the crop's middle column).
    teacher_ok : (N,) bool, student_ok : (M,) bool
        Frames whose masks can be trusted (e.g. `Performance.detected`).
    stride : int
        Compute every `stride`-th pair (and always the last); the pairs between are filled
        by linear interpolation along the path from the computed pairs on either side.

    Returns
    -------
    (K,) float32, 0..100. NaN where either frame is not ok or its mask is empty (nothing above
    the threshold), and for skipped pairs with no finite computed neighbour.
    """
    t = _check_masks(teacher_mask, "teacher_mask")
    s = _check_masks(student_mask, "student_mask")
    if t.shape[1:] != s.shape[1:]:
        raise ValueError(f"mask sizes differ: teacher {t.shape[1:]}, student {s.shape[1:]}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    p = check_path(path, t.shape[0], s.shape[0])
    t_ok = _check_ok(teacher_ok, t.shape[0], "teacher_ok")
    s_ok = _check_ok(student_ok, s.shape[0], "student_ok")

    n_pairs = p.shape[0]
    score = np.full(n_pairs, np.nan)
    if n_pairs == 0:
        return score.astype(np.float32)
    computed = np.zeros(n_pairs, dtype=bool)
    computed[::stride] = True
    computed[-1] = True
    usable = t_ok[p[:, 0]] & s_ok[p[:, 1]]
    todo = np.flatnonzero(computed & usable)

    if todo.size:
        # DTW paths repeat frames: prepare each distinct frame once, then index.
        t_frames, t_pos = np.unique(p[todo, 0], return_inverse=True)
        s_frames, s_pos = np.unique(p[todo, 1], return_inverse=True)
        t_sil, t_cost, t_area = _prepare(t, t_frames, flip=False)
        s_sil, s_cost, s_area = _prepare(s, s_frames, flip=mirror)
        for start in range(0, todo.size, CHUNK):
            ti = t_pos[start:start + CHUNK]
            si = s_pos[start:start + CHUNK]
            # bool x uint8 stays uint8 (no overflow: one factor is 0/1); sum in uint32.
            miss_ts = (t_sil[ti] * s_cost[si]).sum(axis=1, dtype=np.uint32) / COST_LEVELS
            miss_st = (s_sil[si] * t_cost[ti]).sum(axis=1, dtype=np.uint32) / COST_LEVELS
            with np.errstate(invalid="ignore", divide="ignore"):
                miss = np.maximum(miss_ts / t_area[ti], miss_st / s_area[si])
            ok = (t_area[ti] > 0) & (s_area[si] > 0)  # an empty mask is a missing one
            score[todo[start:start + CHUNK]] = np.where(ok, 100.0 * np.exp(-miss / COST_SCALE), np.nan)

    if stride > 1:
        score = _fill_skipped(score, computed, usable)
    return score.astype(np.float32)


def silhouette_score(per_pair: np.ndarray) -> float | None:
    """Overall silhouette score: mean of the finite per-pair scores, or None if there is none."""
    return nanmean_or_none(per_pair)
