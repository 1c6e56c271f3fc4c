"""Procedurally rendered sample clips with known truth: a drawn dancer, as teacher and as student.

`make_demo(outdir)` writes ``teacher.mp4``, ``student.mp4`` and ``truth.json``. Both clips show
a drawn person facing the camera (the figure's own left arm is on the image's right, as in a
real front-facing video), posed by a small kinematic skeleton and dancing a short routine on a
120 BPM beat, with a music-like soundtrack (a melody note and a click on every beat, a bass note
on every bar). The student is the same routine with known, injected differences, so every stage
of the pipeline (sync, alignment, joint scores, moments) can be checked against the truth.

Time convention (as everywhere in the engine): ``teacher_s = student_s + offset_s`` for the same
musical moment; all times are seconds from the start of each file.

The pieces: `choreography` (the routine and the student's timing), `figure` (the drawn dancer),
`music` (the soundtrack), `truth` (what truth.json records, and its layout).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from engine.core.files import write_text_atomic
from engine.core.progress import Progress
from engine.demo.choreography import (
    ARM_ERROR_DEG,
    ARM_ERROR_RAMP_S,
    ARM_ERROR_TEACHER_S,
    BEAT_S,
    BPM,
    FPS,
    LEAD_IN_S,
    MOVES,
    OFFSET_S,
    PARAM_INDEX,
    TEACHER_DURATION_S,
    StudentTiming,
    arm_error_weight,
    routine,
    sway,
)
from engine.demo.figure import HEIGHT, STUDENT_LOOK, TEACHER_LOOK, WIDTH, frames
from engine.demo.music import AUDIO_SR, NOISE_AMP, soundtrack
from engine.demo.truth import ArmError, DemoTruth, Move, round_time
from engine.io.encode import write_mp4

TEACHER_FILE = "teacher.mp4"
STUDENT_FILE = "student.mp4"
TRUTH_FILE = "truth.json"
VIDEO_CRF = 20                           # flat drawn colours compress well; keep edges crisp


def make_demo(outdir: str | os.PathLike[str], *, seed: int = 0,
              progress: Progress | None = None) -> DemoTruth:
    """Render the demo teacher and student clips and write them with their truth.

    Parameters
    ----------
    outdir : path-like
        Folder to write ``teacher.mp4``, ``student.mp4`` and ``truth.json`` into (created if
        missing; existing files of those names are replaced atomically).
    seed : int
        Varies only the student's small natural sway and the audio noise floor; the same seed
        gives byte-identical truth.json.
    progress : callable(fraction, message), optional
        Called with fraction in [0, 1] as rendering proceeds.

    Returns
    -------
    DemoTruth
        The injected differences, also written to ``truth.json``.
    """
    report = progress or (lambda fraction, message: None)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    timing = StudentTiming()
    pose_at = routine()
    n_teacher = int(round(TEACHER_DURATION_S * FPS))
    n_student = int(round((TEACHER_DURATION_S - OFFSET_S) * FPS))
    student_t = np.arange(n_student) / FPS
    teacher_of_student = timing(student_t)
    wobble = sway(rng, student_t)
    arm_weight = arm_error_weight(student_t, timing)

    music = soundtrack()
    teacher_audio = music + NOISE_AMP * rng.standard_normal(music.size)
    lead_in = int(round(LEAD_IN_S * AUDIO_SR))
    student_music = np.concatenate([np.zeros(lead_in), music])
    student_audio = student_music + NOISE_AMP * rng.standard_normal(student_music.size)

    teacher_params = pose_at(np.arange(n_teacher) / FPS)
    student_params = pose_at(np.clip(teacher_of_student, 0.0, TEACHER_DURATION_S)) + wobble
    student_params[:, PARAM_INDEX["l_shoulder"]] += ARM_ERROR_DEG * arm_weight

    # Each clip gets half of the progress range; frames stream straight into the encoder.
    teacher_frames = frames(teacher_params, TEACHER_LOOK, "teacher", report, 0.0, 0.5)
    write_mp4(out / TEACHER_FILE, teacher_frames, FPS, audio=teacher_audio, sr=AUDIO_SR, crf=VIDEO_CRF)
    student_frames = frames(student_params, STUDENT_LOOK, "student", report, 0.5, 0.5)
    write_mp4(out / STUDENT_FILE, student_frames, FPS, audio=student_audio, sr=AUDIO_SR, crf=VIDEO_CRF)

    truth = _truth(seed, n_teacher, n_student, student_t, teacher_of_student, timing)
    _write_json_atomic(out / TRUTH_FILE, truth.to_json())
    report(1.0, "demo written")
    return truth


def _truth(seed: int, n_teacher: int, n_student: int, student_t: np.ndarray,
           teacher_of_student: np.ndarray, timing: StudentTiming) -> DemoTruth:
    arm_student = tuple(round_time(t - OFFSET_S) for t in ARM_ERROR_TEACHER_S)
    return DemoTruth(
        seed=int(seed), fps=FPS, width=WIDTH, height=HEIGHT, audio_sr=AUDIO_SR, bpm=BPM,
        teacher_duration_s=round_time(n_teacher / FPS), student_duration_s=round_time(n_student / FPS),
        offset_s=round_time(OFFSET_S),
        time_map=tuple((round_time(s), round_time(t)) for s, t in zip(student_t, teacher_of_student)),
        tempo_sections=timing.tempo_sections,
        arm_error=ArmError(joint="left_shoulder", side="left", delta_deg=ARM_ERROR_DEG,
                           student_s=arm_student, teacher_s=ARM_ERROR_TEACHER_S,
                           ramp_s=ARM_ERROR_RAMP_S),
        freeze=timing.freeze,
        moves=tuple(Move(name, (round_time(a * BEAT_S), round_time(b * BEAT_S))) for name, a, b in MOVES),
    )


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(obj, indent=1))
