"""Plotly figures from comparison results. Pure functions: no Streamlit, inputs never modified.

One function per chart, each taking the result dataclasses (`compare.Analysis`,
`score.Scorecard`) and returning a `plotly.graph_objects.Figure` with a light theme, titles,
axis units, and the colours below, so the same thing has the same colour on every chart.

Time axes are seconds from the start of each file (`teacher_s`, `student_s`), as in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.analysis.compare import COST_GRID_SIDE
from engine.core.arrays import thin_indices
from engine.core.body import JOINT_GROUP, SCORED_JOINTS, mirror_joint_name
from engine.core.settings import COMPONENTS
from engine.present.feedback.wording import (
    describe_counts,
    describe_moment,
    eight_words,
)

if TYPE_CHECKING:
    from engine.analysis.beats import BeatGrid
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard

__all__ = ["KIND_COLORS", "COMPONENT_COLORS", "components_figure", "joint_bars_figure",
           "joint_heatmap_figure", "joint_label", "live_score_figure", "timeline_figure", "warp_path_figure"]

#: Moment kinds (form error, timing slip, freeze), the same on every chart and in the UI. Each
#: component has its own hue (pose teal, not a second blue beside timing's) on the bars and the
#: Library's progress lines.
KIND_COLORS: dict[str, str] = {"form": "#d62728", "timing": "#1f77b4", "freeze": "#8c564b"}
KIND_LABELS: dict[str, str] = {"form": "form (limb direction)", "timing": "timing (early/late)",
                               "freeze": "freeze (stood still)"}
COMPONENT_COLORS: dict[str, str] = {"pose": "#0f8b8d", "timing": "#1f77b4", "trajectory": "#54a24b",
                                    "silhouette": "#b279a2", "dynamics": "#f58518"}
#: Scores 0..100: red (far off) through amber to green (like the teacher).
SCORE_COLORSCALE = [[0.0, "#b2182b"], [0.4, "#ef8a62"], [0.6, "#fddbc7"], [0.8, "#d9f0d3"], [1.0, "#1a9850"]]
PATH_COLOR = "#ff7f0e"
MISSING_COLOR = "#d0d0d0"
DIAGONAL_COLOR = "#222222"
#: Bars: below POOR is red, below FAIR amber, else green.
POOR, FAIR = 60.0, 80.0
BAR_COLORS = {"poor": "#d62728", "fair": "#f0a202", "good": "#2ca02c"}

TEMPLATE = "plotly_white"
FONT = {"size": 14, "family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "color": "#1f2933"}
TITLE_FONT = {"size": 17}
#: Columns of the joint heatmap (browsers stay fast); the warp-path heatmap is `Analysis.cost_grid`.
MAX_TIME_COLUMNS = 600
#: Points drawn for a warp path or a timeline (evenly thinned beyond this).
MAX_LINE_POINTS = 3000
#: Count gridlines of the timeline: every beat (dotted) and every 8-count's count 1 (solid,
#: labelled); at most this many 8-counts are labelled (every n-th beyond it).
BEAT_LINE = {"color": "rgba(90,90,90,0.22)", "width": 1, "dash": "dot"}
EIGHT_LINE = {"color": "rgba(60,60,60,0.55)", "width": 1.5}
MAX_EIGHT_LABELS = 16

#: Rows of the joint charts, head to feet, so the heatmap reads like a body.
BODY_ORDER: tuple[str, ...] = (
    "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "torso", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
assert set(BODY_ORDER) == set(SCORED_JOINTS)


def joint_label(name: str) -> str:
    """'left_elbow' -> 'left elbow', 'neck' -> 'head / neck'."""
    return {"neck": "head / neck"}.get(name, name.replace("_", " "))


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(template=TEMPLATE, font=FONT, height=height,
                      title={"text": title, "font": TITLE_FONT, "x": 0.0, "xanchor": "left"},
                      margin={"l": 70, "r": 30, "t": 70, "b": 60},
                      hoverlabel={"font_size": 13}, paper_bgcolor="white", plot_bgcolor="white")
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    """'#d62728', 0.2 -> 'rgba(214,39,40,0.2)'."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _student_name(teacher_column: str, mirror: bool) -> str:
    return mirror_joint_name(teacher_column) if mirror else teacher_column


# --- warp path ------------------------------------------------------------------------------

def warp_path_figure(analysis: Analysis, *, max_side: int = COST_GRID_SIDE) -> go.Figure:
    """The DTW warp path over the local pose-distance matrix, with the constant-tempo diagonal.

    The heatmap is `analysis.cost_grid` (Euclidean distance of the 12 core joints' normalized
    positions, torso lengths, between teacher and student frames of the aligned span), thinned
    further to at most `max_side` cells per axis. The dashed diagonal is where the path would run
    if the student kept the teacher's tempo: ``teacher_s = student_s + sync.offset_s`` when sync
    found a trusted offset, else the straight line between the path's ends. Hovering shows both
    times.
    """
    a = analysis
    grid = a.cost_grid
    rows = thin_indices(grid.teacher_frames.size, max_side)
    cols = thin_indices(grid.student_frames.size, max_side)
    t_idx, s_idx = grid.teacher_frames[rows], grid.student_frames[cols]
    cost = grid.cost[np.ix_(rows, cols)]
    t_sec = a.teacher.t[t_idx].astype(np.float64)
    s_sec = a.student.t[s_idx].astype(np.float64)

    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        x=s_sec, y=t_sec, z=cost, colorscale="Blues_r", zmin=0.0,
        zmax=float(np.nanpercentile(cost, 95)) if np.isfinite(cost).any() else 1.0,
        colorbar={"title": {"text": "pose distance<br>(torso lengths)", "side": "right"}, "thickness": 14},
        hovertemplate="teacher %{y:.2f} s<br>student %{x:.2f} s<br>distance %{z:.2f}<extra></extra>",
        name="pose distance"))

    ts, ss = a.teacher_s, a.student_s
    k = thin_indices(ts.size, MAX_LINE_POINTS)
    if a.timing_reference:
        lo, hi = float(min(s_sec[0], ts[0] - a.sync.offset_s)), float(max(s_sec[-1], ts[-1] - a.sync.offset_s))
        dx = np.array([lo, hi])
        dy = dx + a.sync.offset_s
        diag_name = f"same tempo (synced by {a.sync.method}, offset {a.sync.offset_s:+.2f} s)"
    else:
        dx, dy = np.array([ss[0], ss[-1]]), np.array([ts[0], ts[-1]])
        diag_name = "same tempo (no sync: start to end)"
    fig.add_trace(go.Scatter(x=dx, y=dy, mode="lines", name=diag_name, hoverinfo="skip",
                             line={"color": DIAGONAL_COLOR, "dash": "dash", "width": 2}))
    fig.add_trace(go.Scatter(
        x=ss[k], y=ts[k], mode="lines", name="DTW warp path", line={"color": PATH_COLOR, "width": 3},
        hovertemplate="teacher %{y:.2f} s<br>student %{x:.2f} s<extra>warp path</extra>"))
    fig.update_xaxes(title_text="student time (s)", range=[float(s_sec[0]), float(s_sec[-1])])
    fig.update_yaxes(title_text="teacher time (s)", range=[float(t_sec[0]), float(t_sec[-1])])
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0.0, "bgcolor": "rgba(0,0,0,0)"})
    _layout(fig, "Time alignment: which student moment matches which teacher moment", 520)
    fig.update_layout(margin={"t": 100})
    return fig


# --- per-joint charts -----------------------------------------------------------------------

def _pool_columns(z: np.ndarray, x: np.ndarray, max_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean-pool (J, K) into at most `max_cols` columns (NaN-aware); x takes each bin's first time."""
    k = z.shape[1]
    if k <= max_cols:
        return z, x
    edges = np.linspace(0, k, max_cols + 1).round().astype(np.intp)
    out = np.full((z.shape[0], max_cols), np.nan)
    for c in range(max_cols):
        block = z[:, edges[c]:edges[c + 1]]
        finite = np.isfinite(block)
        n = finite.sum(axis=1)
        out[:, c] = np.where(n > 0, np.where(finite, block, 0.0).sum(axis=1) / np.maximum(n, 1), np.nan)
    return out, x[edges[:-1]]


def joint_heatmap_figure(card: Scorecard, *, mirror: bool = False) -> go.Figure:
    """Per-joint pair scores over teacher time: joints (head to feet) x time, 0..100.

    Parameters
    ----------
    card : the scorecard; `card.joint_timeline` (K, J) is in the teacher's joint columns
    mirror : whether the student danced mirrored; rows are labelled with the student's own
        joints (the teacher's left column is the mirrored student's right side)
    """
    cols = [SCORED_JOINTS.index(j) for j in BODY_ORDER]
    z = np.asarray(card.joint_timeline, dtype=np.float64)[:, cols].T        # (J, K)
    x = np.asarray(card.teacher_s, dtype=np.float64)
    z, x = _pool_columns(z, x, MAX_TIME_COLUMNS)
    labels = [joint_label(_student_name(j, mirror)) for j in BODY_ORDER]
    fig = go.Figure(go.Heatmap(
        x=x, y=labels, z=z, zmin=0, zmax=100, colorscale=SCORE_COLORSCALE, hoverongaps=False,
        colorbar={"title": {"text": "score", "side": "right"}, "thickness": 14, "tickvals": [0, 25, 50, 75, 100]},
        hovertemplate="%{y}<br>teacher %{x:.2f} s<br>score %{z:.0f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="", tickfont={"size": 13}, showgrid=False)
    fig.update_xaxes(title_text="teacher time (s)", showgrid=False)
    title = "Joint scores over time (red: far from the teacher, grey: joint not seen)"
    if mirror:
        title += " · student's own sides (danced mirrored)"
    _layout(fig, title, 480)
    fig.update_layout(plot_bgcolor=MISSING_COLOR)   # NaN cells are transparent: show the gap as grey
    return fig


def joint_bars_figure(card: Scorecard) -> go.Figure:
    """Per-joint scores (worst first) beside each joint's usual direction difference and its free band.

    Left panel: score bars 0..100. Right panel, degrees: the median limb direction difference
    (dot: the dancer's steady difference, style, which the score forgives) and the band above it
    that is still free (grey bar from the median to median + the group's tolerance). Only error
    beyond that band, held for a while, lowers the score; the dot is not compared with the
    tolerance.
    """
    items = sorted(card.joints.items(), key=lambda kv: (kv[1], kv[0]))
    names = [joint_label(n) for n, _ in items]
    scores = np.array([v for _, v in items], dtype=np.float64)
    errors = np.array([card.joint_error_deg.get(n, np.nan) for n, _ in items], dtype=np.float64)
    tol = np.array([card.settings.tolerance_deg.get(JOINT_GROUP[n], np.nan) for n, _ in items], dtype=np.float64)
    colors = [BAR_COLORS["poor" if s < POOR else "fair" if s < FAIR else "good"] for s in scores]

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.55, 0.45], horizontal_spacing=0.04,
                        subplot_titles=("score (0-100)", "usual direction difference and free band (degrees)"))
    fig.add_trace(go.Bar(
        x=scores, y=names, orientation="h", marker_color=colors, text=[f"{s:.0f}" for s in scores],
        textposition="outside", cliponaxis=False, name="score", showlegend=False,
        customdata=np.stack([errors, tol], axis=1) if len(items) else None,
        hovertemplate="%{y}: score %{x:.1f}<br>usual difference %{customdata[0]:.1f}°, free band "
                      "+%{customdata[1]:.0f}°<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(
        x=tol, base=errors, y=names, orientation="h", marker_color="rgba(120,120,120,0.28)",
        name="free band (tolerance)", customdata=errors + tol,
        hovertemplate="%{y}: free up to %{customdata:.0f}° (usual + tolerance)<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Scatter(
        x=errors, y=names, mode="markers+text",
        marker={"color": "#4c6a92", "size": 12, "line": {"color": "#333", "width": 1}},
        text=[f"{e:.0f}°" if np.isfinite(e) else "" for e in errors], textposition="middle right",
        name="usual difference (style, forgiven)", hovertemplate="%{y}: median difference %{x:.1f}°<extra></extra>"),
        row=1, col=2)
    fig.update_xaxes(range=[0, 112], row=1, col=1, title_text="score")
    top = float(np.nanmax(np.concatenate([errors + tol, [10.0]]))) * 1.1
    fig.update_xaxes(range=[0, top], row=1, col=2, title_text="degrees")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 13}, row=1, col=1)
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0.56}, barmode="overlay")
    fig.update_annotations(font_size=14)
    _layout(fig, "Per-joint scores, worst first", max(360, 34 * len(items) + 150))
    fig.update_layout(margin={"t": 100})
    return fig


# --- timeline -------------------------------------------------------------------------------

def count_gridlines(beats: BeatGrid, t0: float, t1: float) -> tuple[list[dict], list[dict]]:
    """Layout shapes and annotations of the teacher's counts between t0 and t1 (teacher's s):
    a dotted line on every beat, a solid one on every 8-count's count 1, labelled "8-count N"
    at the foot of the score axis (`MAX_EIGHT_LABELS` labels at most). Empty without counts."""
    shapes: list[dict] = []
    notes: list[dict] = []
    b = beats.beats_s
    if not beats.has_counts or not t1 > t0:
        return shapes, notes
    starts = set(range(beats.downbeat, b.size, 8))
    shown = [i for i in range(b.size) if t0 <= b[i] <= t1]
    eights = [i for i in shown if i in starts]
    every = int(np.ceil(len(eights) / MAX_EIGHT_LABELS)) if eights else 1
    for i in shown:
        eight = i in starts
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": float(b[i]), "x1": float(b[i]),
                       "y0": 0, "y1": 1, "layer": "below", "line": EIGHT_LINE if eight else BEAT_LINE})
    for n, i in enumerate(eights):
        if n % every:
            continue
        label = eight_words(beats.count_at(float(b[i]))[0])
        notes.append({"x": float(b[i]), "xref": "x", "y": 0.0, "yref": "y", "xshift": 2, "text": label,
                      "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 11, "color": "#555"}})
    return shapes, notes


def timeline_figure(card: Scorecard, *, selected: int | None = None) -> go.Figure:
    """Score over teacher time with the detected moments as shaded spans, and the lateness.

    Top: the smoothed combined score per aligned pair (0..100). Moments are shaded by kind
    (`KIND_COLORS`) and numbered like `card.moments` (1 = most important); hovering a span or
    its number shows the detail, the teacher's counts and both files' times. Bottom (when
    timing was measured): how late the student is against the music, seconds (negative:
    early). `selected` (an index into `card.moments`) is outlined. When the teacher's music has
    a steady beat, gridlines mark its counts (`count_gridlines`); otherwise the axis title says
    why times are in seconds only.
    """
    ts = np.asarray(card.teacher_s, dtype=np.float64)
    k = thin_indices(ts.size, MAX_LINE_POINTS)
    late = np.asarray(card.late_s, dtype=np.float64)
    has_late = bool(np.isfinite(late).any())
    fig = make_subplots(rows=2 if has_late else 1, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.72, 0.28] if has_late else [1.0])
    fig.add_trace(go.Scatter(
        x=ts[k], y=np.asarray(card.timeline)[k], mode="lines", name="score", line={"color": "#333", "width": 2.5},
        customdata=np.asarray(card.student_s)[k],
        hovertemplate="teacher %{x:.2f} s · student %{customdata:.2f} s<br>score %{y:.0f}<extra></extra>"),
        row=1, col=1)
    shown: set[str] = set()
    label_y = _label_rows([0.5 * (m.teacher_s[0] + m.teacher_s[1]) for m in card.moments],
                          span=float(ts[-1] - ts[0]) if ts.size > 1 else 1.0)
    for i, m in enumerate(card.moments):
        color = KIND_COLORS.get(m.kind, "#7f7f7f")
        a, b = float(m.teacher_s[0]), float(max(m.teacher_s[1], m.teacher_s[0] + 0.05))
        counts = describe_counts(m.counts)
        hover = (f"<b>#{i + 1} {m.kind}</b>: {describe_moment(m)}<br>teacher {m.teacher_s[0]:.2f}–{m.teacher_s[1]:.2f} s"
                 + (f" ({counts})" if counts else "") + f" · student {m.student_s[0]:.2f}–{m.student_s[1]:.2f} s")
        fig.add_trace(go.Scatter(
            x=[a, a, b, b, a], y=[0, 104, 104, 0, 0], fill="toself", mode="lines", fillcolor=_rgba(color, 0.22),
            line={"width": 3 if i == selected else 0, "color": color}, hoveron="fills", text=hover,
            hoverinfo="text", name=KIND_LABELS.get(m.kind, m.kind), legendgroup=m.kind,
            showlegend=m.kind not in shown), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=[(a + b) / 2], y=[label_y[i]], mode="text", text=[f"<b>{i + 1}</b>"],
            textfont={"color": color, "size": 14},
            hovertext=[hover], hoverinfo="text", showlegend=False, legendgroup=m.kind), row=1, col=1)
        shown.add(m.kind)
    top = max(label_y, default=LABEL_ROWS[0]) + 6
    fig.update_yaxes(range=[0, top], title_text="score", tickvals=[0, 25, 50, 75, 100], row=1, col=1)
    if has_late:
        fig.add_trace(go.Scatter(
            x=ts[k], y=late[k], mode="lines", name="late (+) / early (−)", line={"color": KIND_COLORS["timing"]},
            hovertemplate="teacher %{x:.2f} s<br>%{y:+.2f} s against the music<extra></extra>"), row=2, col=1)
        tol = float(card.settings.timing_tolerance_s)
        fig.add_hrect(y0=-tol, y1=tol, fillcolor="#1f77b4", opacity=0.08, line_width=0, row=2, col=1)
        fig.add_hline(y=0, line={"color": "#999", "width": 1}, row=2, col=1)
        fig.update_yaxes(title_text="late (s)", row=2, col=1)
    beats = card.beats
    if beats.has_counts:
        x_title = (f"teacher time (s) · the teacher's counts ({beats.bpm:.0f} BPM): a line per beat, "
                   "solid at each 8-count")
    else:
        x_title = f"teacher time (s) · no dance counts: {beats.reason}"
    fig.update_xaxes(title_text=x_title, title_standoff=22, row=2 if has_late else 1, col=1)
    shapes, notes = count_gridlines(beats, float(ts[0]), float(ts[-1])) if ts.size else ([], [])
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
                      shapes=list(fig.layout.shapes) + shapes, annotations=list(fig.layout.annotations) + notes)
    _layout(fig, "Score over time, with the moments to work on", 460 if has_late else 380)
    fig.update_layout(margin={"t": 100})
    return fig


#: Heights of the moment numbers above the score line; close numbers go to the next row.
LABEL_ROWS = (108.0, 115.0, 122.0)
LABEL_MIN_GAP = 0.03   # fraction of the time axis


def _label_rows(centres: list[float], span: float) -> list[float]:
    """A y for each moment number so that numbers closer than LABEL_MIN_GAP do not overlap."""
    out = [LABEL_ROWS[0]] * len(centres)
    last_x = [-np.inf] * len(LABEL_ROWS)
    for i in sorted(range(len(centres)), key=lambda i: centres[i]):
        free = [r for r in range(len(LABEL_ROWS)) if centres[i] - last_x[r] >= LABEL_MIN_GAP * span]
        row = free[0] if free else int(np.argmin(last_x))
        out[i] = LABEL_ROWS[row]
        last_x[row] = centres[i]
    return out


def components_figure(card: Scorecard) -> go.Figure:
    """Component scores as horizontal bars (components not measured are listed as 'n/a')."""
    names, values, text = [], [], []
    for c in COMPONENTS:
        v = card.components.get(c)
        names.append(c)
        values.append(0.0 if v is None else float(v))
        text.append("n/a" if v is None else f"{v:.0f}")
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", text=text, textposition="outside",
                           marker_color=[COMPONENT_COLORS[c] for c in names], cliponaxis=False,
                           hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_xaxes(range=[0, 110], title_text="score (0-100)")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Component scores", 300)


# --- live practice --------------------------------------------------------------------------

#: The rolling live-score chart shows this much of the reference's time, seconds.
LIVE_WINDOW_S = 20.0
LIVE_SCORE_COLOR = "#d62728"


def live_score_figure(history: Sequence[tuple[float, float]], *, duration_s: float | None = None,
                      window_s: float = LIVE_WINDOW_S) -> go.Figure:
    """The rolling live-score chart: score (0..100) against reference time, the last `window_s`.

    Parameters
    ----------
    history : (reference time s, score) pairs, oldest first (`LiveState.history`)
    duration_s : the reference's end, seconds: a shorter reference is shown whole
    window_s : the span shown, seconds
    """
    t = np.array([h[0] for h in history], dtype=float)
    s = np.array([h[1] for h in history], dtype=float)
    end = float(t[-1]) if t.size else 0.0
    x1 = max(end, window_s) if duration_s is None else max(end, min(window_s, duration_s))
    x0 = max(0.0, x1 - window_s)
    keep = t >= x0
    fig = go.Figure(go.Scatter(x=t[keep], y=s[keep], mode="lines", line={"color": LIVE_SCORE_COLOR, "width": 3},
                               fill="tozeroy", fillcolor="rgba(214, 39, 40, 0.12)",
                               hovertemplate="%{x:.1f} s: %{y:.0f}<extra></extra>"))
    fig.update_layout(title={"text": "Live score over the reference's time", "font": {"size": 14}}, height=240,
                      margin={"l": 40, "r": 10, "t": 40, "b": 35}, showlegend=False, template="plotly_white",
                      xaxis={"title": "reference time (s)", "range": [x0, x1]},
                      yaxis={"title": "score", "range": [0, 100]})
    return fig
