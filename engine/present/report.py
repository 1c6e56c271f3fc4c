"""Report JSON (report_version 1, see DESIGN.md): build it, check it, write it atomically.
Also the per-joint table as CSV (the dashboard's download and `compare --csv`)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.analysis.score import SCALE
from engine.core.arrays import thin_indices
from engine.core.body import JOINT_GROUP
from engine.core.files import write_text_atomic
from engine.core.settings import COMPONENTS
from engine.present.feedback.wording import describe_counts, describe_moment

if TYPE_CHECKING:
    from engine.analysis.beats import BeatGrid
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Moment, Scorecard
    from engine.present.feedback import Feedback

REPORT_VERSION = 1
#: The warp path and the timeline are written at most this many points each (evenly thinned).
MAX_POINTS = 1000
#: Columns of `joint_table_csv`.
JOINT_CSV_COLUMNS = ("joint", "group", "score", "median_error_deg", "tolerance_deg", "first_moment_student_s",
                     "first_moment_detail", "first_moment_teacher_count")


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def _clip_block(perf, active: tuple[float, float], frames_analyzed: int) -> dict:
    return {"file": perf.source.file, "sha256": perf.source.sha256, "fps": perf.fps,
            "duration_s": _r(perf.source.duration_s, 3), "frames_analyzed": int(frames_analyzed),
            "detected_ratio": _r(perf.detected_ratio, 3), "active_s": [_r(active[0]), _r(active[1])]}


def moment_json(m: Moment) -> dict:
    """One entry of the report's `moments`: times (s), kind, joint, error (deg), lateness (s), the
    teacher's dance counts (null without a steady beat), detail and the facts the detail is
    worded from (axis, still_s)."""
    return {"teacher_s": [round(m.teacher_s[0], 2), round(m.teacher_s[1], 2)],
            "student_s": [round(m.student_s[0], 2), round(m.student_s[1], 2)],
            "kind": m.kind, "joint": m.joint,
            "error_deg": None if m.error_deg is None else round(m.error_deg, 1),
            "late_s": None if m.late_s is None else round(m.late_s, 2),
            "teacher_count": describe_counts(m.counts),
            "detail": describe_moment(m),
            # The facts behind `detail`, so a stored report rebuilds the same words (additive keys).
            "axis": m.axis,
            "still_s": None if m.still_s is None else round(m.still_s, 2)}


def counts_json(beats: BeatGrid) -> dict:
    """The report's `counts` (additive key): tempo (beats/min), the first downbeat (count 1 of
    8-count 1, teacher's s), and why there are no counts (null when there are)."""
    if not beats.has_counts:
        return {"bpm": None, "downbeat_s": None, "reason": beats.reason}
    return {"bpm": _r(beats.bpm, 1), "downbeat_s": _r(beats.beats_s[beats.downbeat], 3), "reason": None}


def build_report(a: Analysis, card: Scorecard, feedback: Feedback) -> dict:
    """The report dictionary for one comparison (JSON-ready: plain floats, no NaN)."""
    path = a.path
    idx = thin_indices(path.shape[0], MAX_POINTS)
    ts, ss = a.teacher_s, a.student_s
    return {
        "report_version": REPORT_VERSION,
        "teacher": _clip_block(a.teacher, a.sync.teacher_active_s, len(np.unique(path[:, 0]))),
        "student": _clip_block(a.student, a.sync.student_active_s, len(np.unique(path[:, 1]))),
        "sync": {"method": a.sync.method, "offset_s": _r(a.sync.offset_s, 3), "confidence": _r(a.sync.confidence, 3),
                 "reason": a.sync.reason},
        "mirror": bool(a.mirror),
        "alignment": {"pairs_s": [[_r(ts[i]), _r(ss[i])] for i in idx], "cost": _r(a.alignment.cost, 4),
                      "backend": a.alignment.backend},
        "scores": {"overall": _r(card.overall, 1), "scale": SCALE,
                   "components": {c: (None if card.components[c] is None else _r(card.components[c], 1))
                                  for c in COMPONENTS},
                   "joints": {k: _r(v, 1) for k, v in card.joints.items()},
                   "not_in_view": list(card.not_in_view),
                   # What the limb facts left out (additive key): tracker glitches, facing away.
                   "excluded": dict(card.excluded)},
        "timeline": [{"teacher_s": _r(ts[i]), "student_s": _r(ss[i]), "score": _r(card.timeline[i], 1)} for i in idx],
        "beats_s": [_r(b, 3) for b in a.beats.beats_s],
        "counts": counts_json(a.beats),
        "moments": [moment_json(m) for m in card.moments],
        "feedback": {"source": feedback.source, "text": feedback.text},
    }


def report_text(report: dict) -> str:
    """The report as strict JSON text (indent 1): a NaN raises instead of writing 'NaN'."""
    return json.dumps(report, indent=1, allow_nan=False)


def write_report(report: dict, path: str | Path) -> None:
    """Write JSON atomically: a crash never leaves a partial report behind."""
    write_text_atomic(path, report_text(report))


def joint_table_csv(card: Scorecard) -> str:
    """The per-joint table as CSV text: one row per scored joint (the student's own names), worst first.

    Columns (`JOINT_CSV_COLUMNS`): joint, group, score (0..100), median limb direction error
    (degrees), the group's tolerance (degrees), and the student time (s) and words of the most
    important form moment at that joint (empty when there is none).
    """
    first: dict[str, tuple[float, str, str]] = {}
    for m in card.moments:  # most important first
        if m.kind == "form" and m.joint and m.joint not in first:
            first[m.joint] = (m.student_s[0], describe_moment(m), describe_counts(m.counts) or "")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(JOINT_CSV_COLUMNS)
    for joint, value in sorted(card.joints.items(), key=lambda kv: (kv[1], kv[0])):
        group = JOINT_GROUP[joint]
        err = card.joint_error_deg.get(joint)
        t, detail, count = first.get(joint, (None, "", ""))
        w.writerow([joint, group, f"{value:.1f}", "" if err is None else f"{err:.1f}",
                    f"{card.settings.tolerance_deg[group]:g}", "" if t is None else f"{t:.2f}", detail, count])
    return out.getvalue()


def check_report(r: dict) -> list[str]:
    """Contract problems of a report (empty when it conforms): keys, types, monotonic path,
    times inside each clip, scores within 0..100 or null."""
    problems: list[str] = []

    def need(cond: bool, msg: str) -> None:
        if not cond:
            problems.append(msg)

    def score_ok(v) -> bool:
        return v is None or (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 100)

    need(r.get("report_version") == REPORT_VERSION, "report_version must be 1")
    for who in ("teacher", "student"):
        c = r.get(who, {})
        for k, typ in (("file", str), ("sha256", str), ("fps", (int, float)), ("duration_s", (int, float)),
                       ("frames_analyzed", int), ("detected_ratio", (int, float)), ("active_s", list)):
            need(isinstance(c.get(k), typ), f"{who}.{k} missing or not {typ}")
        if isinstance(c.get("active_s"), list) and isinstance(c.get("duration_s"), (int, float)):
            a0, a1 = c["active_s"]
            need(0 <= a0 <= a1 <= c["duration_s"] + 0.05, f"{who}.active_s {c['active_s']} outside the clip")
    s = r.get("sync", {})
    need(s.get("method") in ("audio", "motion", "none"), "sync.method invalid")
    need(isinstance(s.get("offset_s"), (int, float)) and isinstance(s.get("confidence"), (int, float)), "sync numbers")
    need(isinstance(r.get("mirror"), bool), "mirror must be a bool")
    pairs = r.get("alignment", {}).get("pairs_s", [])
    need(len(pairs) > 1, "alignment.pairs_s is empty")
    if pairs:
        p = np.asarray(pairs, dtype=float)
        need(bool((np.diff(p, axis=0) >= -1e-9).all()), "alignment.pairs_s is not monotonic")
        for col, who in ((0, "teacher"), (1, "student")):
            dur = r.get(who, {}).get("duration_s", 0)
            need(bool(((p[:, col] >= 0) & (p[:, col] <= dur + 0.05)).all()), f"{who} times outside the clip")
    sc = r.get("scores", {})
    need(score_ok(sc.get("overall")) and sc.get("overall") is not None, "scores.overall not in 0..100")
    comps = sc.get("components", {})
    need(set(comps) == set(COMPONENTS), f"scores.components keys {sorted(comps)}")
    need(all(score_ok(v) for v in comps.values()), "a component is outside 0..100")
    need(all(score_ok(v) and v is not None for v in sc.get("joints", {}).values()), "a joint score is outside 0..100")
    # Additive keys of report_version 1: absent from older reports, checked when present.
    need(isinstance(sc.get("scale", ""), str), "scores.scale must be text")
    niv = sc.get("not_in_view", [])
    need(isinstance(niv, list) and all(isinstance(n, str) for n in niv), "scores.not_in_view must be a list of names")
    need(not set(niv) & set(sc.get("joints", {})), "a joint is both scored and not in view")
    exc = sc.get("excluded", {})
    need(isinstance(exc, dict) and all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0
                                       for v in exc.values()), "scores.excluded must hold counts and shares >= 0")
    share = exc.get("limb_pairs_share", 0) if isinstance(exc, dict) else 0
    need(isinstance(share, (int, float)) and 0 <= share <= 1, "scores.excluded.limb_pairs_share must be 0..1")
    for row in r.get("timeline", []):
        need(score_ok(row.get("score")) and row.get("score") is not None, "timeline score outside 0..100")
    beats = r.get("beats_s", [])
    need(isinstance(beats, list) and all(isinstance(b, (int, float)) and math.isfinite(b) for b in beats)
         and bool((np.diff(np.asarray(beats, dtype=float)) > 0).all()), "beats_s must be increasing seconds")
    counts = r.get("counts")
    if counts is not None:
        need(bool(beats) == (counts.get("reason") is None), "counts.reason must be given exactly when beats_s is empty")
    for m in r.get("moments", []):
        need(m.get("kind") in ("form", "timing", "freeze"), f"moment kind {m.get('kind')}")
        need(m.get("teacher_count") is None or (isinstance(m["teacher_count"], str) and bool(beats)),
             "moment teacher_count must be text, and only with beats_s")
        need(isinstance(m.get("detail"), str) and m["detail"] != "", "moment detail missing")
        need(m.get("axis") in (None, "out", "up", "forward"), f"moment axis {m.get('axis')}")
        for who in ("teacher", "student"):
            a0, a1 = m.get(f"{who}_s", [0, -1])
            need(0 <= a0 <= a1 <= r.get(who, {}).get("duration_s", 0) + 0.05, f"moment {who}_s outside the clip")
    fb = r.get("feedback", {})
    need(fb.get("source") in ("rules", "llm") and isinstance(fb.get("text"), str) and fb["text"], "feedback")
    return problems
