"""The sync stage's entry point: `sync` picks audio or motion and finds the active ranges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.sync._lag import MAX_LAG_S
from engine.analysis.sync.motion import active_range, motion_offset
from engine.analysis.sync.audio_lag import decide_sync, windowed_audio_offset
from engine.analysis.sync.onset import OnsetEnvelope, sync_envelope
from engine.core.errors import CompareError, SettingsError
from engine.core.settings import MIN_AUDIO_SYNC_CONFIDENCE, MIN_MOTION_SYNC_CONFIDENCE, SYNC_AGREE_S, SYNC_CHOICES

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
    reason : str
        Why this method and offset won, in words (e.g. "audio +0.81 s: 15 of 15 windows agree
        ...; motion +0.70 s agrees"); shown to the user and kept in the report.
    """

    method: str
    offset_s: float
    confidence: float
    teacher_active_s: tuple[float, float]
    student_active_s: tuple[float, float]
    reason: str = ""


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
    teacher_envelope: OnsetEnvelope | None = None,
    student_envelope: OnsetEnvelope | None = None,
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
        "auto": the audio lag when independent windows of the music agree on it (confidence
        >= `min_audio_confidence`), whatever motion says; else weak audio that motion
        confirms; else motion if it is confident; else "none" (`audio_lag.decide_sync`).
        "audio" / "motion": only that one, whatever its confidence. "none": offset 0.
    min_audio_confidence : float
        0..1, see "auto".
    teacher_motion, student_motion : (N, C), (M, C) arrays, optional
        `motion_signature` of each clip; when both are given the motion offset uses them
        (more reliable than the energy).
    max_lag_s : float
        Largest |offset| searched, seconds.
    teacher_envelope, student_envelope : OnsetEnvelope, optional
        `onset.sync_envelope` of each soundtrack, made ahead: used instead of the audio (give
        one or the other per clip; the result is the same).

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

    def result(name: str, offset_s: float, confidence: float, reason: str) -> SyncResult:
        return SyncResult(method=name, offset_s=float(offset_s), confidence=float(confidence),
                          teacher_active_s=active_t, student_active_s=active_s, reason=reason)

    if method == "none":
        return result("none", 0.0, 0.0, "sync off: each clip's dancing aligned by DTW alone")

    wants_audio = method in ("audio", "auto")
    if wants_audio and teacher_envelope is None and teacher_audio is not None:
        teacher_envelope = sync_envelope(teacher_audio, sr)
    if wants_audio and student_envelope is None and student_audio is not None:
        student_envelope = sync_envelope(student_audio, sr)
    have_audio = teacher_envelope is not None and student_envelope is not None
    if method == "audio" and not have_audio:
        missing = (("teacher", teacher_envelope), ("student", student_envelope))
        which = " and ".join(name for name, a in missing if a is None)
        raise CompareError(f"audio sync needs sound in both clips, but the {which} clip has none; "
                           "use sync 'motion' or 'auto' instead")
    lag = windowed_audio_offset(teacher_envelope=teacher_envelope, student_envelope=student_envelope,
                                max_lag_s=max_lag_s) if wants_audio and have_audio else None
    if method == "audio":
        return result("audio", lag.offset_s, lag.confidence,
                      f"audio chosen: {lag.windows_agreeing} of {lag.windows_total} windows agree")
    if teacher_motion is not None and student_motion is not None:
        m_off, m_conf = motion_offset(teacher_motion, student_motion, fps, max_lag_s=max_lag_s)
    else:
        m_off, m_conf = motion_offset(teacher_energy, student_energy, fps, max_lag_s=max_lag_s)
    if method == "motion":
        return result("motion", m_off, m_conf, "motion chosen")
    d = decide_sync(lag, m_off, m_conf, min_audio_confidence=min_audio_confidence,
                    min_motion_confidence=MIN_MOTION_SYNC_CONFIDENCE, agree_s=SYNC_AGREE_S)
    return result(d.method, d.offset_s, d.confidence, d.reason)
