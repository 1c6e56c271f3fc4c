"""Hand-made scorecards, moments and comparison facts for the feedback tests (no video, no model)."""

from __future__ import annotations

import numpy as np

from engine.analysis.score import Moment, Scorecard
from engine.core.settings import ScoreSettings
from engine.present.feedback import ComparisonFacts

KEY = "sk-test-123"


def form(joint: str, error_deg: float, start: float, severity: float, dur: float = 0.8) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="form",
                  joint=joint, error_deg=error_deg, late_s=None, severity=severity)


def timing(late_s: float, start: float, severity: float, dur: float = 0.6) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="timing",
                  joint=None, error_deg=None, late_s=late_s, severity=severity)


def freeze(start: float, severity: float, dur: float = 1.2) -> Moment:
    return Moment(teacher_s=(start + 0.5, start + 0.5 + dur), student_s=(start, start + dur), kind="freeze",
                  joint=None, error_deg=None, late_s=None, severity=severity, still_s=dur)


def default_moments() -> list[Moment]:
    """Most important first, as score.score returns them; the timing moment is fourth."""
    return [form("left_elbow", -34.0, 4.23, 90.0), freeze(9.1, 60.0), form("right_knee", 22.0, 12.5, 40.0),
            timing(0.42, 7.0, 30.0), form("neck", 25.0, 15.0, 10.0)]


def make_card(*, overall: float = 78.4, components: dict | None = None, joints: dict | None = None,
              joint_error_deg: dict | None = None, moments: list[Moment] | None = None,
              late_s: np.ndarray | None = None, k: int = 120,
              settings: ScoreSettings | None = None) -> Scorecard:
    components = {"pose": 81.0, "timing": 90.2, "trajectory": 70.1, "silhouette": 75.5, "dynamics": 66.0} \
        if components is None else components
    joints = {"left_elbow": 52.0, "right_knee": 71.5, "left_knee": 95.0, "right_hip": 93.5, "neck": 80.0,
              "torso": 88.0} if joints is None else joints
    joint_error_deg = {"left_elbow": 21.3, "right_knee": 12.0, "left_knee": 3.1, "right_hip": 2.0, "neck": 9.0,
                       "torso": 4.0} if joint_error_deg is None else joint_error_deg
    t = np.arange(k) / 30.0
    return Scorecard(overall=overall, components=components, joints=joints, joint_error_deg=joint_error_deg,
                     teacher_s=t + 0.5, student_s=t, timeline=np.full(k, overall),
                     joint_timeline=np.full((k, 14), overall), late_s=np.zeros(k) if late_s is None else late_s,
                     moments=default_moments() if moments is None else moments,
                     settings=settings or ScoreSettings())


def make_facts(**kw) -> ComparisonFacts:
    base = dict(teacher_file="teacher.mp4", student_file="student.mp4", mirror=False, sync_method="audio",
                sync_offset_s=0.81, sync_confidence=0.9, teacher_active_s=(0.4, 20.1),
                student_active_s=(0.0, 19.3), compared_s=19.7)
    return ComparisonFacts(**{**base, **kw})


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert all(i >= 0 for i in found), f"missing {[n for n, i in zip(needles, found) if i < 0]} in: {text}"
    return found
