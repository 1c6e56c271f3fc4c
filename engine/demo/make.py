"""Procedurally rendered sample clips with known truth: a drawn dancer, as teacher and as student.

`make_demo(outdir)` writes ``teacher.mp4``, ``student.mp4`` and ``truth.json``. Both clips show
a drawn person facing the camera (the figure's own left arm is on the image's right, as in a
real front-facing video), posed by a small kinematic skeleton and dancing a short routine on a
120 BPM beat, with a music-like soundtrack (a melody note and a click on every beat, a bass note
on every bar). The student is the same routine with known, injected differences, so every stage
of the pipeline (sync, alignment, joint scores, moments) can be checked against the truth.

Time convention (as everywhere in the engine): ``teacher_s = student_s + offset_s`` for the same
musical moment; all times are seconds from the start of each file.

truth.json (``DemoTruth.to_json()``)
------------------------------------
version : int
    Layout version of this object (1).
seed : int
    The seed the clips were made with (it only varies the student's small body sway and the
    audio noise floor; all the injected differences below are fixed).
fps : float
    Frame rate of both clips, frames/s.
width, height : int
    Frame size of both clips, pixels.
audio_sr : int
    Audio sample rate, Hz.
bpm : float
    Tempo of the music, beats/min. The teacher's beats fall at ``k * 60 / bpm`` s, k = 0, 1, ...
teacher_duration_s, student_duration_s : float
    Length of each clip (frames / fps), seconds.
offset_s : float
    ``teacher_s - student_s`` for the same musical moment. Negative here: the student's file
    starts with ``-offset_s`` s of standing still in silence before the music starts. The
    student's soundtrack is the teacher's, unwarped, delayed by ``-offset_s``.
time_map : list of [student_s, teacher_s]
    At every student frame, the teacher time whose body pose the student's body is doing: the
    ground-truth alignment. Monotonic non-decreasing. Values of ``teacher_s`` below 0 (lead-in)
    mean the student is standing before the routine starts (the body shows the teacher's
    first pose). Rate changes are eased over +-0.05 s, so the rates below hold exactly only
    away from section edges.
tempo_sections : list of {"student_s": [a, b], "teacher_s": [c, d], "rate": r}
    Stretches danced at ``r`` times the teacher's speed (d - c = r * (b - a)): first slower
    (0.8x, the student falls behind), then faster (1.25x, catching up exactly).
arm_error : {"joint", "side", "delta_deg", "student_s", "teacher_s", "ramp_s"}
    The student's left arm is held ``delta_deg`` degrees lower at the shoulder (``joint`` is the
    `body.ANGLE_TRIPLETS` name; negative = smaller angle hip-shoulder-elbow) during the windows
    (full error), blending in and out over ``ramp_s`` seconds just outside them. In the image
    plane the drawn angle differs by exactly ``delta_deg``.
freeze : {"student_s", "teacher_s", "held_teacher_s", "resume", "catch_up"}
    The student holds the pose of teacher time ``held_teacher_s`` during ``student_s`` while the
    teacher dances on through ``teacher_s``. ``resume`` is ``"catch_up"``: the student then
    skips ahead by rushing through the missed steps within ``catch_up.student_s`` (covering
    ``catch_up.teacher_s`` at ``catch_up.rate``) and is on time again afterwards.
moves : list of {"name", "teacher_s": [a, b]}
    The routine's sections in teacher time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.interpolate import PchipInterpolator

from engine.core.files import write_text_atomic
from engine.core.progress import Progress
from engine.io.encode import write_mp4

TRUTH_VERSION = 1
TEACHER_FILE = "teacher.mp4"
STUDENT_FILE = "student.mp4"
TRUTH_FILE = "truth.json"

# --- clip format ---------------------------------------------------------------------------
FPS = 30.0
WIDTH, HEIGHT = 640, 480
AUDIO_SR = 44100
BPM = 120.0
BEAT_S = 60.0 / BPM
TEACHER_BEATS = 24                       # 6 bars of 4/4: 12 s at 120 BPM
TEACHER_DURATION_S = TEACHER_BEATS * BEAT_S
BEATS_PER_BAR = 4
VIDEO_CRF = 20                           # flat drawn colours compress well; keep edges crisp

# --- the routine (teacher), in beats ---------------------------------------------------------
#: (name, first beat, last beat) of each move.
MOVES: tuple[tuple[str, float, float], ...] = (
    ("ready", 0, 2), ("arms_up", 2, 8), ("side_step_wave", 8, 12),
    ("squat", 12, 16), ("arm_cross", 16, 20), ("hip_sway", 20, 24),
)

#: Pose parameters of the skeleton. Lengths are fractions of the stature, angles degrees.
#: sway: pelvis shift to image right; drop: pelvis lowered (knees bend); lean: torso tilt towards
#: image right; hip_roll: hip line rotation (+ lowers the left hip); *_shoulder: angle between
#: the bone to the same-side hip and the upper arm, + away from the body (this is exactly the 2D
#: hip-shoulder-elbow angle while it is in 0..180); *_elbow: forearm rotation from the upper arm
#: line, + further away from the body / up, - towards the midline; *_foot_out: foot shift away
#: from the midline; *_foot_lift: foot raised; turnout: how far the knees point sideways rather
#: than at the camera when they bend; head_tilt: head roll towards image right.
POSE_PARAMS: tuple[str, ...] = (
    "sway", "drop", "lean", "hip_roll", "l_shoulder", "l_elbow", "r_shoulder", "r_elbow",
    "l_foot_out", "r_foot_out", "l_foot_lift", "r_foot_lift", "turnout", "head_tilt",
)
_P = {name: i for i, name in enumerate(POSE_PARAMS)}
NEUTRAL: dict[str, float] = {
    "sway": 0.0, "drop": 0.0, "lean": 0.0, "hip_roll": 0.0,
    "l_shoulder": 12.0, "l_elbow": -8.0, "r_shoulder": 12.0, "r_elbow": -8.0,
    "l_foot_out": 0.0, "r_foot_out": 0.0, "l_foot_lift": 0.0, "r_foot_lift": 0.0,
    "turnout": 25.0, "head_tilt": 0.0,
}
_HANDS_ON_HIPS = {"l_shoulder": 42.0, "l_elbow": -108.0, "r_shoulder": 42.0, "r_elbow": -108.0}
_ARMS_CROSSED = {"l_shoulder": 16.0, "l_elbow": -128.0, "r_shoulder": 12.0, "r_elbow": -122.0}
_ARMS_OPEN = {"l_shoulder": 100.0, "l_elbow": 8.0, "r_shoulder": 100.0, "r_elbow": 8.0}
ARMS_UP_DEG = 140.0                      # shoulder angle of the "V", so -40 still reads as raised
STEP = 0.16                              # side step length, fraction of stature
LIFT = 0.035                             # foot lift mid-step
SQUAT_DROP = 0.15
BOUNCE_DROP = 0.025
SWAY = 0.07

#: Keyframes (beat, changes): each keyframe keeps the previous one's values except the changes.
#: PCHIP interpolation between them eases in and out of every held pose without overshoot.
KEYFRAMES: tuple[tuple[float, dict[str, float]], ...] = (
    (0, {}),
    (2, {}),
    # arms_up: raise both arms to a V, bounce on the beat, hold
    (3, {"l_shoulder": ARMS_UP_DEG, "l_elbow": 10.0, "r_shoulder": ARMS_UP_DEG, "r_elbow": 10.0}),
    (4, {"drop": BOUNCE_DROP}), (5, {"drop": 0.0}), (6, {"drop": BOUNCE_DROP}), (7, {"drop": 0.0}),
    (7.5, {}),
    # side_step_wave: step to the figure's left and back, left hand waving overhead
    (8, {"l_shoulder": 110.0, "l_elbow": 25.0, "r_shoulder": 18.0, "r_elbow": -10.0}),
    (8.5, {"l_foot_out": STEP / 2, "l_foot_lift": LIFT, "sway": STEP / 4, "l_elbow": 70.0}),
    (9, {"l_foot_out": STEP, "l_foot_lift": 0.0, "sway": STEP / 2, "l_elbow": 20.0}),
    (9.5, {"r_foot_out": -STEP / 2, "r_foot_lift": LIFT, "sway": 3 * STEP / 4, "l_elbow": 70.0}),
    (10, {"r_foot_out": -STEP, "r_foot_lift": 0.0, "sway": STEP, "l_elbow": 20.0}),
    (10.5, {"r_foot_out": -STEP / 2, "r_foot_lift": LIFT, "sway": 3 * STEP / 4, "l_elbow": 70.0}),
    (11, {"r_foot_out": 0.0, "r_foot_lift": 0.0, "sway": STEP / 2, "l_elbow": 20.0}),
    (11.5, {"l_foot_out": STEP / 2, "l_foot_lift": LIFT, "sway": STEP / 4, "l_elbow": 70.0}),
    (12, {"l_foot_out": 0.0, "l_foot_lift": 0.0, "sway": 0.0, "l_elbow": 20.0,
          "l_shoulder": 60.0, "r_shoulder": 60.0, "r_elbow": 0.0}),
    # squat: two plies, arms out to the sides
    (13, {"drop": SQUAT_DROP, "turnout": 50.0, "l_shoulder": 88.0, "l_elbow": 0.0,
          "r_shoulder": 88.0}),
    (14, {"drop": 0.0}),
    (15, {"drop": SQUAT_DROP}),
    (16, {"drop": 0.0, "turnout": NEUTRAL["turnout"], **_ARMS_CROSSED}),
    # arm_cross: cross in front of the chest, open wide, twice
    (17, _ARMS_OPEN), (18, _ARMS_CROSSED), (19, _ARMS_OPEN),
    (20, _HANDS_ON_HIPS),
    # hip_sway: hands on hips, hips out to each side on the beat
    (21, {"sway": SWAY, "lean": -4.0, "hip_roll": -6.0, "head_tilt": 4.0}),
    (22, {"sway": -SWAY, "lean": 4.0, "hip_roll": 6.0, "head_tilt": -4.0}),
    (23, {"sway": SWAY, "lean": -4.0, "hip_roll": -6.0, "head_tilt": 4.0}),
    (23.5, {"sway": 0.0, "lean": 0.0, "hip_roll": 0.0, "head_tilt": 0.0}),
    (24, {k: NEUTRAL[k] for k in ("l_shoulder", "l_elbow", "r_shoulder", "r_elbow")}),
)

# --- the student's injected differences -------------------------------------------------------
LEAD_IN_S = 0.7                          # standing still in silence before the music starts
OFFSET_S = -LEAD_IN_S
SLOW_START_TEACHER_S = 4.0               # the slow stretch starts with side_step_wave
SLOW_RATE, SLOW_STUDENT_S = 0.8, 2.0     # falls 0.4 s behind ...
FAST_RATE = 1.25                         # ... and catches up exactly at this rate
FAST_STUDENT_S = SLOW_STUDENT_S * (1.0 - SLOW_RATE) / (FAST_RATE - 1.0)
FREEZE_TEACHER_S = 8.6                   # mid arm_cross, between "crossed" and "open"
FREEZE_S = 0.6
CATCH_UP_S = 0.2                         # then rushes through the missed steps in this long
RATE_EASE_S = 0.05                       # half-width of the box that eases every rate change
ARM_ERROR_DEG = -40.0
ARM_ERROR_TEACHER_S = (2.5, 3.5)         # inside the arms_up hold (1.5 .. 3.75 s)
ARM_ERROR_RAMP_S = 0.15
WOBBLE_DEG = 1.5                         # the student's own small, smooth arm/torso sway
WOBBLE_HZ = (0.25, 0.7)

# --- the drawn body, fractions of stature -----------------------------------------------------
HEAD_H, HEAD_W = 0.135, 0.095
NECK = 0.04
TORSO = 0.29                             # hip joints to shoulder line
SHOULDER_HALF, HIP_HALF = 0.11, 0.055
UPPER_ARM, FOREARM, HAND = 0.18, 0.15, 0.095
THIGH, SHIN, ANKLE_H = 0.245, 0.245, 0.04
STANCE_HALF = HIP_HALF + 0.025           # ankle distance from the midline when standing
LEG_REACH = 0.998                        # straightest leg allowed (keeps the knee solvable)
R_UPPER_ARM, R_FOREARM, R_WRIST = 0.03, 0.025, 0.019
R_THIGH, R_KNEE, R_ANKLE = 0.052, 0.036, 0.024
R_NECK = 0.026
SLEEVE = 0.45                            # share of the upper arm covered by the sleeve
SLEEVE_FLARE = (1.15, 1.08)              # sleeve radius at shoulder and hem, x upper-arm radius
SHIFT = 4                                # cv2 sub-pixel bits: coordinates are drawn at 1/16 px
AA = cv2.LINE_AA
Color = tuple[int, int, int]


@dataclass(frozen=True)
class _Look:
    """How one dancer is drawn: body size and placement (pixels) and colours (RGB)."""

    stature: float
    base_x: float
    ground_y: float
    shoulder_scale: float
    skin: Color
    hair: Color
    shirt: Color
    trousers: Color
    shoes: Color
    wall: Color
    floor: Color


TEACHER_LOOK = _Look(stature=360.0, base_x=320.0, ground_y=458.0, shoulder_scale=1.0,
                     skin=(226, 178, 146), hair=(58, 40, 30), shirt=(196, 62, 58),
                     trousers=(44, 54, 86), shoes=(32, 32, 36), wall=(196, 202, 208),
                     floor=(150, 140, 128))
STUDENT_LOOK = _Look(stature=346.0, base_x=338.0, ground_y=462.0, shoulder_scale=1.06,
                     skin=(196, 140, 108), hair=(28, 22, 20), shirt=(58, 128, 92),
                     trousers=(72, 72, 76), shoes=(236, 236, 232), wall=(214, 204, 188),
                     floor=(128, 120, 112))

# --- music ---------------------------------------------------------------------------------
#: One melody note per beat (MIDI numbers), never repeating a bar, so cross-correlation of the
#: two soundtracks has a single clear peak instead of one per beat.
MELODY = (69, 72, 76, 72, 65, 69, 72, 77, 67, 72, 76, 79, 64, 68, 71, 76,
          69, 76, 72, 69, 74, 77, 81, 77)
BASS = (45, 41, 48, 43, 45, 40)          # one bass note per bar
NOTE_TAU_S, NOTE_LEN_S = 0.11, 0.45      # melody note decay time constant, length
BASS_TAU_S, BASS_LEN_S = 0.5, 1.9
CLICK_HZ, CLICK_TAU_S, CLICK_LEN_S = 2500.0, 0.008, 0.04
ATTACK_S = 0.003
NOTE_AMP, BASS_AMP, CLICK_AMP = 0.22, 0.3, 0.12
NOTE_HARMONICS, BASS_HARMONICS = (1.0, 0.35, 0.12), (1.0, 0.5)   # relative partial amplitudes
ACCENT = 1.6                             # loudness of a bar's first beat relative to the others
NOISE_AMP = 0.002                        # room noise floor (about -54 dBFS)



# ============================================================================ truth dataclasses

@dataclass(frozen=True)
class TempoSection:
    """A stretch the student dances at `rate` times the teacher's speed."""

    student_s: tuple[float, float]
    teacher_s: tuple[float, float]
    rate: float


@dataclass(frozen=True)
class ArmError:
    """A joint angle held wrong by a fixed amount (degrees; negative = smaller angle)."""

    joint: str
    side: str
    delta_deg: float
    student_s: tuple[float, float]
    teacher_s: tuple[float, float]
    ramp_s: float


@dataclass(frozen=True)
class Freeze:
    """The student holds a pose while the teacher dances on, then catches up."""

    student_s: tuple[float, float]
    teacher_s: tuple[float, float]
    held_teacher_s: float
    resume: str
    catch_up: TempoSection


@dataclass(frozen=True)
class Move:
    """One section of the routine, in teacher time."""

    name: str
    teacher_s: tuple[float, float]


@dataclass(frozen=True)
class DemoTruth:
    """Everything injected into the demo student, as written to truth.json (see module doc)."""

    seed: int
    fps: float
    width: int
    height: int
    audio_sr: int
    bpm: float
    teacher_duration_s: float
    student_duration_s: float
    offset_s: float
    time_map: tuple[tuple[float, float], ...]
    tempo_sections: tuple[TempoSection, ...]
    arm_error: ArmError
    freeze: Freeze
    moves: tuple[Move, ...]

    def to_json(self) -> dict[str, Any]:
        """The truth as a JSON-ready dict (lists, floats, strings)."""
        return {
            "version": TRUTH_VERSION, "seed": self.seed, "fps": self.fps,
            "width": self.width, "height": self.height, "audio_sr": self.audio_sr,
            "bpm": self.bpm, "teacher_duration_s": self.teacher_duration_s,
            "student_duration_s": self.student_duration_s, "offset_s": self.offset_s,
            "time_map": [list(p) for p in self.time_map],
            "tempo_sections": [_section_json(s) for s in self.tempo_sections],
            "arm_error": {"joint": self.arm_error.joint, "side": self.arm_error.side,
                          "delta_deg": self.arm_error.delta_deg,
                          "student_s": list(self.arm_error.student_s),
                          "teacher_s": list(self.arm_error.teacher_s),
                          "ramp_s": self.arm_error.ramp_s},
            "freeze": {"student_s": list(self.freeze.student_s),
                       "teacher_s": list(self.freeze.teacher_s),
                       "held_teacher_s": self.freeze.held_teacher_s,
                       "resume": self.freeze.resume,
                       "catch_up": _section_json(self.freeze.catch_up)},
            "moves": [{"name": m.name, "teacher_s": list(m.teacher_s)} for m in self.moves],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DemoTruth:
        """Inverse of `to_json` (e.g. of ``json.load`` of a truth.json)."""
        if obj.get("version") != TRUTH_VERSION:
            raise ValueError(f"truth.json: expected version {TRUTH_VERSION}, "
                             f"got {obj.get('version')!r}")
        arm, frz = obj["arm_error"], obj["freeze"]
        return cls(
            seed=obj["seed"], fps=obj["fps"], width=obj["width"], height=obj["height"],
            audio_sr=obj["audio_sr"], bpm=obj["bpm"],
            teacher_duration_s=obj["teacher_duration_s"],
            student_duration_s=obj["student_duration_s"], offset_s=obj["offset_s"],
            time_map=tuple((float(s), float(t)) for s, t in obj["time_map"]),
            tempo_sections=tuple(_section_from(s) for s in obj["tempo_sections"]),
            arm_error=ArmError(joint=arm["joint"], side=arm["side"], delta_deg=arm["delta_deg"],
                               student_s=_pair(arm["student_s"]), teacher_s=_pair(arm["teacher_s"]),
                               ramp_s=arm["ramp_s"]),
            freeze=Freeze(student_s=_pair(frz["student_s"]), teacher_s=_pair(frz["teacher_s"]),
                          held_teacher_s=frz["held_teacher_s"], resume=frz["resume"],
                          catch_up=_section_from(frz["catch_up"])),
            moves=tuple(Move(m["name"], _pair(m["teacher_s"])) for m in obj["moves"]),
        )


def _pair(v: Any) -> tuple[float, float]:
    return (float(v[0]), float(v[1]))


def _section_json(s: TempoSection) -> dict[str, Any]:
    return {"student_s": list(s.student_s), "teacher_s": list(s.teacher_s), "rate": s.rate}


def _section_from(obj: dict[str, Any]) -> TempoSection:
    return TempoSection(_pair(obj["student_s"]), _pair(obj["teacher_s"]), float(obj["rate"]))


def _r(x: float) -> float:
    """Round a time for the JSON: exact-looking values, stable across platforms."""
    return round(float(x), 6)


# ================================================================================ entry point

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
    timing = _StudentTiming()
    pose_at = _choreography()
    n_teacher = int(round(TEACHER_DURATION_S * FPS))
    n_student = int(round((TEACHER_DURATION_S - OFFSET_S) * FPS))
    student_t = np.arange(n_student) / FPS
    teacher_of_student = timing(student_t)
    wobble = _wobble(rng, student_t)
    arm_weight = _arm_error_weight(student_t, timing)

    music = _music()
    teacher_audio = music + NOISE_AMP * rng.standard_normal(music.size)
    lead_in = int(round(LEAD_IN_S * AUDIO_SR))
    student_music = np.concatenate([np.zeros(lead_in), music])
    student_audio = student_music + NOISE_AMP * rng.standard_normal(student_music.size)

    teacher_params = pose_at(np.arange(n_teacher) / FPS)
    student_params = pose_at(np.clip(teacher_of_student, 0.0, TEACHER_DURATION_S)) + wobble
    student_params[:, _P["l_shoulder"]] += ARM_ERROR_DEG * arm_weight

    # Each clip gets half of the progress range; frames stream straight into the encoder.
    teacher_frames = _frames(teacher_params, TEACHER_LOOK, "teacher", report, 0.0, 0.5)
    write_mp4(out / TEACHER_FILE, teacher_frames, FPS, audio=teacher_audio, sr=AUDIO_SR, crf=VIDEO_CRF)
    student_frames = _frames(student_params, STUDENT_LOOK, "student", report, 0.5, 0.5)
    write_mp4(out / STUDENT_FILE, student_frames, FPS, audio=student_audio, sr=AUDIO_SR, crf=VIDEO_CRF)

    truth = _truth(seed, n_teacher, n_student, student_t, teacher_of_student, timing)
    _write_json_atomic(out / TRUTH_FILE, truth.to_json())
    report(1.0, "demo written")
    return truth


def _truth(seed: int, n_teacher: int, n_student: int, student_t: np.ndarray,
           teacher_of_student: np.ndarray, timing: _StudentTiming) -> DemoTruth:
    arm_student = tuple(_r(t - OFFSET_S) for t in ARM_ERROR_TEACHER_S)
    return DemoTruth(
        seed=int(seed), fps=FPS, width=WIDTH, height=HEIGHT, audio_sr=AUDIO_SR, bpm=BPM,
        teacher_duration_s=_r(n_teacher / FPS), student_duration_s=_r(n_student / FPS),
        offset_s=_r(OFFSET_S),
        time_map=tuple((_r(s), _r(t)) for s, t in zip(student_t, teacher_of_student)),
        tempo_sections=timing.tempo_sections,
        arm_error=ArmError(joint="left_shoulder", side="left", delta_deg=ARM_ERROR_DEG,
                           student_s=arm_student, teacher_s=ARM_ERROR_TEACHER_S,
                           ramp_s=ARM_ERROR_RAMP_S),
        freeze=timing.freeze,
        moves=tuple(Move(name, (_r(a * BEAT_S), _r(b * BEAT_S))) for name, a, b in MOVES),
    )


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(obj, indent=1))


# ===================================================================== timing and choreography

class _StudentTiming:
    """The student's body-time map student_s -> teacher_s and the sections it is built from.

    Built as a piecewise-linear map (slope = rate), then eased by averaging over a short box
    (exactly, through the map's antiderivative), which keeps it monotonic and leaves every
    section boundary's teacher time unchanged once past the easing.
    """

    def __init__(self) -> None:
        # (student duration, rate) segments after the on-time start; gaps between run at 1.
        slow_start = SLOW_START_TEACHER_S - OFFSET_S
        freeze_start = FREEZE_TEACHER_S - OFFSET_S
        knots = [(slow_start, SLOW_START_TEACHER_S)]
        segments = [(SLOW_STUDENT_S, SLOW_RATE), (FAST_STUDENT_S, FAST_RATE)]
        sections = []
        for length, rate in segments:
            s0, t0 = knots[-1]
            knots.append((s0 + length, t0 + rate * length))
            sections.append(TempoSection((_r(s0), _r(s0 + length)),
                                         (_r(t0), _r(t0 + rate * length)), rate))
        s_end, t_end = knots[-1]
        if abs((t_end - s_end) - OFFSET_S) > 1e-9 or freeze_start <= s_end:
            raise AssertionError("tempo sections must end on time and before the freeze")
        knots.append((freeze_start, FREEZE_TEACHER_S))
        knots.append((freeze_start + FREEZE_S, FREEZE_TEACHER_S))
        missed = FREEZE_S + CATCH_UP_S          # teacher time to cover while catching up
        knots.append((freeze_start + FREEZE_S + CATCH_UP_S, FREEZE_TEACHER_S + missed))
        self.tempo_sections = tuple(sections)
        catch_up = TempoSection(
            (_r(freeze_start + FREEZE_S), _r(freeze_start + FREEZE_S + CATCH_UP_S)),
            (_r(FREEZE_TEACHER_S), _r(FREEZE_TEACHER_S + missed)), _r(missed / CATCH_UP_S))
        self.freeze = Freeze(
            student_s=(_r(freeze_start), _r(freeze_start + FREEZE_S)),
            teacher_s=(_r(FREEZE_TEACHER_S), _r(FREEZE_TEACHER_S + FREEZE_S)),
            held_teacher_s=_r(FREEZE_TEACHER_S), resume="catch_up", catch_up=catch_up)
        # On time (slope 1) before the first and after the last knot: extend far out.
        far = 1e3
        s_k = np.array([-far, *(s for s, _ in knots), knots[-1][0] + far])
        t_k = np.array([-far + OFFSET_S, *(t for _, t in knots), knots[-1][1] + far])
        self._s, self._t = s_k, t_k
        # Antiderivative of the piecewise-linear map at the knots (trapezoids are exact).
        self._area = np.concatenate([[0.0], np.cumsum(0.5 * (t_k[1:] + t_k[:-1]) * np.diff(s_k))])

    def _antiderivative(self, s: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(self._s, s, side="right") - 1, 0, len(self._s) - 2)
        ds = s - self._s[i]
        slope = (self._t[i + 1] - self._t[i]) / (self._s[i + 1] - self._s[i])
        return self._area[i] + self._t[i] * ds + 0.5 * slope * ds * ds

    def __call__(self, student_s: np.ndarray) -> np.ndarray:
        """Teacher body time (s) for student times (s), same shape."""
        s = np.asarray(student_s, dtype=float)
        h = RATE_EASE_S
        return (self._antiderivative(s + h) - self._antiderivative(s - h)) / (2.0 * h)


def _choreography() -> Callable[[np.ndarray], np.ndarray]:
    """Teacher pose parameters as a function of teacher time: (N,) s -> (N, len(POSE_PARAMS))."""
    state = dict(NEUTRAL)
    times, rows = [], []
    for beat, changes in KEYFRAMES:
        state.update(changes)
        times.append(beat * BEAT_S)
        rows.append([state[name] for name in POSE_PARAMS])
    interp = PchipInterpolator(np.array(times), np.array(rows), axis=0)
    t_min, t_max = times[0], times[-1]
    return lambda t: interp(np.clip(np.asarray(t, dtype=float), t_min, t_max))


def _wobble(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """The student's own small smooth sway on the angle parameters, (N, len(POSE_PARAMS))."""
    out = np.zeros((t.size, len(POSE_PARAMS)))
    for name in ("l_shoulder", "l_elbow", "r_shoulder", "r_elbow", "lean", "head_tilt"):
        freq = rng.uniform(*WOBBLE_HZ, size=2)
        phase = rng.uniform(0.0, 2.0 * np.pi, size=2)
        waves = np.sin(2 * np.pi * freq[:, None] * t + phase[:, None])
        out[:, _P[name]] = WOBBLE_DEG / 2 * waves.sum(axis=0)
    return out


def _arm_error_weight(student_s: np.ndarray, timing: _StudentTiming) -> np.ndarray:
    """0..1 share of the arm error at each student time: 1 inside the window, eased ramps outside."""
    a, b = (t - OFFSET_S for t in ARM_ERROR_TEACHER_S)
    if not np.allclose(timing(np.array([a, b])), ARM_ERROR_TEACHER_S):
        raise AssertionError("the arm-error window must lie where the student is on time")
    ramp_in = _smoothstep((student_s - (a - ARM_ERROR_RAMP_S)) / ARM_ERROR_RAMP_S)
    ramp_out = _smoothstep(((b + ARM_ERROR_RAMP_S) - student_s) / ARM_ERROR_RAMP_S)
    return np.minimum(ramp_in, ramp_out)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


# =================================================================================== skeleton

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate an image-space vector (y down) by `deg` clockwise on screen."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _skeleton(p: np.ndarray, look: _Look) -> dict[str, np.ndarray]:
    """Joint positions in image pixels (x right, y down) for one pose parameter vector.

    Arms are posed directly (angles in the image plane); legs by inverse kinematics from the
    pelvis to feet planted on the floor, with knees bending partly towards the camera (so a
    bend foreshortens the thigh, as in a real front view) and partly sideways (`turnout`).
    """
    v = dict(zip(POSE_PARAMS, p))
    H = look.stature
    up = _rot(np.array([0.0, -1.0]), v["lean"])
    right = _rot(np.array([1.0, 0.0]), v["lean"])
    hip_line = _rot(np.array([1.0, 0.0]), v["hip_roll"])
    ankle_y = look.ground_y - ANKLE_H * H
    j: dict[str, np.ndarray] = {}
    for side, sign in (("l", 1.0), ("r", -1.0)):   # the figure's left is on the image's right
        out = STANCE_HALF + v[f"{side}_foot_out"]
        lift = v[f"{side}_foot_lift"]
        j[f"{side}_ankle"] = np.array([look.base_x + sign * out * H, ankle_y - lift * H])
    # Pelvis: requested height, lowered where needed so that no leg is over-stretched.
    leg = (THIGH + SHIN) * H * LEG_REACH
    pelvis = np.array([look.base_x + v["sway"] * H, ankle_y - (THIGH + SHIN) * H + v["drop"] * H])
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = pelvis + sign * HIP_HALF * H * hip_line
        d = j[f"{side}_ankle"] - hip
        if abs(d[0]) < leg:
            lowest_ok = j[f"{side}_ankle"][1] - np.sqrt(leg ** 2 - d[0] ** 2)
            pelvis[1] = max(pelvis[1], pelvis[1] + lowest_ok - hip[1])
    j["pelvis"] = pelvis
    neck_base = pelvis + up * TORSO * H
    j["neck_base"] = neck_base
    head_up = _rot(up, v["head_tilt"])
    j["head"] = neck_base + head_up * (NECK + HEAD_H / 2) * H
    j["head_up"] = head_up
    j["up"], j["right"], j["hip_line"] = up, right, hip_line
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = pelvis + sign * HIP_HALF * H * hip_line
        shoulder = neck_base + sign * SHOULDER_HALF * look.shoulder_scale * H * right
        j[f"{side}_hip"], j[f"{side}_shoulder"] = hip, shoulder
        # Shoulder angle measured from the bone to the same-side hip, so that the drawn
        # hip-shoulder-elbow angle is exactly the parameter.
        down = _unit(hip - shoulder)
        outward = sign * np.array([down[1], -down[0]])
        a = np.radians(v[f"{side}_shoulder"])
        upper = np.cos(a) * down + np.sin(a) * outward
        e = np.radians(v[f"{side}_shoulder"] + v[f"{side}_elbow"])
        fore = np.cos(e) * down + np.sin(e) * outward
        j[f"{side}_elbow"] = shoulder + upper * UPPER_ARM * H
        j[f"{side}_wrist"] = j[f"{side}_elbow"] + fore * FOREARM * H
        j[f"{side}_fore_dir"] = fore
        j[f"{side}_knee"] = _knee(hip, j[f"{side}_ankle"], THIGH * H, SHIN * H, sign, v["turnout"])
    return j


def _knee(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float, sign: float,
          turnout_deg: float) -> np.ndarray:
    """Two-bone IK in 3D (z towards the camera), projected back to the image plane."""
    d3 = np.array([ankle[0] - hip[0], ankle[1] - hip[1], 0.0])
    dist = np.clip(np.linalg.norm(d3), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    dhat = d3 / np.linalg.norm(d3)
    along = (l1 ** 2 - l2 ** 2 + dist ** 2) / (2.0 * dist)
    height = np.sqrt(max(l1 ** 2 - along ** 2, 0.0))
    tau = np.radians(turnout_deg)
    hint = np.array([sign * np.sin(tau), 0.0, np.cos(tau)])
    bend = hint - hint.dot(dhat) * dhat
    bend /= np.linalg.norm(bend)
    knee = np.array([hip[0], hip[1], 0.0]) + along * dhat + height * bend
    return knee[:2]


# ==================================================================================== drawing
# Shape coordinates inside the drawing functions are fractions of the stature in the part's own
# frame (torso, hip line, head); they only shape the cartoon and no other module depends on them.

def _pt(p: np.ndarray) -> tuple[int, int]:
    return (int(round(p[0] * (1 << SHIFT))), int(round(p[1] * (1 << SHIFT))))


def _circle(img: np.ndarray, c: np.ndarray, r: float, color: Color) -> None:
    cv2.circle(img, _pt(c), int(round(r * (1 << SHIFT))), color, -1, AA, SHIFT)


def _poly(img: np.ndarray, pts: list[np.ndarray], color: Color) -> None:
    cv2.fillPoly(img, [np.array([_pt(p) for p in pts], np.int32)], color, AA, SHIFT)


def _limb(img: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float, color: Color) -> None:
    """A tapered, round-ended limb from a (radius ra) to b (radius rb), pixels."""
    d = b - a
    n = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-9)
    _poly(img, [a + n * ra, b + n * rb, b - n * rb, a - n * ra], color)
    _circle(img, a, ra, color)
    _circle(img, b, rb, color)


def _ellipse(img: np.ndarray, c: np.ndarray, axes: tuple[float, float], angle: float, color: Color,
             thickness: int = -1, arc: tuple[float, float] = (0.0, 360.0)) -> None:
    ax = (int(round(axes[0] * (1 << SHIFT))), int(round(axes[1] * (1 << SHIFT))))
    cv2.ellipse(img, _pt(c), ax, angle, arc[0], arc[1], color, thickness, AA, SHIFT)


def _shade(color: Color, k: float) -> Color:
    return tuple(int(np.clip(c * k, 0, 255)) for c in color)  # type: ignore[return-value]


def _background(look: _Look) -> np.ndarray:
    """Plain room: a wall with a soft vertical gradient and a floor. (HEIGHT, WIDTH, 3) uint8."""
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    horizon = int(look.ground_y - 0.11 * look.stature)
    y = np.arange(HEIGHT, dtype=np.float32)[:, None]
    img[:horizon] = np.array(look.wall, np.float32) * (0.92 + 0.08 * y[:horizon] / horizon)[..., None]
    img[horizon:] = np.array(look.floor, np.float32)
    img[horizon:horizon + 2] = np.array(_shade(look.wall, 0.8), np.float32)  # skirting line
    return img.astype(np.uint8)


def _draw(img: np.ndarray, j: dict[str, np.ndarray], look: _Look) -> None:
    """Draw the figure facing the camera, back to front. Modifies `img` in place."""
    H = look.stature
    up, right, hip_line = j["up"], j["right"], j["hip_line"]
    pelvis, neck_base = j["pelvis"], j["neck_base"]
    shadow = _shade(look.floor, 0.82)
    _ellipse(img, np.array([pelvis[0], look.ground_y]), (0.2 * H, 0.03 * H), 0.0, shadow)

    def torso_pt(x: float, y: float) -> np.ndarray:
        return pelvis + (x * right + y * up) * H

    def hip_pt(x: float, y: float) -> np.ndarray:
        hip_up = np.array([hip_line[1], -hip_line[0]])
        return pelvis + (x * hip_line + y * hip_up) * H

    # Legs, then trousers' seat over the thigh tops.
    for side, sign in (("r", -1.0), ("l", 1.0)):
        hip, knee, ankle = j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"]
        _ellipse(img, ankle + np.array([sign * 0.018, 0.028]) * H, (0.05 * H, 0.024 * H),
                 sign * 12.0, look.shoes)
        _limb(img, knee, ankle, R_KNEE * H, R_ANKLE * H, look.trousers)
        _limb(img, hip, knee, R_THIGH * H, R_KNEE * H, look.trousers)
    _poly(img, [torso_pt(-0.085, 0.07), torso_pt(0.085, 0.07), hip_pt(0.1, -0.01),
                hip_pt(0.03, -0.07), hip_pt(-0.03, -0.07), hip_pt(-0.1, -0.01)], look.trousers)
    # Neck, then the shirt over its base.
    head_up = j["head_up"]
    chin = neck_base + head_up * NECK * H
    _limb(img, neck_base - up * 0.02 * H, chin, R_NECK * H, R_NECK * H, _shade(look.skin, 0.9))
    sh = SHOULDER_HALF * look.shoulder_scale
    _poly(img, [torso_pt(-0.083, 0.05), torso_pt(-0.09, 0.13), torso_pt(-sh + 0.01, TORSO - 0.06),
                torso_pt(-sh - 0.012, TORSO - 0.005), torso_pt(-0.04, TORSO + 0.012),
                torso_pt(0.04, TORSO + 0.012), torso_pt(sh + 0.012, TORSO - 0.005),
                torso_pt(sh - 0.01, TORSO - 0.06), torso_pt(0.09, 0.13), torso_pt(0.083, 0.05)],
          look.shirt)
    roll = float(np.degrees(np.arctan2(right[1], right[0])))
    _ellipse(img, torso_pt(0.0, TORSO + 0.004), (0.028 * H, 0.012 * H), roll,
             _shade(look.skin, 0.9), arc=(0.0, 180.0))   # collar opening
    _draw_head(img, j["head"], head_up, look)
    # Arms last: they pass in front of the torso (crossed arms, hands on hips).
    for side, sign in (("r", -1.0), ("l", 1.0)):
        shoulder, elbow, wrist = j[f"{side}_shoulder"], j[f"{side}_elbow"], j[f"{side}_wrist"]
        fore = j[f"{side}_fore_dir"]
        _limb(img, elbow, wrist, R_FOREARM * H, R_WRIST * H, look.skin)
        _limb(img, shoulder, elbow, R_UPPER_ARM * H, R_FOREARM * H, look.skin)
        _limb(img, shoulder, shoulder + (elbow - shoulder) * SLEEVE, R_UPPER_ARM * H * SLEEVE_FLARE[0],
              R_UPPER_ARM * H * SLEEVE_FLARE[1], look.shirt)
        palm = wrist + fore * 0.045 * H
        angle = float(np.degrees(np.arctan2(fore[1], fore[0])))
        thumb_side = np.array([-fore[1], fore[0]]) * sign
        _limb(img, wrist + (fore * 0.01 + thumb_side * 0.015) * H,
              wrist + (fore * 0.05 + thumb_side * 0.035) * H, 0.009 * H, 0.007 * H, _shade(look.skin, 0.95))
        _ellipse(img, palm, (HAND * 0.5 * H, 0.026 * H), angle, look.skin)


def _draw_head(img: np.ndarray, c: np.ndarray, head_up: np.ndarray, look: _Look) -> None:
    """Head with hair, ears and a face (eyes, brows, nose, mouth) looking at the camera."""
    H = look.stature
    side = np.array([-head_up[1], head_up[0]])            # towards image right
    roll = float(np.degrees(np.arctan2(side[1], side[0])))

    def at(x: float, y: float) -> np.ndarray:
        return c + (x * side + y * head_up) * H

    hw, hh = HEAD_W / 2, HEAD_H / 2
    _ellipse(img, at(0.0, 0.012), ((hw + 0.007) * H, (hh + 0.002) * H), roll, look.hair)
    for x in (-hw, hw):
        _ellipse(img, at(x, -0.002), (0.011 * H, 0.017 * H), roll, _shade(look.skin, 0.92))
    _ellipse(img, at(0.0, -0.008), (hw * H, (hh - 0.006) * H), roll, look.skin)
    _ellipse(img, at(0.0, 0.03), ((hw - 0.004) * H, 0.024 * H), roll, look.hair, arc=(180.0, 360.0))
    for x in (-0.021, 0.021):
        _ellipse(img, at(x, 0.0), (0.0105 * H, 0.006 * H), roll, (245, 245, 245))
        _circle(img, at(x, 0.0), 0.0055 * H, (52, 38, 30))
        _ellipse(img, at(x, 0.014), (0.011 * H, 0.003 * H), roll, _shade(look.hair, 0.9))
    nose_color = _shade(look.skin, 0.72)
    _poly(img, [at(0.0, -0.004), at(0.008, -0.024), at(-0.008, -0.024)], _shade(look.skin, 0.86))
    _ellipse(img, at(0.0, -0.025), (0.009 * H, 0.0035 * H), roll, nose_color)
    _ellipse(img, at(0.0, -0.042), (0.015 * H, 0.006 * H), roll, (150, 62, 66), arc=(0.0, 180.0))


def _frames(params: np.ndarray, look: _Look, name: str, report: Progress, start: float,
            span: float) -> Iterator[np.ndarray]:
    """Render one clip lazily: (HEIGHT, WIDTH, 3) uint8 RGB frames, one per parameter row."""
    background = _background(look)
    n = len(params)
    for i, p in enumerate(params):
        img = background.copy()
        _draw(img, _skeleton(p, look), look)
        if i % int(FPS) == 0:
            report(start + span * i / n, f"rendering {name} clip: frame {i}/{n}")
        yield img


# ====================================================================================== audio

def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _tone(freq: float, length_s: float, tau_s: float, harmonics: tuple[float, ...]) -> np.ndarray:
    """A plucked tone: fast linear attack, exponential decay. (length_s * AUDIO_SR,) float."""
    t = np.arange(int(length_s * AUDIO_SR)) / AUDIO_SR
    wave = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return wave * np.minimum(t / ATTACK_S, 1.0) * np.exp(-t / tau_s)


def _music() -> np.ndarray:
    """The teacher's soundtrack: TEACHER_DURATION_S of mono float samples, beat 0 at t = 0."""
    n = int(round(TEACHER_DURATION_S * AUDIO_SR))
    out = np.zeros(n + int(BASS_LEN_S * AUDIO_SR))
    click = _tone(CLICK_HZ, CLICK_LEN_S, CLICK_TAU_S, (1.0,))
    for k in range(TEACHER_BEATS):
        start = int(round(k * BEAT_S * AUDIO_SR))
        accent = ACCENT if k % BEATS_PER_BAR == 0 else 1.0
        note = NOTE_AMP * accent * _tone(_midi_hz(MELODY[k]), NOTE_LEN_S, NOTE_TAU_S, NOTE_HARMONICS)
        out[start:start + note.size] += note
        out[start:start + click.size] += CLICK_AMP * accent * click
        if k % BEATS_PER_BAR == 0:
            bass_hz = _midi_hz(BASS[k // BEATS_PER_BAR])
            bass = BASS_AMP * _tone(bass_hz, BASS_LEN_S, BASS_TAU_S, BASS_HARMONICS)
            out[start:start + bass.size] += bass
    return out[:n]
