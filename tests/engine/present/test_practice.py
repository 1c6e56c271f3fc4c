"""engine.present.practice: a span's teacher and student clips, frame for frame along the warp path."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from engine.core.body import SCORED_JOINTS
from engine.core.errors import EngineError
from engine.io.encode import write_mp4
from engine.present.practice import (
    MAX_SPAN_S,
    planned_practice_clips,
    render_practice_clips,
    span_rows,
    span_worst_joints,
    widen,
)
from engine.present.render import HIGHLIGHT_BELOW
from tests.factories import N_JOINTS, make_analysis, make_card, make_performance

FPS = 30.0
STEP, BASE = 6, 20


def level(i: int) -> int:
    """Grey level of source frame i (distinct enough to survive H.264)."""
    return BASE + STEP * i


def _stall_path() -> np.ndarray:
    """Teacher 30 frames, student 36: in step, then teacher frame 10 held over student 10..15, in step again."""
    rows = [(i, i) for i in range(10)] + [(10, j) for j in range(10, 16)]
    rows += [(i, i + 5) for i in range(11, 30)] + [(29, 35)]
    return np.array(rows, dtype=np.int64)


def _analysis(n_t: int = 30, n_s: int = 36):
    nan = np.full((33, 4), np.nan, np.float32)
    teacher = make_performance(np.zeros((n_t, 33, 4)), image=np.repeat(nan[None], n_t, 0), size=(96, 64))
    student = make_performance(np.zeros((n_s, 33, 4)), image=np.repeat(nan[None], n_s, 0), size=(80, 64))
    return make_analysis(teacher, student, _stall_path())


@pytest.mark.parametrize(("span", "limits", "expected"), [
    ((3.0, 3.5), (0.0, 10.0), (2.25, 4.25)),       # widened around its middle to 2 s
    ((0.2, 0.4), (0.0, 10.0), (0.0, 2.0)),         # near the start it slides inward
    ((9.8, 10.0), (0.0, 10.0), (8.0, 10.0)),       # near the end too
    ((1.0, 5.0), (0.0, 10.0), (1.0, 5.0)),         # long enough: kept
    ((0.5, 0.6), (0.0, 1.5), (0.0, 1.5)),          # a clip shorter than 2 s: all of it
    ((3.5, 3.0), (0.0, 10.0), (2.25, 4.25)),       # given backwards
])
def test_widen(span, limits, expected):
    assert widen(span, limits) == pytest.approx(expected)


def test_span_rows_are_the_frame_plan_rows_in_the_span():
    rows = span_rows(_analysis(), (0.3, 0.5))                   # teacher frames 9 .. 15
    np.testing.assert_array_equal(rows[:, 0], np.arange(9, 16))
    np.testing.assert_array_equal(rows[:, 1], [9, 12, 16, 17, 18, 19, 20])   # teacher 10 -> middle of its hold


@pytest.mark.parametrize(("span", "message"), [
    ((1.5, 2.0), r"No aligned frames between 1.50 and 2.00 s .* from 0.00 to 0.97 s"),
    ((0.0, MAX_SPAN_S + 1), r"at most 12 s long; 13.0 s was chosen"),
])
def test_span_rows_refuse_an_empty_or_long_span(span, message):
    with pytest.raises(EngineError, match=message):
        span_rows(_analysis(), span)


@pytest.mark.parametrize(("mirror", "expected"), [
    (False, (("left_elbow", "left_elbow"), ("neck", "neck"))),
    (True, (("left_elbow", "right_elbow"), ("neck", "neck"))),
])
def test_span_worst_joints_rank_the_mean_over_the_span(mirror, expected):
    jt = np.full((6, N_JOINTS), 99.0)
    col = {n: SCORED_JOINTS.index(n) for n in ("left_elbow", "neck", "right_knee", "left_wrist")}
    jt[1:4, col["left_elbow"]] = [10.0, 20.0, 30.0]             # mean 20
    jt[1:4, col["neck"]] = [50.0, np.nan, 70.0]                  # mean 60 (NaN: not seen at that pair)
    jt[1:4, col["right_knee"]] = [HIGHLIGHT_BELOW - 3, 99.0, 99.0]    # one pair below, the mean above
    jt[1:4, col["left_wrist"]] = np.nan                          # never seen: never "worst"
    jt[5, col["right_knee"]] = 0.0                               # outside the span
    card = make_card(6, joint_timeline=jt)
    assert span_worst_joints(card, np.array([1, 2, 3]), mirror=mirror) == expected
    assert span_worst_joints(card, np.array([0]), mirror=mirror) == ()


def _write_clip(path: Path, n: int, size: tuple[int, int]) -> None:
    w, h = size
    write_mp4(path, (np.full((h, w, 3), level(i), np.uint8) for i in range(n)), FPS, crf=10)


def _decode(path: Path) -> tuple[list[np.ndarray], str]:
    with av.open(str(path)) as f:
        codec = f.streams.video[0].codec_context.name
        return [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)], codec


@pytest.mark.parametrize("span", [(0.3, 0.5), (0.6, 0.9)])
def test_practice_clips_show_each_teacher_frame_with_its_path_student_frame(tmp_path, span):
    """Frame i of the two clips is the i-th span row of the frame plan (the grey levels say which
    source frame it is); a later span decodes from near its start, not from the file's start."""
    teacher_path, student_path = tmp_path / "t.mp4", tmp_path / "s.mp4"
    _write_clip(teacher_path, 30, (96, 64))
    _write_clip(student_path, 36, (80, 64))
    a = _analysis()
    card = make_card(len(a.path), joint_timeline=np.full((len(a.path), N_JOINTS), 99.0))
    calls = []
    clips = render_practice_clips(a, card, teacher_path, student_path, tmp_path / "p", teacher_s=span, height=64,
                                  progress=lambda f, m: calls.append(f))
    rows = span_rows(a, span)
    teacher, t_codec = _decode(clips.teacher)
    student, s_codec = _decode(clips.student)
    assert (t_codec, s_codec) == ("h264", "h264")
    assert len(teacher) == len(student) == clips.n_frames == rows.shape[0]
    assert teacher[0].shape == (64, 96, 3) and student[0].shape == (64, 80, 3)
    for f in range(clips.n_frames):
        assert abs(teacher[f].mean() - level(rows[f, 0])) < 3.5, f
        assert abs(student[f].mean() - level(rows[f, 1])) < 3.5, f
    assert clips.teacher_s == pytest.approx((rows[0, 0] / FPS, rows[-1, 0] / FPS))
    assert clips.student_s == pytest.approx((rows[0, 1] / FPS, rows[-1, 1] / FPS))
    assert clips.duration_s == pytest.approx(rows.shape[0] / FPS) and clips.joints == ()
    assert calls[-1] == 1.0 and calls == sorted(calls)
    assert planned_practice_clips(a, card, tmp_path / "p", teacher_s=span) == clips   # reusable without rendering
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-student.mp4", "p-teacher.mp4", "s.mp4", "t.mp4"]
