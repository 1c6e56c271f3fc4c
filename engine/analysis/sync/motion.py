"""Motion offset and active ranges: how and when each dancer moves.

`motion_signature` (vertical joint velocities) feeds `motion_offset`, the lag search on motion
for clips without usable audio; `motion_energy` (mean core-joint speed, the definition in
`engine.analysis.kinematics`) feeds `active_range`, where each dancer actually dances.
"""

from __future__ import annotations

import numpy as np

from engine.analysis import kinematics
from engine.analysis.dsp import median_filter_nearest, uniform_filter1d
from engine.analysis.kinematics import MOTION_GROUPS, bridge_gaps, check_track, joint_mean
from engine.analysis.sync._lag import MAX_LAG_S, best_lag, standardize
from engine.core.arrays import true_runs
from engine.core.body import mid_hip

__all__ = ["MOTION_GROUPS", "active_range", "motion_energy", "motion_offset", "motion_signature"]

#: The same for motion as `onset.AUDIO_RATIO_*`. Two different dancers move alike only
#: roughly, and any two dances share a beat-like rhythm: 10 s windows of unrelated dances
#: reach 1.5..1.8, 10 s windows of the real pair 1.1..2.0, the whole real pair 2.3.
MOTION_RATIO_NONE = 1.5
MOTION_RATIO_FULL = 2.5
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


def motion_energy(landmarks: np.ndarray, fps: float, *, use_z: bool = True,
                  per_group: bool = False) -> np.ndarray:
    """Sync's motion energy: mean speed of the 12 core joints per frame, gap-free.

    `kinematics.motion_energy` with forward differences and gaps bridged up to
    `MAX_INTERP_GAP_S`.

    Parameters
    ----------
    landmarks : (N, 33, 4) array
        World (metres) or image (normalized) landmarks with visibility. Not modified.
    fps : float
        Frame rate of the track, frames/s.
    use_z : bool
        Include z (pass False for image landmarks, whose z is a rough relative depth).
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
    return kinematics.motion_energy(landmarks, fps, difference="forward", use_z=use_z,
                                    per_group=per_group, bridge_gap_s=MAX_INTERP_GAP_S)


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
    arr = check_track(landmarks, fps)
    n = arr.shape[0]
    if n < 2:
        return np.zeros((n, len(MOTION_GROUPS)))
    y = arr[..., 1:2].astype(np.float64)
    y = (y - mid_hip(y)[:, None])[..., 0]  # (N, 33) heights relative to the hips
    vy = np.diff(y, axis=0) * fps
    vy = np.concatenate([vy[:1], vy])  # frame i: the step from i-1 to i; frame 0 repeats 1
    max_gap = int(round(MAX_INTERP_GAP_S * fps))
    return np.stack([bridge_gaps(joint_mean(vy[:, list(pair)]), max_gap) for pair in MOTION_GROUPS],
                    axis=1)


def _motion_envelope(x: np.ndarray, fps: float) -> np.ndarray:
    """(N,) or (N, C) motion signal -> (C, N) smoothed, detrended, standardized."""
    e = np.asarray(x, dtype=np.float64)
    e = e[:, None] if e.ndim == 1 else e
    e = np.where(np.isfinite(e), e, 0.0).T
    e = uniform_filter1d(e, max(1, int(round(MOTION_SMOOTH_S * fps))), axis=1, mode="nearest")
    e = e - uniform_filter1d(e, max(1, int(round(MOTION_DETREND_S * fps))), axis=1, mode="nearest")
    return standardize(e)


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
    return best_lag(env_t, env_s, float(fps), max_lag_s, (MOTION_RATIO_NONE, MOTION_RATIO_FULL))


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
    smooth = median_filter_nearest(e, max(1, int(round(ACTIVE_SMOOTH_S / dt))) | 1)
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
