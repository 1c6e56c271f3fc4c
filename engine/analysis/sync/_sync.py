"""The sync stage's entry point: `sync` picks audio or motion and finds the active ranges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.sync._lag import MAX_LAG_S
from engine.analysis.sync.motion import active_range, motion_offset
from engine.analysis.sync.onset import audio_offset
from engine.core.errors import CompareError, SettingsError
from engine.core.settings import MIN_AUDIO_SYNC_CONFIDENCE, SYNC_CHOICES

METHODS = SYNC_CHOICES


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
    min_audio_confidence: float = MIN_AUDIO_SYNC_CONFIDENCE,
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
