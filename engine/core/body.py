"""The body model as data: BlazePose landmarks, bones, core joints, angle triplets, L/R pairs.

Every other module takes its index lists from here; none repeats them.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Landmark(IntEnum):
    """The 33 BlazePose landmarks, in MediaPipe's order. Left/right are the dancer's own."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


L = Landmark
N_LANDMARKS = len(Landmark)

#: The 12 core joints used for alignment features (12 x 3 coordinates = 36 features).
CORE_JOINTS: tuple[Landmark, ...] = (
    L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
    L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
)

#: Bones drawn for a skeleton: (from, to) landmark pairs.
BONES: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST), (L.LEFT_WRIST, L.LEFT_INDEX),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW), (L.RIGHT_ELBOW, L.RIGHT_WRIST), (L.RIGHT_WRIST, L.RIGHT_INDEX),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE), (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE), (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    (L.NOSE, L.LEFT_EYE), (L.NOSE, L.RIGHT_EYE), (L.LEFT_EYE, L.LEFT_EAR), (L.RIGHT_EYE, L.RIGHT_EAR),
)

#: Joint angles scored, as (a, vertex, b): the angle at `vertex` between the bones to a and b.
#: "torso" and "neck" are special (measured against the vertical / the torso axis), see metrics.
ANGLE_TRIPLETS: dict[str, tuple[Landmark, Landmark, Landmark]] = {
    "left_shoulder": (L.LEFT_HIP, L.LEFT_SHOULDER, L.LEFT_ELBOW),
    "right_shoulder": (L.RIGHT_HIP, L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    "left_elbow": (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
    "right_elbow": (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST),
    "left_wrist": (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_INDEX),
    "right_wrist": (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_INDEX),
    "left_hip": (L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE),
    "right_hip": (L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_KNEE),
    "left_knee": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    "right_knee": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    "left_ankle": (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    "right_ankle": (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
}

#: All scored joints: the triplet joints plus the two axial ones.
SCORED_JOINTS: tuple[str, ...] = (*ANGLE_TRIPLETS, "torso", "neck")

#: Landmarks each scored angle is computed from, in SCORED_JOINTS order: the triplet of a limb
#: joint; the shoulders and hips for "torso"; those and the nose for "neck".
ANGLE_POINTS: tuple[tuple[int, ...], ...] = tuple(
    tuple(int(p) for p in (ANGLE_TRIPLETS[j] if j in ANGLE_TRIPLETS else
                           (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
                           + ((L.NOSE,) if j == "neck" else ())))
    for j in SCORED_JOINTS)

#: End of a limb that is not a landmark: the midpoint of the hips or of the shoulders.
MID_HIP, MID_SHOULDER = "mid_hip", "mid_shoulder"

#: Limbs whose direction in the dancer's own frame is scored, as (name, from, to, side, joint):
#: `from`/`to` are landmarks or MID_HIP / MID_SHOULDER; side +1 for a left limb, -1 right, 0
#: axial. Each limb is reported as one scored joint, in `SCORED_JOINTS` order (upper arm ->
#: shoulder, forearm -> elbow, hand -> wrist, thigh -> hip, shin -> knee, foot -> ankle,
#: torso -> torso, head -> neck), so per-limb arrays share the joint columns.
LIMBS: tuple[tuple[str, Landmark | str, Landmark | str, int, str], ...] = (
    ("left_upper_arm", L.LEFT_SHOULDER, L.LEFT_ELBOW, 1, "left_shoulder"),
    ("right_upper_arm", L.RIGHT_SHOULDER, L.RIGHT_ELBOW, -1, "right_shoulder"),
    ("left_forearm", L.LEFT_ELBOW, L.LEFT_WRIST, 1, "left_elbow"),
    ("right_forearm", L.RIGHT_ELBOW, L.RIGHT_WRIST, -1, "right_elbow"),
    ("left_hand", L.LEFT_WRIST, L.LEFT_INDEX, 1, "left_wrist"),
    ("right_hand", L.RIGHT_WRIST, L.RIGHT_INDEX, -1, "right_wrist"),
    ("left_thigh", L.LEFT_HIP, L.LEFT_KNEE, 1, "left_hip"),
    ("right_thigh", L.RIGHT_HIP, L.RIGHT_KNEE, -1, "right_hip"),
    ("left_shin", L.LEFT_KNEE, L.LEFT_ANKLE, 1, "left_knee"),
    ("right_shin", L.RIGHT_KNEE, L.RIGHT_ANKLE, -1, "right_knee"),
    ("left_foot", L.LEFT_HEEL, L.LEFT_FOOT_INDEX, 1, "left_ankle"),
    ("right_foot", L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX, -1, "right_ankle"),
    ("torso", MID_HIP, MID_SHOULDER, 0, "torso"),
    ("head", MID_SHOULDER, L.NOSE, 0, "neck"),
)
LIMB_NAMES: tuple[str, ...] = tuple(limb[0] for limb in LIMBS)
#: Limb name -> the scored joint it is reported as.
LIMB_JOINT: dict[str, str] = {limb[0]: limb[4] for limb in LIMBS}
if tuple(LIMB_JOINT.values()) != SCORED_JOINTS:
    raise AssertionError("LIMBS must list one limb per scored joint, in SCORED_JOINTS order")
#: Limb name -> the body part it belongs to: limbs of one part that are off at the same time are
#: one mistake (a whole arm held lower turns the upper arm, the forearm and the hand).
LIMB_CHAIN: dict[str, str] = {
    "left_upper_arm": "left_arm", "right_upper_arm": "right_arm", "left_forearm": "left_arm",
    "right_forearm": "right_arm", "left_hand": "left_arm", "right_hand": "right_arm",
    "left_thigh": "left_leg", "right_thigh": "right_leg", "left_shin": "left_leg", "right_shin": "right_leg",
    "left_foot": "left_leg", "right_foot": "right_leg", "torso": "torso", "head": "head"}
if set(LIMB_CHAIN) != set(LIMB_NAMES):
    raise AssertionError("LIMB_CHAIN must name the body part of every limb in LIMBS")

#: Joint groups as shown in the UI's tolerance sliders.
JOINT_GROUP: dict[str, str] = {
    "left_shoulder": "shoulders", "right_shoulder": "shoulders",
    "left_elbow": "elbows", "right_elbow": "elbows",
    "left_wrist": "wrists", "right_wrist": "wrists",
    "left_hip": "hips", "right_hip": "hips",
    "left_knee": "knees", "right_knee": "knees",
    "left_ankle": "ankles", "right_ankle": "ankles",
    "torso": "torso", "neck": "neck",
}

#: Default tolerance per joint group, degrees. From the dance teaching notes: the hips carry
#: the groove and must be precise; hands and feet carry personal style.
DEFAULT_TOLERANCE_DEG: dict[str, float] = {
    "hips": 5.0, "knees": 15.0, "elbows": 15.0, "shoulders": 15.0,
    "wrists": 25.0, "ankles": 25.0, "torso": 10.0, "neck": 20.0,
}

#: Default weight per joint group (relative; normalized where used).
DEFAULT_JOINT_WEIGHT: dict[str, float] = {
    "hips": 1.0, "knees": 1.0, "elbows": 1.0, "shoulders": 1.5,
    "wrists": 0.5, "ankles": 0.5, "torso": 1.0, "neck": 0.5,
}

#: Landmark pairs swapped when mirroring (left <-> right).
LEFT_RIGHT_PAIRS: tuple[tuple[Landmark, Landmark], ...] = tuple(
    (lm, Landmark[lm.name.replace("LEFT_", "RIGHT_")])
    for lm in Landmark if lm.name.startswith("LEFT_")
) + ((L.MOUTH_LEFT, L.MOUTH_RIGHT),)

#: Index permutation that swaps every left landmark with its right twin.
MIRROR_PERMUTATION: tuple[int, ...] = tuple(
    {**{int(a): int(b) for a, b in LEFT_RIGHT_PAIRS}, **{int(b): int(a) for a, b in LEFT_RIGHT_PAIRS}}.get(i, i)
    for i in range(N_LANDMARKS)
)


def mirror_joint_name(name: str) -> str:
    """'left_elbow' -> 'right_elbow' and back; axial joints unchanged."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


def mid_hip(points: np.ndarray) -> np.ndarray:
    """Mid-hip point of landmarks (..., 33, D) -> (..., D), every coordinate given."""
    return 0.5 * (points[..., Landmark.LEFT_HIP, :] + points[..., Landmark.RIGHT_HIP, :])


def mid_shoulder(points: np.ndarray) -> np.ndarray:
    """Mid-shoulder point of landmarks (..., 33, D) -> (..., D), every coordinate given."""
    return 0.5 * (points[..., Landmark.LEFT_SHOULDER, :] + points[..., Landmark.RIGHT_SHOULDER, :])


def torso_length(points: np.ndarray) -> np.ndarray:
    """Mid-hip to mid-shoulder distance of landmarks (..., 33, D) -> (...), in their units.

    Pass only the coordinates that should count (e.g. ``world[..., :3]``, never visibility).
    """
    return np.linalg.norm(mid_shoulder(points) - mid_hip(points), axis=-1)


def hip_centre(points: np.ndarray) -> np.ndarray:
    """Mid-hip point of landmarks (..., 33, >=2) -> (..., 2): the first two coordinates only."""
    return mid_hip(points[..., :2])


def limb_end(points: np.ndarray, end: Landmark | str) -> np.ndarray:
    """One end of a limb (`LIMBS`) of landmarks (..., 33, D) -> (..., D)."""
    if end == MID_HIP:
        return mid_hip(points)
    if end == MID_SHOULDER:
        return mid_shoulder(points)
    return points[..., int(end), :]
