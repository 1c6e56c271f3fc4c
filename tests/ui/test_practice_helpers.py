"""ui.practice_view and ui.section_view without a browser: the player's document, the repetition lines."""

from __future__ import annotations

import base64
import re

import pytest

from engine.live import LiveState
from engine.present.practice import PracticeClips
from ui.practice_view import player_html
from ui.section_view import repetition_lines


@pytest.fixture
def clips(tmp_path) -> PracticeClips:
    (tmp_path / "p-teacher.mp4").write_bytes(b"teacher-bytes")
    (tmp_path / "p-student.mp4").write_bytes(b"student-bytes")
    return PracticeClips(teacher=tmp_path / "p-teacher.mp4", student=tmp_path / "p-student.mp4", n_frames=60,
                         fps=30.0, teacher_s=(2.0, 3.97), student_s=(2.7, 4.67), joints=())


@pytest.mark.parametrize(("mirror", "flipped"), [(False, False), (True, True)])
def test_the_player_loops_both_clips_at_the_speed_and_flips_only_the_teacher(clips, mirror, flipped):
    html = player_html(clips, speed=0.25, mirror=mirror)
    videos = re.findall(r"<video ([^>]*)>", html)
    assert len(videos) == 2
    teacher, student = videos
    for tag, data in ((teacher, b"teacher-bytes"), (student, b"student-bytes")):
        assert re.search(r"\bloop\b", tag) and re.search(r"\bmuted\b", tag)
        assert f'src="data:video/mp4;base64,{base64.b64encode(data).decode()}"' in tag
    assert ("scaleX(-1)" in teacher) is flipped and "scaleX" not in student
    assert f'data-mirrored="{str(mirror).lower()}"' in teacher
    assert '"rate": 0.25' in html and ("Teacher (mirrored)" in html) is flipped


def _state(phase: str, repetition: int, scores: tuple) -> LiveState:
    return LiveState(phase=phase, countdown_s=0.0, ref_t=0.0, score=None, worst_joint=None, history=(), frames_in=0,
                     frames_scored=0, ms_per_frame=0.0, message=None, repetition=repetition,
                     repetition_scores=scores)


@pytest.mark.parametrize(("phase", "rep", "scores", "expected"), [
    ("dancing", 0, (None,), "Repetition 1 of 3: no score yet · now"),
    ("dancing", 1, (72.4, 80.0), "Repetition 1 of 3: **72**  \nRepetition 2 of 3: **80** (+8) · now"),
    ("finished", 2, (72.0, None, 90.6),
     "Repetition 1 of 3: **72**  \nRepetition 2 of 3: not scored (nobody in view)  \nRepetition 3 of 3: **91** (+19)"),
    ("finished", 2, (95.0, 90.0, 96.0),
     "Repetition 1 of 3: **95**  \nRepetition 2 of 3: **90** (-5)  \nRepetition 3 of 3: **96** (+6)"),
    ("countdown", 0, (), ""),
])
def test_repetition_lines(phase, rep, scores, expected):
    assert repetition_lines(_state(phase, rep, scores), 3) == expected
