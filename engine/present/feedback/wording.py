"""Words for the facts of a comparison: times, joints, moments, sync.

The analysis layer gives numbers (`Moment` holds joint, signed error, lateness, duration); every
sentence a student reads about them is written here, so the report JSON, the charts, the CLI,
the coaching paragraph and the downloads all say the same thing.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from engine.core.body import LIMB_JOINT

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Moment

#: Joint names in words (others: "left_knee" -> "left knee").
JOINT_WORDS: dict[str, str] = {"neck": "head", "torso": "torso"}
#: Limbs as a dancer names them, by the joint each limb is reported as (`body.LIMBS`).
LIMB_WORDS: dict[str, str] = {
    "upper_arm": "arm", "forearm": "forearm", "hand": "hand", "thigh": "thigh", "shin": "lower leg",
    "foot": "foot", "torso": "torso", "head": "head"}
#: Direction words of a limb moment: (axis, sign) -> words; sided limbs (arms, legs) and axial
#: ones (torso, head: "out" is toward the dancer's own left).
SIDED_DIRECTION_WORDS: dict[tuple[str, bool], str] = {
    ("out", True): "more out to the side", ("out", False): "closer in to the body",
    ("up", True): "higher", ("up", False): "lower",
    ("forward", True): "further forward", ("forward", False): "further back"}
AXIAL_DIRECTION_WORDS: dict[str, dict[tuple[str, bool], str]] = {
    "torso": {("out", True): "leaning {deg} further to the left", ("out", False): "leaning {deg} further to the right",
              ("up", True): "{deg} more upright", ("up", False): "leaning {deg} more",
              ("forward", True): "leaning {deg} further forward", ("forward", False): "leaning {deg} further back"},
    "head": {("out", True): "tilted {deg} further to the left", ("out", False): "tilted {deg} further to the right",
             ("up", True): "{deg} higher", ("up", False): "{deg} lower",
             ("forward", True): "{deg} further forward", ("forward", False): "{deg} further back"},
}
_JOINT_LIMB = {joint: limb for limb, joint in LIMB_JOINT.items()}
#: Component names as a dance teacher says them.
COMPONENT_WORDS: dict[str, str] = {
    "pose": "body positions", "timing": "timing", "trajectory": "floor pattern",
    "silhouette": "shape and extension", "dynamics": "energy and accents"}


def finite(x: Any) -> bool:
    """A real, finite number (numpy scalars included; None, bools and NaN are not)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def format_time(t: float) -> str:
    """Seconds -> "m:ss.s" (e.g. 4.23 -> "0:04.2", 59.97 -> "1:00.0"); negatives clamp to 0."""
    tenths = int(round(max(float(t), 0.0) * 10)) if finite(t) else 0
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def eight_words(eight: int) -> str:
    """8-count number in words: 3 -> "8-count 3"; 0 (the beats before the first downbeat) -> "pickup"."""
    return f"8-count {eight}" if eight > 0 else "pickup"


def describe_counts(counts: tuple[tuple[int, int], tuple[int, int]] | None) -> str | None:
    """A span in dance counts (`Moment.counts`), or None without counts.

    Examples: ((3, 5), (3, 5)) -> "8-count 3, count 5"; ((3, 5), (3, 6)) -> "8-count 3, count 5-6";
    ((3, 7), (4, 2)) -> "8-count 3, count 7 to 8-count 4, count 2"; ((0, 7), (1, 1)) -> "pickup,
    count 7 to 8-count 1, count 1".
    """
    if counts is None:
        return None
    (e0, c0), (e1, c1) = counts
    if e0 == e1:
        return f"{eight_words(e0)}, count {c0}" + ("" if c1 == c0 else f"-{c1}")
    return f"{eight_words(e0)}, count {c0} to {eight_words(e1)}, count {c1}"


def counts_note(reason: str | None) -> str:
    """Why times are given in seconds only (`BeatGrid.reason`), as one sentence."""
    return f"Times are in seconds only, not dance counts: {reason or 'no beat was found'}."


def joint_words(joint: str) -> str:
    """"left_knee" -> "left knee", "neck" -> "head"."""
    return JOINT_WORDS.get(joint, joint.replace("_", " "))


def and_join(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b, and c"; two items joined by "and"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _side_part(joint: str) -> tuple[str, str]:
    side, _, part = joint.partition("_")
    return (side, part) if part else ("", side)


def describe_limb(joint: str, axis: str, error_deg: float) -> str:
    """A limb's signed direction difference in words, one direction and its size.

    Parameters
    ----------
    joint : the student's own joint the limb is reported as, e.g. "left_shoulder" (upper arm)
    axis : "out", "up" or "forward" (`score.AXES`)
    error_deg : student - teacher along the axis, degrees (`Moment.error_deg`)

    Returns
    -------
    str
        e.g. "left arm 30 degrees lower than the teacher", "torso leaning 20 degrees further
        forward than the teacher".
    """
    limb = _JOINT_LIMB.get(joint)
    if limb is None:
        raise ValueError(f"no limb is reported as joint {joint!r}")
    side, part = _side_part(limb) if limb.startswith(("left_", "right_")) else ("", limb)
    deg = f"{abs(error_deg):.0f} degrees"
    key = (axis, error_deg > 0)
    if part in AXIAL_DIRECTION_WORDS:
        return f"{LIMB_WORDS[part]} {AXIAL_DIRECTION_WORDS[part][key].format(deg=deg)} than the teacher"
    return f"{side} {LIMB_WORDS[part]} {deg} {SIDED_DIRECTION_WORDS[key]} than the teacher"


def describe_form(joint: str, error_deg: float) -> str:
    """A signed flexion-angle difference at a joint in words: the words of form moments in
    reports written before limb moments (`describe_limb`), rebuilt by `engine.present.history`.

    Parameters
    ----------
    joint : the student's own joint, e.g. "left_shoulder"
    error_deg : student angle minus teacher angle, degrees

    Returns
    -------
    str
        e.g. "left arm 34 degrees lower than the teacher".
    """
    side, part = _side_part(joint)
    deg = f"{abs(error_deg):.0f} degrees"
    more = error_deg > 0
    if part == "shoulder":
        return f"{side} arm {deg} {'higher' if more else 'lower'} than the teacher"
    if part in ("elbow", "knee", "wrist"):
        return f"{side} {part} {deg} {'straighter' if more else 'more bent'} than the teacher"
    if part == "hip":
        return f"{side} hip {deg} {'more open' if more else 'more folded'} than the teacher"
    if part == "ankle":
        return f"{side} foot {deg} {'more pointed' if more else 'more flexed'} than the teacher"
    if part == "torso":
        return f"torso leaning {deg} {'more' if more else 'less'} than the teacher"
    if part == "neck":
        return f"head tilted {deg} {'more' if more else 'less'} than the teacher"
    return f"{joint} off by {deg}"


def describe_timing(late_s: float) -> str:
    """Lateness in seconds (negative: early) -> "late by 0.3 s" / "early by 0.3 s"."""
    return f"{'late' if late_s > 0 else 'early'} by {abs(late_s):.1f} s"


def describe_moment(m: Moment) -> str:
    """What happened in a moment, in words (the report's `detail`).

    Examples: "left arm 34 degrees lower than the teacher", "right forearm 25 degrees further
    forward than the teacher", "late by 0.4 s (at worst) against the music", "stood still for
    1.2 s while the teacher kept moving".
    """
    if m.kind == "form":
        return describe_form(m.joint, m.error_deg) if m.axis is None else describe_limb(m.joint, m.axis, m.error_deg)
    if m.kind == "timing":
        return f"{describe_timing(m.late_s)} (at worst) against the music"
    if m.kind == "freeze":
        return f"stood still for {m.still_s:.1f} s while the teacher kept moving"
    raise ValueError(f"no words for a moment of kind {m.kind!r}")


def moment_label(i: int, m: Moment) -> str:
    """One line naming moment number i (0-based) by its student time, its teacher's counts
    (when the music gives them), kind and detail."""
    counts = describe_counts(m.counts)
    on = f", {counts}" if counts else ""
    return f"#{i + 1} at {format_time(m.student_s[0])} (student{on}) — {m.kind}: {describe_moment(m)}"


def describe_alignment(a: Analysis) -> str:
    """How the clips were lined up: sync method and offset, mirroring, then why sync chose so."""
    s = a.sync
    if a.timing_reference:
        sync_words = (f"synced by {s.method} (confidence {s.confidence:.2f}): the same moment comes "
                      f"{abs(s.offset_s):.2f} s {'later' if s.offset_s < 0 else 'earlier'} in the student's clip")
    else:
        sync_words = "not synced in time (timing is not scored)"
    why = f" Sync: {s.reason}." if s.reason else ""
    return (f"Clips {sync_words}; {'mirrored' if a.mirror else 'not mirrored'} "
            f"(confidence {a.mirror_confidence:.2f}).{why}")
