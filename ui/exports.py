"""Downloads of a comparison: the report JSON and the per-joint table as CSV (both built by
engine.present.report, which the command line uses too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.present.report import JOINT_CSV_COLUMNS, build_report, joint_table_csv, report_text

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard
    from engine.present.feedback import Feedback

__all__ = ["JOINT_CSV_COLUMNS", "joints_csv", "report_json"]


def joints_csv(card: Scorecard) -> str:
    """The per-joint table as CSV text (see `engine.present.report.joint_table_csv`)."""
    return joint_table_csv(card)


def report_json(analysis: Analysis, card: Scorecard, feedback: Feedback) -> str:
    """The report (report_version 1, DESIGN.md) as strict JSON text: a NaN raises instead of writing 'NaN'."""
    return report_text(build_report(analysis, card, feedback))
