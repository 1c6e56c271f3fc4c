"""The drawn dancer: a small kinematic skeleton posed by the pose parameters, drawn with cv2.

Shape coordinates inside the drawing functions are fractions of the stature in the part's own
frame (torso, hip line, head); they only shape the cartoon and no other module depends on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from engine.core.progress import Progress
from engine.demo.choreography import FPS, POSE_PARAMS

WIDTH, HEIGHT = 640, 480                 # frame size of both clips, pixels

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
class Look:
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


TEACHER_LOOK = Look(stature=360.0, base_x=320.0, ground_y=458.0, shoulder_scale=1.0,
                     skin=(226, 178, 146), hair=(58, 40, 30), shirt=(196, 62, 58),
                     trousers=(44, 54, 86), shoes=(32, 32, 36), wall=(196, 202, 208),
                     floor=(150, 140, 128))
STUDENT_LOOK = Look(stature=346.0, base_x=338.0, ground_y=462.0, shoulder_scale=1.06,
                     skin=(196, 140, 108), hair=(28, 22, 20), shirt=(58, 128, 92),
                     trousers=(72, 72, 76), shoes=(236, 236, 232), wall=(214, 204, 188),
                     floor=(128, 120, 112))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate an image-space vector (y down) by `deg` clockwise on screen."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def skeleton(p: np.ndarray, look: Look) -> dict[str, np.ndarray]:
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


def _background(look: Look) -> np.ndarray:
    """Plain room: a wall with a soft vertical gradient and a floor. (HEIGHT, WIDTH, 3) uint8."""
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    horizon = int(look.ground_y - 0.11 * look.stature)
    y = np.arange(HEIGHT, dtype=np.float32)[:, None]
    img[:horizon] = np.array(look.wall, np.float32) * (0.92 + 0.08 * y[:horizon] / horizon)[..., None]
    img[horizon:] = np.array(look.floor, np.float32)
    img[horizon:horizon + 2] = np.array(_shade(look.wall, 0.8), np.float32)  # skirting line
    return img.astype(np.uint8)


def _draw(img: np.ndarray, j: dict[str, np.ndarray], look: Look) -> None:
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


def _draw_head(img: np.ndarray, c: np.ndarray, head_up: np.ndarray, look: Look) -> None:
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


def frames(params: np.ndarray, look: Look, name: str, report: Progress, start: float,
            span: float) -> Iterator[np.ndarray]:
    """Render one clip lazily: (HEIGHT, WIDTH, 3) uint8 RGB frames, one per parameter row."""
    background = _background(look)
    n = len(params)
    for i, p in enumerate(params):
        img = background.copy()
        _draw(img, skeleton(p, look), look)
        if i % int(FPS) == 0:
            report(start + span * i / n, f"rendering {name} clip: frame {i}/{n}")
        yield img
