"""engine.present.render: frames paired along the warp path, skeleton drawing, the H.264 output."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from engine.core.body import SCORED_JOINTS, Landmark
from engine.core.errors import EngineError
from engine.io.encode import write_mp4
from engine.present.render import (
    HIGHLIGHT_BELOW,
    MAX_HIGHLIGHT,
    draw_skeleton,
    frame_plan,
    planned_result,
    render_side_by_side,
    worst_joints,
)
from tests.factories import N_JOINTS, make_analysis, make_card, make_performance

FPS = 30.0
#: Grey level of source frame i: distinct enough to survive H.264 (about +-3 levels).
STEP, BASE = 6, 20


def level(i: int) -> int:
    return BASE + STEP * i


def _stall_path() -> np.ndarray:
    """Teacher 30 frames, student 36: in step, then teacher frame 10 held over student 10..15, in step again."""
    rows = [(i, i) for i in range(10)] + [(10, j) for j in range(10, 16)]
    rows += [(i, i + 5) for i in range(11, 30)] + [(29, 35)]
    return np.array(rows, dtype=np.int64)


def test_frame_plan_one_row_per_teacher_frame_middle_of_a_hold():
    plan = frame_plan(make_analysis(make_performance(np.zeros((30, 33, 4))), make_performance(np.zeros((36, 33, 4))),
                                    _stall_path()))
    assert plan.shape == (30, 3)
    np.testing.assert_array_equal(plan[:, 0], np.arange(30))
    expected_student = [*range(10), 12, *range(16, 35)]      # teacher 10 -> middle of student 10..15
    np.testing.assert_array_equal(plan[:, 1], expected_student)
    path = _stall_path()
    np.testing.assert_array_equal(path[plan[:, 2]][:, :2], plan[:, :2])   # each row is a real path pair


def test_frame_plan_starts_and_ends_with_the_path():
    path = np.array([(5, 2), (6, 3), (7, 3), (7, 4), (8, 5)], dtype=np.int64)
    a = make_analysis(make_performance(np.zeros((12, 33, 4))), make_performance(np.zeros((9, 33, 4))), path)
    np.testing.assert_array_equal(frame_plan(a), [[5, 2, 0], [6, 3, 1], [7, 3, 2], [8, 5, 4]])


@pytest.mark.parametrize("mirror, expected", [
    (False, [("left_elbow", "left_elbow"), ("neck", "neck"), ("right_knee", "right_knee")]),
    (True, [("left_elbow", "right_elbow"), ("neck", "neck"), ("right_knee", "left_knee")]),
])
def test_worst_joints_below_threshold_worst_first(mirror, expected):
    jt = np.full((3, N_JOINTS), 99.0)
    row = {"left_elbow": 10.0, "neck": 40.0, "right_knee": 60.0, "left_hip": 70.0, "torso": HIGHLIGHT_BELOW + 1}
    for name, v in row.items():
        jt[1, SCORED_JOINTS.index(name)] = v
    jt[1, SCORED_JOINTS.index("left_wrist")] = np.nan           # unknown is never "worst"
    card = make_card(3, joint_timeline=jt)
    assert MAX_HIGHLIGHT == 3
    assert worst_joints(card, 1, mirror=mirror) == expected
    assert worst_joints(card, 0, mirror=mirror) == []


def _t_pose_image() -> np.ndarray:
    """(33, 4) image landmarks of a front-facing figure in a 200x200 frame (dancer's left on the right)."""
    img = np.full((33, 4), np.nan, np.float32)
    pts = {Landmark.LEFT_SHOULDER: (0.6, 0.3), Landmark.RIGHT_SHOULDER: (0.4, 0.3),
           Landmark.LEFT_ELBOW: (0.8, 0.3), Landmark.RIGHT_ELBOW: (0.2, 0.3),
           Landmark.LEFT_WRIST: (0.95, 0.3), Landmark.RIGHT_WRIST: (0.05, 0.3),
           Landmark.LEFT_HIP: (0.55, 0.6), Landmark.RIGHT_HIP: (0.45, 0.6)}
    for lm, (x, y) in pts.items():
        img[lm] = (x, y, 0.0, 0.9)
    return img


def _red(img: np.ndarray) -> np.ndarray:
    r, g, b = (img[..., c].astype(int) for c in range(3))
    return (r > 200) & (g < 90) & (b < 90)


def test_draw_skeleton_marks_the_bad_joint_in_red_only_there():
    plain = draw_skeleton(np.zeros((200, 200, 3), np.uint8), _t_pose_image())
    assert plain.any() and not _red(plain).any()
    bad = draw_skeleton(np.zeros((200, 200, 3), np.uint8), _t_pose_image(), ["left_elbow"])
    ys, xs = np.nonzero(_red(bad))
    assert xs.size > 0
    assert xs.min() >= 0.6 * 200 - 12                            # the dancer's left arm side only
    assert abs(ys.mean() - 0.3 * 200) < 12                        # around the elbow's height


def test_draw_skeleton_skips_unseen_landmarks():
    img = np.zeros((50, 50, 3), np.uint8)
    out = draw_skeleton(img, np.full((33, 4), np.nan, np.float32), ["left_elbow", "torso", "neck"])
    assert not out.any()


# --- end to end -----------------------------------------------------------------------------

def _write_clip(path: Path, n: int, size: tuple[int, int], *, audio: bool) -> None:
    w, h = size
    frames = (np.full((h, w, 3), level(i), np.uint8) for i in range(n))
    sound = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(n / FPS * 44100)) / 44100) if audio else None
    write_mp4(path, frames, FPS, audio=sound, sr=44100, crf=10)


@pytest.fixture
def rendered(tmp_path):
    teacher_path, student_path = tmp_path / "t.mp4", tmp_path / "s.mp4"
    _write_clip(teacher_path, 30, (96, 64), audio=True)
    _write_clip(student_path, 36, (80, 64), audio=False)
    nan = np.full((33, 4), np.nan, np.float32)
    teacher = make_performance(np.zeros((30, 33, 4)), image=np.repeat(nan[None], 30, 0), size=(96, 64), has_audio=True)
    student = make_performance(np.zeros((36, 33, 4)), image=np.repeat(nan[None], 36, 0), size=(80, 64))
    a = make_analysis(teacher, student, _stall_path())
    card = make_card(len(a.path), joint_timeline=np.full((len(a.path), N_JOINTS), 99.0))
    calls = []
    out = tmp_path / "out.mp4"
    result = render_side_by_side(a, card, teacher_path, student_path, out, height=96,
                                 progress=lambda f, m: calls.append((f, m)))
    return a, result, out, calls


def _decode(path: Path) -> tuple[list[np.ndarray], dict]:
    with av.open(str(path)) as f:
        v = f.streams.video[0]
        info = {"codec": v.codec_context.name, "pix_fmt": v.format.name, "audio": len(f.streams.audio),
                "audio_s": float(f.streams.audio[0].duration * f.streams.audio[0].time_base) if f.streams.audio else 0}
        frames = [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)]
    return frames, info


def test_render_pairs_each_teacher_frame_with_its_path_student_frame(rendered):
    a, result, out, _ = rendered
    frames, info = _decode(out)
    plan = frame_plan(a)
    assert len(frames) == result.n_frames == 30
    assert frames[0].shape == (96, 144 + 120, 3)                 # each clip scaled to 96 px high, side by side
    for f, frame in enumerate(frames):
        teacher_grey = frame[30:60, 20:120].mean()
        student_grey = frame[30:60, 164:250].mean()
        assert abs(teacher_grey - level(plan[f, 0])) < 3.5, f
        assert abs(student_grey - level(plan[f, 1])) < 3.5, f


def test_render_is_browser_h264_with_the_teachers_audio(rendered):
    _, result, out, calls = rendered
    _, info = _decode(out)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["audio"] == 1 and abs(info["audio_s"] - 1.0) < 0.1
    assert result == planned_result(rendered[0], out, height=96)
    assert result.teacher_start_s == 0.0 and result.video_time(0.5) == pytest.approx(0.5)
    assert calls[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in calls)
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)


def test_render_of_an_unreadable_clip_raises_and_leaves_no_file(tmp_path):
    teacher_path = tmp_path / "t.mp4"
    _write_clip(teacher_path, 30, (96, 64), audio=False)
    bad = tmp_path / "s.mp4"
    bad.write_bytes(b"this is not a video")
    a = make_analysis(make_performance(np.zeros((30, 33, 4)), size=(96, 64)),
                      make_performance(np.zeros((36, 33, 4)), size=(80, 64)), _stall_path())
    with pytest.raises(EngineError):
        render_side_by_side(a, make_card(len(a.path)), teacher_path, bad, tmp_path / "out.mp4", height=96)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mp4", "t.mp4"]
