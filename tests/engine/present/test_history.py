"""engine.present.history: progress over attempts, and stored reports drawn again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from engine.library import ComparisonRow
from engine.present.charts import joint_bars_figure, timeline_figure
from engine.present.history import joints_in_words, progress_figure, progress_summary, scorecard_from_report
from tests.engine.library.conftest import make_report

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def row(i: int, overall: float, joints: dict[str, float], components: dict | None = None) -> ComparisonRow:
    return ComparisonRow(
        id=i, created_at=T0 + timedelta(days=i), source="cli", teacher_sha256="a" * 64, teacher_file="t.mp4",
        student_sha256=f"{i}" * 64, student_file=f"attempt{i}.mp4", routine="Salsa", dancer="Ana", overall=overall,
        components=components or {"pose": overall, "timing": None}, joints=joints, sync_method="audio",
        sync_offset_s=0.0, mirror=False, moments_count=1, settings_fingerprint=None)


HISTORY = [
    row(0, 50.0, {"left_elbow": 40.0, "right_knee": 60.0, "neck": 70.0}),
    row(1, 72.0, {"left_elbow": 55.0, "right_knee": 58.0, "neck": 90.0}),
    row(2, 66.0, {"left_elbow": 65.0, "right_knee": 61.0, "neck": 75.0, "left_hip": 30.0}),
]


def test_summary_names_best_attempt_improved_and_weakest_joints() -> None:
    p = progress_summary(HISTORY)
    assert p.attempts == 3 and p.best.id == 1
    assert p.overall_change == pytest.approx(16.0)
    # First -> last: left elbow +25, neck +5, right knee +1 (just counts); left hip was not seen first.
    assert p.improved == [("left_elbow", 25.0), ("neck", 5.0), ("right_knee", 1.0)]
    tiny = progress_summary([row(0, 50.0, {"neck": 70.0}), row(1, 50.5, {"neck": 70.9})])
    assert tiny.improved == []                                  # +0.9 is noise, not progress
    assert p.holding_back == [("left_hip", 30.0), ("right_knee", 61.0), ("left_elbow", 65.0)]
    assert joints_in_words(p.improved[:2], signed=True) == "left elbow +25, head / neck +5"


def test_summary_of_no_attempts_and_of_only_losses() -> None:
    assert progress_summary([]).best is None
    worse = [row(0, 80.0, {"left_elbow": 80.0}), row(1, 60.0, {"left_elbow": 70.0})]
    p = progress_summary(worse, top=1)
    assert p.improved == [] and p.holding_back == [("left_elbow", 70.0)] and p.overall_change == -20.0


def test_progress_figure_has_overall_components_and_the_best_star() -> None:
    fig = progress_figure(HISTORY)
    names = [t.name for t in fig.data]
    assert names == ["pose", "overall", "best attempt"]        # timing never measured: no line
    overall = fig.data[1]
    assert list(overall.y) == [50.0, 72.0, 66.0]
    assert list(overall.x) == [h.created_at for h in HISTORY]
    star = fig.data[2]
    assert list(star.y) == [72.0] and star.x[0] == HISTORY[1].created_at
    assert "attempt2.mp4" in overall.customdata[2]


def test_a_stored_report_becomes_a_scorecard_the_charts_can_draw() -> None:
    report = make_report(overall=68.0, moments=2)
    card = scorecard_from_report(report)
    assert card.overall == 68.0 and card.components["silhouette"] is None and card.components["pose"] == 73.0
    assert card.joints == {"left_elbow": 48.0, "right_knee": 78.0}
    assert list(card.timeline) == [68.0, 58.0, 73.0] and list(card.teacher_s) == [0.2, 5.0, 9.8]
    from engine.present.feedback import describe_moment
    assert [describe_moment(m) for m in card.moments] == ["left arm 30 degrees lower than the teacher"] * 2
    assert card.moments[0].severity > card.moments[1].severity
    assert np.isnan(card.late_s).all()
    fig = timeline_figure(card)
    assert list(fig.data[0].y) == [68.0, 58.0, 73.0]
    bars = joint_bars_figure(card)
    assert list(bars.data[0].x) == [48.0, 78.0]


def test_stored_moments_keep_their_words() -> None:
    from engine.analysis.score import Moment
    from engine.present.feedback import describe_moment
    from engine.present.report import moment_json

    made = [Moment(teacher_s=(3.1, 3.9), student_s=(2.3, 3.1), kind="form", joint="left_elbow", error_deg=-31.0,
                   late_s=None, severity=3.0, axis="forward"),
            Moment(teacher_s=(5.0, 6.2), student_s=(4.0, 4.9), kind="freeze", joint=None, error_deg=None,
                   late_s=None, severity=2.0, still_s=1.0)]
    report = make_report()
    report["moments"] = [moment_json(m) for m in made]
    back = scorecard_from_report(report).moments
    assert [describe_moment(m) for m in back] == [describe_moment(m) for m in made]
    assert [describe_moment(m) for m in back] == ["left forearm 31 degrees further back than the teacher",
                                                  "stood still for 1.0 s while the teacher kept moving"]


def test_reports_from_before_limb_moments_still_read() -> None:
    # Stored form moments without "axis" keep their flexion-angle words; one that swung "both
    # ways" was a tracking glitch and is left out.
    from engine.present.feedback import describe_moment

    report = make_report()
    old = {"teacher_s": [3.1, 3.9], "student_s": [2.3, 3.1], "kind": "form", "late_s": None, "still_s": None}
    report["moments"] = [{**old, "joint": "left_elbow", "error_deg": 2.0, "both_ways": True, "peak_deg": 97.0},
                         {**old, "joint": "right_knee", "error_deg": 22.0, "both_ways": False, "peak_deg": 30.0}]
    card = scorecard_from_report(report)
    assert [describe_moment(m) for m in card.moments] == ["right knee 22 degrees straighter than the teacher"]
    assert card.excluded == {}


def test_stored_reports_keep_their_counts() -> None:
    import numpy as np

    from engine.analysis.beats import BeatGrid
    from engine.analysis.score import Moment
    from engine.present.report import counts_json, moment_json

    grid = BeatGrid(beats_s=np.arange(1, 41) * 0.5, downbeat=3, bpm=120.0)     # 8-count 1 starts at 2.0 s
    m = Moment(teacher_s=(6.1, 6.6), student_s=(5.0, 5.5), kind="timing", joint=None, error_deg=None, late_s=0.3,
               severity=1.0, counts=grid.span_counts(6.1, 6.6))
    assert m.counts == ((2, 1), (2, 2))                                          # beats at 6.0 and 6.5
    report = make_report()
    report.update(beats_s=[float(b) for b in grid.beats_s], counts=counts_json(grid), moments=[moment_json(m)])
    assert report["moments"][0]["teacher_count"] == "8-count 2, count 1-2"
    card = scorecard_from_report(report)
    assert card.beats.downbeat == 3 and card.beats.bpm == 120.0 and card.moments[0].counts == ((2, 1), (2, 2))
    # A report made before counts (no beats_s) reads with seconds only, and says so.
    del report["beats_s"], report["counts"]
    old = scorecard_from_report(report)
    assert old.moments[0].counts is None and "before dance counts" in old.beats.reason
