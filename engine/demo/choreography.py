"""The routine and its clock: the teacher's keyframed pose parameters, the student's timing.

Pose parameters drive the drawn skeleton (`figure`); the student's body-time map, its arm error
and its own sway are the injected differences that `truth` records.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.interpolate import PchipInterpolator

from engine.demo.truth import Freeze, TempoSection, round_time

# --- clock -----------------------------------------------------------------------------------
FPS = 30.0
BPM = 120.0
BEAT_S = 60.0 / BPM
TEACHER_BEATS = 24                       # 6 bars of 4/4: 12 s at 120 BPM
TEACHER_DURATION_S = TEACHER_BEATS * BEAT_S
BEATS_PER_BAR = 4

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
PARAM_INDEX = {name: i for i, name in enumerate(POSE_PARAMS)}
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


class StudentTiming:
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
            sections.append(TempoSection((round_time(s0), round_time(s0 + length)),
                                         (round_time(t0), round_time(t0 + rate * length)), rate))
        s_end, t_end = knots[-1]
        if abs((t_end - s_end) - OFFSET_S) > 1e-9 or freeze_start <= s_end:
            raise AssertionError("tempo sections must end on time and before the freeze")
        knots.append((freeze_start, FREEZE_TEACHER_S))
        knots.append((freeze_start + FREEZE_S, FREEZE_TEACHER_S))
        missed = FREEZE_S + CATCH_UP_S          # teacher time to cover while catching up
        knots.append((freeze_start + FREEZE_S + CATCH_UP_S, FREEZE_TEACHER_S + missed))
        self.tempo_sections = tuple(sections)
        catch_up = TempoSection(
            (round_time(freeze_start + FREEZE_S), round_time(freeze_start + FREEZE_S + CATCH_UP_S)),
            (round_time(FREEZE_TEACHER_S), round_time(FREEZE_TEACHER_S + missed)), round_time(missed / CATCH_UP_S))
        self.freeze = Freeze(
            student_s=(round_time(freeze_start), round_time(freeze_start + FREEZE_S)),
            teacher_s=(round_time(FREEZE_TEACHER_S), round_time(FREEZE_TEACHER_S + FREEZE_S)),
            held_teacher_s=round_time(FREEZE_TEACHER_S), resume="catch_up", catch_up=catch_up)
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


def routine() -> Callable[[np.ndarray], np.ndarray]:
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


def sway(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """The student's own small smooth sway on the angle parameters, (N, len(POSE_PARAMS))."""
    out = np.zeros((t.size, len(POSE_PARAMS)))
    for name in ("l_shoulder", "l_elbow", "r_shoulder", "r_elbow", "lean", "head_tilt"):
        freq = rng.uniform(*WOBBLE_HZ, size=2)
        phase = rng.uniform(0.0, 2.0 * np.pi, size=2)
        waves = np.sin(2 * np.pi * freq[:, None] * t + phase[:, None])
        out[:, PARAM_INDEX[name]] = WOBBLE_DEG / 2 * waves.sum(axis=0)
    return out


def arm_error_weight(student_s: np.ndarray, timing: StudentTiming) -> np.ndarray:
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
