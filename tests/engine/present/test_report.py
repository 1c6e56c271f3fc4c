"""Tests for engine.present.report: the moments' JSON and the per-joint CSV (build/check of whole
reports are exercised on real comparisons in tests/engine/analysis/test_compare.py)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from engine.analysis.score import Moment
from engine.core.body import SCORED_JOINTS
from engine.core.settings import ScoreSettings
from engine.present.report import JOINT_CSV_COLUMNS, joint_table_csv, moment_json
from tests.factories import make_card, moment


@pytest.mark.parametrize("m, expected", [
    (Moment(teacher_s=(3.104, 3.896), student_s=(2.301, 3.099), kind="form", joint="left_shoulder",
            error_deg=-34.04, late_s=None, severity=9.0, axis="up", counts=((1, 7), (1, 8))),
     {"teacher_s": [3.1, 3.9], "student_s": [2.3, 3.1], "kind": "form", "joint": "left_shoulder",
      "error_deg": -34.0, "late_s": None, "teacher_count": "8-count 1, count 7-8",
      "detail": "left arm 34 degrees lower than the teacher",
      "axis": "up", "still_s": None}),
    (Moment(teacher_s=(1.0, 2.0), student_s=(0.5, 1.5), kind="timing", joint=None, error_deg=None,
            late_s=0.4567, severity=1.0),
     {"teacher_s": [1.0, 2.0], "student_s": [0.5, 1.5], "kind": "timing", "joint": None, "error_deg": None,
      "late_s": 0.46, "teacher_count": None, "detail": "late by 0.5 s (at worst) against the music",
      "axis": None, "still_s": None}),
    (Moment(teacher_s=(5.0, 6.2), student_s=(4.0, 5.0), kind="freeze", joint=None, error_deg=None,
            late_s=None, severity=1.0, still_s=1.0),
     {"teacher_s": [5.0, 6.2], "student_s": [4.0, 5.0], "kind": "freeze", "joint": None, "error_deg": None,
      "late_s": None, "teacher_count": None, "detail": "stood still for 1.0 s while the teacher kept moving",
      "axis": None, "still_s": 1.0}),
], ids=["form", "timing", "freeze"])
def test_moment_json_keys_in_report_order_with_words(m, expected):
    out = moment_json(m)
    assert out == expected and list(out) == list(expected)


def test_joint_csv_rows_worst_first_with_tolerances_and_first_moment():
    settings = ScoreSettings(tolerance_deg={**ScoreSettings().tolerance_deg, "elbows": 22.0})
    joints = {j: 90.0 for j in SCORED_JOINTS}
    joints["left_elbow"], joints["neck"] = 40.0, 60.0
    ms = [moment("timing", (1.0, 1.5), late_s=0.3),
          replace(moment("form", (2.0, 2.5), (1.2, 1.7), joint="left_elbow", error_deg=-35.0),
                  counts=((1, 5), (1, 6))),
          moment("form", (4.0, 4.5), joint="left_elbow", error_deg=-20.0)]
    text = joint_table_csv(make_card(10, joints=joints, moments=ms, settings=settings))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == JOINT_CSV_COLUMNS and len(rows) == len(SCORED_JOINTS)
    assert rows[0] == {"joint": "left_elbow", "group": "elbows", "score": "40.0", "median_error_deg": "5.0",
                       "tolerance_deg": "22", "first_moment_student_s": "1.20",
                       "first_moment_detail": "left elbow 35 degrees more bent than the teacher",
                       "first_moment_teacher_count": "8-count 1, count 5-6"}
    assert rows[1]["joint"] == "neck" and rows[1]["first_moment_student_s"] == "" and rows[1]["tolerance_deg"] == "20"
    assert [r["joint"] for r in rows[2:4]] == ["left_ankle", "left_hip"]       # ties by name
    assert text.endswith("\n") and "\r" not in text


def test_report_scores_carry_the_scale_and_the_joints_not_in_view():
    # A student whose left leg is out of view: its three joints are listed, not scored.
    import numpy as np

    from engine.analysis.score import SCALE, score
    from engine.core.body import Landmark
    from engine.present.feedback import Feedback
    from engine.present.report import build_report, check_report, report_text
    from tests.engine.analysis.metrics.posekit import dance
    from tests.factories import make_analysis, make_performance

    n = 90
    student = dance(n)
    student[:, [Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX], 3] = 0.0
    a = make_analysis(make_performance(dance(n)), make_performance(student), np.stack([np.arange(n)] * 2, axis=1))
    r = build_report(a, score(a), Feedback(source="rules", text="Fine."))
    assert r["scores"]["scale"] == SCALE
    assert r["scores"]["not_in_view"] == ["left_hip", "left_knee", "left_ankle"]
    assert check_report(r) == [] and "NaN" not in report_text(r)
    bad = {**r, "scores": {**r["scores"], "not_in_view": ["left_elbow"]}}
    assert "a joint is both scored and not in view" in check_report(bad)


def test_check_report_holds_counts_to_the_beats():
    from engine.present.report import check_report
    from tests.engine.library.conftest import make_report

    report = make_report()
    assert check_report(report) == []
    counted = {**report, "beats_s": [0.5, 1.0, 1.5], "counts": {"bpm": 120.0, "downbeat_s": 0.5, "reason": None},
               "moments": [{**report["moments"][0], "teacher_count": "8-count 1, count 2"}]}
    assert check_report(counted) == []
    assert "beats_s must be increasing seconds" in check_report({**counted, "beats_s": [0.5, 0.4, 1.5]})
    assert ("counts.reason must be given exactly when beats_s is empty"
            in check_report({**counted, "counts": {**counted["counts"], "reason": "no audio"}}))
    assert ("moment teacher_count must be text, and only with beats_s"
            in check_report({**counted, "beats_s": [], "counts": None}))
