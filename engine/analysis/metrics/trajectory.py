"""Travel across the floor: does the student's hip move the way the teacher's does?

Input is the hip centre in the image (`Performance.hip_xy`, x and y normalized to the frame
width and height). Two corrections make the two clips comparable:

* x is multiplied by the frame's aspect ratio (width / height), so one unit is one frame
  height in both directions and a step sideways weighs the same as a step toward the camera;
* positions are divided by the dancer's median torso length in those same units
  (`torso_scale_xy`), so a dancer filmed from twice as far, who looks half as big and
  travels half as many pixels, gets the same speeds. Speeds are in torso lengths per second.

Mirroring: ``mirror=True`` means the student dances the reflection of the teacher's
choreography, exactly as `engine.analysis.normalize.mirror_world` reflects a pose (x -> -x with left
and right swapped). A reflection about a vertical line reverses every horizontal displacement
in the image, whichever way the dancers face: the teacher stepping to their own left (image
right, when facing the camera) is matched by the mirrored student stepping to their own right
(image LEFT). So with ``mirror=True`` the student's x displacement is negated before the
comparison, and that pair scores 100; y (toward / away from the camera) is unchanged.
"""

from __future__ import annotations

import numpy as np

from engine.analysis.metrics._common import check_path
from engine.core.arrays import nanmean_or_none
from engine.core.body import Landmark, torso_length

#: Direction term = ((1 + cos) / 2) ** DIRECTION_EXPONENT, cos = cosine between the two
#: displacement vectors. ((1 + cos) / 2) is cos^2 of half the angle; squaring it keeps small
#: differences cheap (20 deg -> 0.94, 30 deg -> 0.87: camera perspective alone bends image
#: directions that much) but makes real ones expensive (90 deg: sideways instead of forward
#: -> 0.25; opposite -> 0).
DIRECTION_EXPONENT = 2.0

#: Speed term = max(0, 1 - |log2(slower / faster)| / SPEED_OCTAVES_TO_ZERO): every halving of
#: speed costs the same share. Travelling half as far -> 0.67, a quarter -> 0.33, an eighth
#: -> 0. Log-ratio, because "twice as fast" and "half as fast" are equally wrong.
SPEED_OCTAVES_TO_ZERO = 3.0

_NO_TORSO = float("nan")


def torso_scale_xy(image: np.ndarray, width: float, height: float) -> float:
    """Median torso length in aspect-corrected normalized image units.

    Parameters
    ----------
    image : (N, 33, >=2) array
        Image landmarks, x and y normalized to the frame (0..1). Not modified.
    width, height : float
        Upright frame size, pixels (only their ratio matters).

    Returns
    -------
    float
        Median over frames of |shoulder midpoint - hip midpoint| with x scaled by
        width / height (units: frame heights). NaN if no frame has both shoulders and hips.
    """
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[1] != len(Landmark) or arr.shape[2] < 2:
        raise ValueError(f"image: expected shape (N, {len(Landmark)}, >=2), got {arr.shape}")
    if not (width > 0 and height > 0):
        raise ValueError(f"width and height must be positive, got {width} x {height}")
    xy = arr[..., :2].astype(np.float64)
    xy[..., 0] *= width / height
    length = torso_length(xy)
    length = length[np.isfinite(length) & (length > 0)]
    return float(np.median(length)) if length.size else _NO_TORSO


def _check_xy(xy: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(xy)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name}: expected shape (N, 2), got {arr.shape}")
    return arr


def _velocity(xy: np.ndarray, fps: float, scale: float, aspect: float, half: int) -> np.ndarray:
    """Displacement over +-half frames around each frame, torso lengths / s, shape (N, 2).

    Near the clip's ends the window is cut short (and the elapsed time with it). NaN where an
    end of the window is unknown, or the clip has a single frame.
    """
    n = xy.shape[0]
    if not (np.isfinite(scale) and scale > 0):
        # No torso was measurable: there is no unit, so every speed is unknown.
        return np.full((n, 2), np.nan)
    p = xy.astype(np.float64)  # a copy: the input is never touched
    p[:, 0] *= aspect
    p /= scale
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, max(n - 1, 0))
    hi = np.clip(idx + half, 0, max(n - 1, 0))
    dt = (hi - lo) / fps
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (p[hi] - p[lo]) / np.where(dt > 0, dt, np.nan)[:, None]
    return v


def trajectory_scores(
    teacher_xy: np.ndarray,
    student_xy: np.ndarray,
    path: np.ndarray,
    *,
    fps: float,
    teacher_scale: float,
    student_scale: float,
    mirror: bool,
    window_s: float = 0.5,
    still_speed: float = 0.25,
    teacher_aspect: float = 1.0,
    student_aspect: float = 1.0,
) -> np.ndarray:
    """Per aligned pair, how well the student's travel matches the teacher's, 0..100.

    For each pair (i, j) the hip displacement over `window_s` centred on frame i (teacher) and
    on frame j (student) is turned into a velocity in torso lengths per second. Then:

    * both faster than `still_speed`: ``100 * D * S`` with the direction term
      ``D = ((1 + cos) / 2) ** DIRECTION_EXPONENT`` and the speed term
      ``S = max(0, 1 - |log2(v_slow / v_fast)| / SPEED_OCTAVES_TO_ZERO)``;
    * both slower (dancing in place): 100;
    * one still, one travelling at speed v: ``100 * S`` with the still one's speed taken as
      `still_speed` (its direction is noise, so D = 1): the further the mover travels, the
      lower (v = 2 x still_speed -> 67, 4x -> 33, 8x -> 0). Flooring at `still_speed` makes
      this agree with the both-moving rule at the threshold when directions agree.

    The 0.5 s window spans a beat or two, so in-place grooves (hip sways that come back)
    cancel out and only real travel remains.

    Parameters
    ----------
    teacher_xy : (N, 2) array
        Teacher hip centre, normalized image coordinates (`Performance.hip_xy`). Not modified.
    student_xy : (M, 2) array
        Student hip centre, same units. Not modified.
    path : (K, 2) integer array
        DTW pairs (teacher frame, student frame).
    fps : float
        Frame rate of both tracks, frames / s.
    teacher_scale, student_scale : float
        Torso length in aspect-corrected units (`torso_scale_xy`). NaN -> all scores NaN.
    mirror : bool
        The student dances the teacher's mirror image: negate the student's x displacement.
    window_s : float
        Displacement window, seconds.
    still_speed : float
        Below this speed, torso lengths / s, a dancer counts as standing in place.
    teacher_aspect, student_aspect : float
        Frame width / height of each clip; x is multiplied by it. Leave at 1.0 only when the
        xy are already isotropic.

    Returns
    -------
    (K,) float32, 0..100; NaN where a position (or the scale) is unknown.
    """
    t_xy = _check_xy(teacher_xy, "teacher_xy")
    s_xy = _check_xy(student_xy, "student_xy")
    p = check_path(path, t_xy.shape[0], s_xy.shape[0])
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if not (window_s > 0 and still_speed > 0):
        raise ValueError(f"window_s and still_speed must be > 0, got {window_s} and {still_speed}")
    for name, value in (("teacher_scale", teacher_scale), ("student_scale", student_scale)):
        if value <= 0:  # NaN passes on purpose: an unknown scale means unknown scores
            raise ValueError(f"{name} must be a positive torso length, got {value}")

    half = max(1, int(round(window_s * fps / 2)))
    vt = _velocity(t_xy, fps, teacher_scale, teacher_aspect, half)[p[:, 0]]
    vs = _velocity(s_xy, fps, student_scale, student_aspect, half)[p[:, 1]]
    if mirror:
        vs[:, 0] = -vs[:, 0]  # vs is a fresh array from fancy indexing

    st = np.linalg.norm(vt, axis=1)
    ss = np.linalg.norm(vs, axis=1)
    both_moving = (st >= still_speed) & (ss >= still_speed)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip(np.sum(vt * vs, axis=1) / (st * ss), -1.0, 1.0)
        direction = np.where(both_moving, (0.5 * (1.0 + cos)) ** DIRECTION_EXPONENT, 1.0)
        # A still dancer's speed is floored at still_speed: both still -> ratio 1.
        slow = np.maximum(np.minimum(st, ss), still_speed)
        fast = np.maximum(np.maximum(st, ss), still_speed)
        speed = np.clip(1.0 - np.abs(np.log2(slow / fast)) / SPEED_OCTAVES_TO_ZERO, 0.0, 1.0)
    score = 100.0 * direction * speed
    score[~(np.isfinite(st) & np.isfinite(ss))] = np.nan
    return score.astype(np.float32)


def trajectory_score(per_pair: np.ndarray) -> float | None:
    """Overall trajectory score: mean of the finite per-pair scores, or None if there is none."""
    return nanmean_or_none(per_pair)
