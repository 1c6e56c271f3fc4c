"""The demo's ground truth: what was injected into the student, as written to truth.json.

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

from dataclasses import dataclass
from typing import Any

TRUTH_VERSION = 1


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


def round_time(x: float) -> float:
    """Round a time for the JSON: exact-looking values, stable across platforms."""
    return round(float(x), 6)
