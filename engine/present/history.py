"""What the library's rows say: progress over attempts (a figure and a summary), and a stored
report drawn again without recomputing.

Pure functions of plain rows (`engine.library.ComparisonRow`) and report dictionaries (report
JSON, DESIGN.md); testable without Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from engine.analysis.beats import BeatGrid, no_beats
from engine.analysis.score import Moment, Scorecard
from engine.core.body import SCORED_JOINTS
from engine.core.settings import COMPONENTS, ScoreSettings
from engine.library import ComparisonRow
from engine.present.charts import COMPONENT_COLORS, joint_label

#: How many joints the summary names as most improved and as holding the dancer back.
TOP_JOINTS = 3
#: A joint counts as improved when it gained at least this many points (0..100 scale).
MIN_GAIN = 1.0
OVERALL_COLOR = "#222222"
BEST_COLOR = "#f0a202"


@dataclass(frozen=True)
class Progress:
    """A dancer's attempts at a routine, summed up.

    attempts : how many
    best : the attempt with the highest overall score (the first of equals)
    overall_change : last overall - first overall (0 with one attempt)
    improved : (joint, points gained from the first attempt to the last), most first; gains of at
        least MIN_GAIN only
    holding_back : (joint, score in the last attempt), lowest first
    """

    attempts: int
    best: ComparisonRow | None
    overall_change: float
    improved: list[tuple[str, float]]
    holding_back: list[tuple[str, float]]


def progress_summary(history: Sequence[ComparisonRow], *, top: int = TOP_JOINTS) -> Progress:
    """Best attempt, the joints that improved most (first attempt -> last) and the lowest joints
    of the last attempt, from the attempts oldest first (`Library.history`)."""
    if not history:
        return Progress(attempts=0, best=None, overall_change=0.0, improved=[], holding_back=[])
    first, last = history[0], history[-1]
    best = max(history, key=lambda h: h.overall)   # max keeps the first of equals
    gains = [(j, float(last.joints[j]) - float(first.joints[j])) for j in last.joints if j in first.joints]
    improved = sorted(((j, g) for j, g in gains if g >= MIN_GAIN), key=lambda jg: (-jg[1], jg[0]))[:top]
    holding = sorted(((j, float(v)) for j, v in last.joints.items()), key=lambda jv: (jv[1], jv[0]))[:top]
    return Progress(attempts=len(history), best=best, overall_change=float(last.overall - first.overall),
                    improved=improved, holding_back=holding)


def progress_figure(history: Sequence[ComparisonRow], *, title: str = "Scores over attempts") -> go.Figure:
    """Overall (thick) and component scores (thin, dotted when not measured) per attempt, by date;
    the best attempt marked with a star. Hover: attempt number, date, student file."""
    fig = go.Figure()
    x = [h.created_at for h in history]
    hover = [f"attempt {i + 1} · {h.created_at:%d %b %Y %H:%M}<br>{h.student_file}" for i, h in enumerate(history)]
    for c in COMPONENTS:
        y = [h.components.get(c) for h in history]
        if all(v is None for v in y):
            continue
        fig.add_trace(go.Scatter(
            x=x, y=[np.nan if v is None else v for v in y], mode="lines+markers", name=c,
            line={"color": COMPONENT_COLORS.get(c, "#888"), "width": 1.5}, marker={"size": 6}, opacity=0.8,
            customdata=hover, hovertemplate=f"%{{customdata}}<br>{c} %{{y:.0f}}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=x, y=[h.overall for h in history], mode="lines+markers", name="overall",
        line={"color": OVERALL_COLOR, "width": 3.5}, marker={"size": 10}, customdata=hover,
        hovertemplate="%{customdata}<br><b>overall %{y:.1f}</b><extra></extra>"))
    if history:
        best = max(history, key=lambda h: h.overall)
        fig.add_trace(go.Scatter(
            x=[best.created_at], y=[best.overall], mode="markers+text", name="best attempt",
            marker={"symbol": "star", "size": 22, "color": BEST_COLOR, "line": {"color": "#333", "width": 1}},
            text=[f"best {best.overall:.0f}"], textposition="top center", hoverinfo="skip"))
    fig.update_yaxes(range=[0, 105], title_text="score (0-100)", tickvals=[0, 25, 50, 75, 100])
    fig.update_xaxes(title_text="date of the attempt")
    fig.update_layout(title={"text": title, "x": 0.0}, height=420, margin={"l": 60, "r": 20, "t": 80, "b": 50},
                      template="plotly_white", legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0})
    return fig


def joints_in_words(pairs: Sequence[tuple[str, float]], *, signed: bool) -> str:
    """'left elbow +12, right knee +8' (signed) or 'left elbow 41, right knee 55'."""
    fmt = "{:+.0f}" if signed else "{:.0f}"
    return ", ".join(f"{joint_label(j)} {fmt.format(v)}" for j, v in pairs)


def _still_s(m: dict) -> float | None:
    """A freeze moment's standing-still time; reports made before it was stored give their span."""
    if m["kind"] != "freeze":
        return None
    return float(m["still_s"]) if m.get("still_s") is not None else float(m["student_s"][1] - m["student_s"][0])


def beats_from_report(report: dict) -> BeatGrid:
    """The teacher's beat grid a report keeps (`beats_s`, `counts`); reports made before dance
    counts, or whose music gave none, give an empty grid saying why."""
    beats = np.asarray(report.get("beats_s") or [], dtype=np.float64)
    counts = report.get("counts") or {}
    if not beats.size:
        return no_beats(counts.get("reason") or "this report was made before dance counts existed")
    first = counts.get("downbeat_s")
    downbeat = 0 if first is None else int(np.argmin(np.abs(beats[:4] - float(first))))
    return BeatGrid(beats_s=beats, downbeat=downbeat, bpm=counts.get("bpm"))


def scorecard_from_report(report: dict) -> Scorecard:
    """A Scorecard holding what a stored report keeps, so the report view's score metrics, score
    timeline and joint bars can draw it without the videos or a new analysis.

    What a report does not keep stays empty: the per-joint time series (NaN), the lateness curve
    (NaN), the joints' mean angle errors, and the settings (the defaults stand in; tolerances
    shown next to the joint bars are today's defaults, not necessarily those of the run).
    Reports written before limb moments keep their form moments' flexion-angle words (no
    `axis`), except those that swung "both ways": they were tracking glitches and are left out.
    """
    sc = report["scores"]
    beats = beats_from_report(report)
    timeline = report.get("timeline") or []
    ts = np.array([p["teacher_s"] for p in timeline], dtype=np.float64)
    ss = np.array([p["student_s"] for p in timeline], dtype=np.float64)
    moments = []
    for i, m in enumerate(report.get("moments") or []):
        if m.get("both_ways"):
            continue    # written before limb moments: an error swinging both ways was a tracking glitch
        moments.append(Moment(teacher_s=tuple(m["teacher_s"]), student_s=tuple(m["student_s"]), kind=m["kind"],
                              joint=m.get("joint"), error_deg=m.get("error_deg"), late_s=m.get("late_s"),
                              severity=float(len(report["moments"]) - i), still_s=_still_s(m), axis=m.get("axis"),
                              counts=beats.span_counts(*m["teacher_s"])))
    return Scorecard(
        overall=float(sc["overall"]),
        components={c: sc.get("components", {}).get(c) for c in COMPONENTS},
        joints={k: float(v) for k, v in (sc.get("joints") or {}).items()},
        joint_error_deg={},
        teacher_s=ts, student_s=ss,
        timeline=np.array([p["score"] for p in timeline], dtype=np.float64),
        joint_timeline=np.full((ts.size, len(SCORED_JOINTS)), np.nan),
        late_s=np.full(ts.size, np.nan),
        moments=moments,
        settings=ScoreSettings(),
        excluded=dict(sc.get("excluded") or {}),
        beats=beats,
    )
