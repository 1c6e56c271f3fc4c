"""Downloads of a comparison: the report JSON (engine.present.report) and the per-joint table as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from engine.core.body import JOINT_GROUP
from engine.present.report import build_report

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard
    from engine.present.feedback import Feedback

JOINT_CSV_COLUMNS = ("joint", "group", "score", "mean_abs_error_deg", "tolerance_deg", "first_moment_student_s",
                     "first_moment_detail")


def joints_csv(card: Scorecard) -> str:
    """One row per scored joint (the student's own joint names), worst score first.

    Columns: joint, group, score (0..100), mean absolute angle difference (degrees), the group's
    tolerance (degrees), and the student time and words of the most important form moment at
    that joint (empty when there is none).
    """
    first: dict[str, tuple[float, str]] = {}
    for m in card.moments:  # most important first
        if m.kind == "form" and m.joint and m.joint not in first:
            first[m.joint] = (m.student_s[0], m.detail)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(JOINT_CSV_COLUMNS)
    for joint, value in sorted(card.joints.items(), key=lambda kv: (kv[1], kv[0])):
        group = JOINT_GROUP[joint]
        err = card.joint_error_deg.get(joint)
        t, detail = first.get(joint, (None, ""))
        w.writerow([joint, group, f"{value:.1f}", "" if err is None else f"{err:.1f}",
                    f"{card.settings.tolerance_deg[group]:g}", "" if t is None else f"{t:.2f}", detail])
    return out.getvalue()


def report_json(analysis: Analysis, card: Scorecard, feedback: Feedback) -> str:
    """The report (report_version 1, DESIGN.md) as strict JSON text: a NaN raises instead of writing 'NaN'."""
    return json.dumps(build_report(analysis, card, feedback), indent=1, allow_nan=False)
