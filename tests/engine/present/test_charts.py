"""engine.present.charts: figures built from hand-made results, checked trace by trace (no Streamlit)."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from engine.analysis.compare import COST_GRID_SIDE, CostGrid
from engine.analysis.normalize import joint_features, normalize
from engine.core.body import SCORED_JOINTS
from engine.core.settings import ScoreSettings
from engine.present import charts
from engine.present.feedback.wording import describe_moment
from tests.factories import N_JOINTS, make_analysis, make_card, make_performance, moment


def _diagonal_path(n: int, m: int) -> np.ndarray:
    """Monotonic path from (0, 0) to (n-1, m-1) taking diagonal steps first."""
    i = np.arange(max(n, m))
    return np.stack([np.minimum(i, n - 1), np.minimum(i, m - 1)], axis=1)


def _trace(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert found, f"no trace named {name!r}; have {[t.name for t in fig.data]}"
    return found[0]


@pytest.fixture
def pair(dance_clip):
    """Teacher 90 frames, student 96 frames of another dance; path offset by 3 student frames."""
    teacher = make_performance(dance_clip(90, seed=1))
    student = make_performance(dance_clip(96, seed=2))
    path = _diagonal_path(90, 93) + np.array([0, 3])
    return teacher, student, path


# --- warp path ------------------------------------------------------------------------------

def test_warp_path_trace_is_the_dtw_path_in_seconds(pair):
    teacher, student, path = pair
    a = make_analysis(teacher, student, path, offset_s=-0.1)
    fig = charts.warp_path_figure(a)
    p = _trace(fig, "DTW warp path")
    np.testing.assert_allclose(p.x, student.t[path[:, 1]], atol=1e-6)
    np.testing.assert_allclose(p.y, teacher.t[path[:, 0]], atol=1e-6)
    assert "teacher" in p.hovertemplate and "student" in p.hovertemplate
    assert fig.layout.xaxis.title.text == "student time (s)" and fig.layout.yaxis.title.text == "teacher time (s)"


def test_warp_heatmap_is_the_local_pose_distance(pair):
    teacher, student, path = pair
    a = make_analysis(teacher, student, path)
    fig = charts.warp_path_figure(a, max_side=500)
    heat = next(t for t in fig.data if isinstance(t, go.Heatmap))
    z = np.asarray(heat.z)
    assert z.shape == (90, 93)                          # the aligned span: all teacher rows, student 3..95
    # One cell by hand: Euclidean distance of the normalized core-joint features.
    tf = joint_features(normalize(teacher.world))[40]
    sf = joint_features(normalize(student.world))[3 + 17]
    assert z[40, 17] == pytest.approx(float(np.sqrt(np.sum((tf - sf) ** 2))), rel=1e-5)
    assert np.asarray(heat.x)[0] == pytest.approx(student.t[3])
    assert np.asarray(heat.y)[-1] == pytest.approx(teacher.t[89])


def test_warp_diagonal_follows_the_sync_offset(pair):
    teacher, student, path = pair
    a = make_analysis(teacher, student, path, offset_s=-0.1, method="audio", confidence=0.9)
    d = next(t for t in charts.warp_path_figure(a).data if t.name.startswith("same tempo"))
    np.testing.assert_allclose(np.asarray(d.y) - np.asarray(d.x), -0.1, atol=1e-9)
    assert "audio" in d.name


def test_warp_diagonal_without_sync_joins_the_path_ends(pair):
    teacher, student, path = pair
    a = make_analysis(teacher, student, path, method="none")
    d = next(t for t in charts.warp_path_figure(a).data if t.name.startswith("same tempo"))
    assert list(d.x) == pytest.approx([student.t[path[0, 1]], student.t[path[-1, 1]]])
    assert list(d.y) == pytest.approx([teacher.t[0], teacher.t[89]])


def test_warp_heatmap_is_downsampled_for_long_clips_and_inputs_untouched(dance_clip):
    teacher = make_performance(dance_clip(1500, seed=3))
    student = make_performance(dance_clip(1400, seed=4))
    before = teacher.world.copy()
    a = make_analysis(teacher, student, _diagonal_path(1500, 1400))
    grid_before = a.cost_grid.cost.copy()
    heat = next(t for t in charts.warp_path_figure(a).data if isinstance(t, go.Heatmap))
    assert np.asarray(heat.z).shape == (COST_GRID_SIDE, COST_GRID_SIDE)      # the carried grid, whole
    fig = charts.warp_path_figure(a, max_side=120)
    heat = next(t for t in fig.data if isinstance(t, go.Heatmap))
    assert np.asarray(heat.z).shape == (120, 120)
    assert np.asarray(heat.y)[0] == pytest.approx(teacher.t[0]) and np.asarray(heat.y)[-1] == pytest.approx(teacher.t[-1])
    np.testing.assert_array_equal(teacher.world, before)
    np.testing.assert_array_equal(a.cost_grid.cost, grid_before)
    json.loads(fig.to_json())  # serializable (no NaN objects plotly cannot write)


def test_warp_heatmap_draws_the_grid_the_analysis_carries_without_recomputing(pair):
    teacher, student, path = pair
    # A hand-made grid nothing could recompute: the chart must show exactly these cells and times.
    grid = CostGrid(teacher_frames=np.array([0, 30, 89]), student_frames=np.array([3, 50]),
                    cost=np.array([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]))
    a = make_analysis(teacher, student, path, grid=grid)
    fig = charts.warp_path_figure(a)
    heat = next(t for t in fig.data if isinstance(t, go.Heatmap))
    np.testing.assert_array_equal(np.asarray(heat.z), grid.cost)
    np.testing.assert_allclose(np.asarray(heat.y), teacher.t[[0, 30, 89]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(heat.x), student.t[[3, 50]], atol=1e-6)
    assert heat.zmax == pytest.approx(np.percentile(grid.cost, 95))
    assert fig.layout.xaxis.range == pytest.approx((student.t[3], student.t[50]))
    thin = next(t for t in charts.warp_path_figure(a, max_side=2).data if isinstance(t, go.Heatmap))
    np.testing.assert_array_equal(np.asarray(thin.z), [[0.5, 1.0], [2.5, 3.0]])   # first and last rows kept


# --- per-joint heatmap ----------------------------------------------------------------------

def test_joint_heatmap_rows_are_body_ordered_with_the_students_own_names():
    jt = np.full((30, N_JOINTS), 90.0)
    jt[:, SCORED_JOINTS.index("left_elbow")] = 10.0      # teacher's left column
    card = make_card(30, joint_timeline=jt)
    plain = charts.joint_heatmap_figure(card).data[0]
    mirrored = charts.joint_heatmap_figure(card, mirror=True).data[0]
    assert list(plain.y) == [charts.joint_label(j) for j in charts.BODY_ORDER]
    z = np.asarray(plain.z)
    assert z.shape == (N_JOINTS, 30)
    assert np.all(z[list(plain.y).index("left elbow")] == 10.0)
    # Mirrored: the teacher's left column is the student's own right elbow.
    zm = np.asarray(mirrored.z)
    assert np.all(zm[list(mirrored.y).index("right elbow")] == 10.0)
    assert np.all(zm[list(mirrored.y).index("left elbow")] == 90.0)
    assert (plain.zmin, plain.zmax) == (0, 100)


def test_joint_heatmap_pools_long_timelines_by_mean():
    k = 1200
    jt = np.full((k, N_JOINTS), 100.0)
    jt[: k // 2] = 0.0
    jt[0, 0] = np.nan                                      # NaN cells are skipped, not zeros
    card = make_card(k, joint_timeline=jt)
    h = charts.joint_heatmap_figure(card).data[0]
    z = np.asarray(h.z, dtype=float)
    assert z.shape == (N_JOINTS, charts.MAX_TIME_COLUMNS)
    assert np.all(z[:, : charts.MAX_TIME_COLUMNS // 2] == 0.0) and np.all(z[:, charts.MAX_TIME_COLUMNS // 2:] == 100.0)
    assert np.asarray(h.x)[1] == pytest.approx(2 / 30)     # each column starts at its bin's first time


# --- per-joint bars -------------------------------------------------------------------------

def test_joint_bars_worst_first_with_the_usual_difference_and_its_free_band():
    settings = ScoreSettings(tolerance_deg={**ScoreSettings().tolerance_deg, "shoulders": 40.0})
    joints = {"left_shoulder": 55.0, "right_knee": 75.0, "neck": 95.0}
    errors = {"left_shoulder": 61.0, "right_knee": 22.0, "neck": 3.0}
    card = make_card(10, joints=joints, joint_error_deg=errors, settings=settings)
    fig = charts.joint_bars_figure(card)
    bars = fig.data[0]
    assert list(bars.y) == ["left shoulder", "right knee", "head / neck"]
    assert list(bars.x) == [55.0, 75.0, 95.0]
    assert list(bars.marker.color) == [charts.BAR_COLORS["poor"], charts.BAR_COLORS["fair"], charts.BAR_COLORS["good"]]
    # The free band starts at the usual (median) difference and is the group's tolerance long:
    # the score forgives the steady difference, so the dot is never judged against the tolerance.
    band = _trace(fig, "free band (tolerance)")
    assert list(band.x) == [40.0, 15.0, 20.0] and list(band.base) == [61.0, 22.0, 3.0]
    dots = _trace(fig, "usual difference (style, forgiven)")
    assert list(dots.x) == [61.0, 22.0, 3.0]
    assert len({str(c) for c in np.atleast_1d(dots.marker.color)}) == 1      # one colour: no verdict
    assert fig.layout.xaxis2.range[1] >= 101.0              # the largest band's end is on the chart


# --- timeline -------------------------------------------------------------------------------

def test_timeline_shades_each_moment_by_kind_with_detail():
    ms = [moment("form", (0.5, 1.0), (0.4, 0.9), joint="left_elbow", error_deg=-30.0),
          moment("timing", (1.5, 2.0), late_s=0.4),
          moment("form", (2.2, 2.4), joint="right_knee", error_deg=20.0)]
    late = np.linspace(-0.2, 0.4, 90)
    card = make_card(90, moments=ms, late_s=late)
    fig = charts.timeline_figure(card, selected=1)
    spans = [t for t in fig.data if t.fill == "toself"]
    assert len(spans) == 3
    for span, m in zip(spans, ms):
        assert min(span.x) == pytest.approx(m.teacher_s[0]) and max(span.x) == pytest.approx(m.teacher_s[1])
        assert describe_moment(m) in span.text
        assert span.fillcolor == charts._rgba(charts.KIND_COLORS[m.kind], 0.22)
    assert [s.showlegend for s in spans] == [True, True, False]   # each kind once in the legend
    assert [s.line.width for s in spans] == [0, 3, 0]             # the selected moment is outlined
    lateness = _trace(fig, "late (+) / early (−)")
    np.testing.assert_allclose(lateness.y, late)


def test_timeline_without_timing_has_no_lateness_panel():
    fig = charts.timeline_figure(make_card(30))
    assert all(t.name != "late (+) / early (−)" for t in fig.data)
    assert "yaxis2" not in fig.layout.to_plotly_json()


def test_components_figure_says_na_for_unmeasured():
    card = make_card(5, components={"pose": 70.0, "timing": None, "trajectory": 60.0, "silhouette": 50.0,
                                    "dynamics": 40.0})
    bar = charts.components_figure(card).data[0]
    assert list(bar.text) == ["70", "n/a", "60", "50", "40"]


def test_timeline_numbers_of_close_moments_do_not_overlap():
    ms = [moment("form", (1.00, 1.10)), moment("timing", (1.05, 1.20)), moment("freeze", (2.0, 2.1))]
    fig = charts.timeline_figure(make_card(90, moments=ms))
    numbers = [t for t in fig.data if t.mode == "text"]
    assert [t.text[0] for t in numbers] == ["<b>1</b>", "<b>2</b>", "<b>3</b>"]
    ys = [t.y[0] for t in numbers]
    assert ys[0] != ys[1]                                   # 0.05 s apart on a 3 s axis: stacked
    assert ys[2] == charts.LABEL_ROWS[0]                    # far from the others: first row
    assert fig.layout.yaxis.range[1] > max(ys)              # all inside the plot


# --- live practice --------------------------------------------------------------------------

def test_live_chart_shows_the_last_window_of_a_long_reference():
    history = [(t / 10, 50 + t % 40) for t in range(300)]          # 0.0 .. 29.9 s of reference time
    fig = charts.live_score_figure(history, duration_s=40.0, window_s=20.0)
    assert fig.layout.xaxis.range == pytest.approx((9.9, 29.9))
    line = fig.data[0]
    np.testing.assert_allclose(line.x, [t / 10 for t in range(99, 300)])    # points before 9.9 s dropped
    np.testing.assert_allclose(line.y, [50 + t % 40 for t in range(99, 300)])
    assert fig.layout.yaxis.range == (0, 100) and line.line.color == charts.LIVE_SCORE_COLOR


@pytest.mark.parametrize(("history", "duration_s", "x_range"), [
    ([(t / 10, 70.0) for t in range(50)], 8.0, (0.0, 8.0)),          # a short reference is shown whole
    ([(t / 10, 70.0) for t in range(50)], None, (0.0, 20.0)),        # unknown length: the first window
    ([(t / 10, 70.0) for t in range(250)], 12.0, (4.9, 24.9)),       # past the stated end: follows the data
    ([], None, (0.0, 20.0)),                                         # nothing scored yet
])
def test_live_chart_x_range(history, duration_s, x_range):
    fig = charts.live_score_figure(history, duration_s=duration_s)
    assert fig.layout.xaxis.range == pytest.approx(x_range)
    assert len(fig.data[0].x) == sum(1 for t, _ in history if t >= x_range[0] - 1e-9)
    assert fig.layout.xaxis.title.text == "reference time (s)" and fig.layout.yaxis.title.text == "score"


# --- count gridlines --------------------------------------------------------------------------

def test_timeline_draws_a_line_per_beat_and_labels_each_8_count():
    from dataclasses import replace

    from engine.analysis.beats import BeatGrid
    # 90 pairs at 30 fps: teacher 0..2.97 s. Beats every 0.25 s, first downbeat at 0.25 s (beat 1).
    beats = BeatGrid(beats_s=np.arange(16) * 0.25, downbeat=1, bpm=240.0)
    card = replace(make_card(90, moments=[replace(moment("form", (0.5, 1.0), joint="left_elbow", error_deg=-30.0),
                                                  counts=((1, 2), (1, 4)))]), beats=beats)
    fig = charts.timeline_figure(card)
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.yref == "paper"]
    assert [s.x0 for s in lines] == list(np.arange(12) * 0.25)             # beats within 0..2.97 s
    solid = [s.x0 for s in lines if s.line.dash is None]
    assert solid == [0.25, 2.25]                                            # count 1 of 8-counts 1 and 2
    labels = [(a.x, a.text) for a in fig.layout.annotations if a.text.startswith("8-count")]
    assert labels == [(0.25, "8-count 1"), (2.25, "8-count 2")]
    span = next(t for t in fig.data if t.fill == "toself")
    assert "(8-count 1, count 2-4)" in span.text
    assert "240 BPM" in fig.layout.xaxis.title.text


def test_timeline_without_counts_says_why_and_draws_no_beat_lines():
    from dataclasses import replace

    from engine.analysis.beats import no_beats
    card = replace(make_card(90, late_s=np.zeros(90)), beats=no_beats("the teacher's clip has no audio"))
    fig = charts.timeline_figure(card)
    assert not [s for s in fig.layout.shapes if s.yref == "paper"]
    assert "no dance counts: the teacher's clip has no audio" in fig.layout.xaxis2.title.text
