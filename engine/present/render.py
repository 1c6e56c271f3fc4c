"""Side-by-side annotated comparison video: teacher and student aligned by the warp path.

One output frame per teacher frame of the aligned span; beside it the student frame the DTW path
maps it to, so the student plays at the teacher's tempo (held or skipped frames show where they
were slow or fast). Both skeletons are drawn from the cleaned image landmarks; the joints that
score worst at that moment are drawn in red and named. Frames stream from the decoders through
the drawing into the H.264 encoder: memory does not grow with the clip's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from engine.core.body import SCORED_JOINTS, mirror_joint_name
from engine.core.progress import Progress
from engine.io.encode import write_mp4
from engine.io.video import audio as decode_audio
from engine.io.video import display_frames
from engine.present.draw import (
    BAD_COLOR,
    FONT,
    TEXT_COLOR,
    draw_skeleton,
    even,
    fit_scale,
    put_text,
    text_thickness,
)

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard

#: A pair's joint scoring below this is highlighted (at most MAX_HIGHLIGHT, worst first). With
#: score.LOCAL_SPAN_DEG = 30, 85 means the limb is 4.5 degrees past its usual error + tolerance.
HIGHLIGHT_BELOW = 85.0
MAX_HIGHLIGHT = 3
#: Audio sample rate of the output, Hz.
AUDIO_SR = 44100
#: How often progress is reported, frames.
PROGRESS_EVERY = 10
#: Share of the picture's brightness removed under the label bands.
BAND_ALPHA = 0.55


@dataclass(frozen=True)
class RenderResult:
    """What `render_side_by_side` wrote.

    Attributes
    ----------
    path : the MP4 file
    n_frames : output frames (one per teacher frame of the aligned span)
    fps : output frame rate, frames/s
    teacher_start_s : teacher time of the first output frame, seconds (video time 0)
    width, height : output size, pixels
    """

    path: Path
    n_frames: int
    fps: float
    teacher_start_s: float
    width: int
    height: int

    def video_time(self, teacher_s: float) -> float:
        """Where teacher time `teacher_s` is in the rendered video, seconds (clamped to it)."""
        return float(min(max(teacher_s - self.teacher_start_s, 0.0), self.n_frames / self.fps))


def frame_plan(analysis: Analysis) -> np.ndarray:
    """Which pair each output frame shows: (F, 3) int64 rows of (teacher frame, student frame, pair).

    One row per teacher frame from the path's first to its last; where the path holds a teacher
    frame over several student frames (the student was slower), the middle pair is taken.
    """
    path = analysis.path
    t_col = path[:, 0]
    teacher = np.arange(int(t_col[0]), int(t_col[-1]) + 1, dtype=np.int64)
    lo = np.searchsorted(t_col, teacher, side="left")
    hi = np.searchsorted(t_col, teacher, side="right")
    k = (lo + hi - 1) // 2
    return np.stack([teacher, path[k, 1], k], axis=1).astype(np.int64)


def worst_joints(card: Scorecard, pair: int, *, mirror: bool) -> list[tuple[str, str]]:
    """Joints scoring below HIGHLIGHT_BELOW at one pair, worst first, at most MAX_HIGHLIGHT.

    Returns (teacher's joint, student's own joint) names; they differ when the student mirrored.
    """
    row = np.asarray(card.joint_timeline[pair], dtype=np.float64)
    order = [j for j in np.argsort(np.where(np.isfinite(row), row, np.inf)) if row[j] < HIGHLIGHT_BELOW]
    out = []
    for j in order[:MAX_HIGHLIGHT]:
        name = SCORED_JOINTS[j]
        out.append((name, mirror_joint_name(name) if mirror else name))
    return out


class _Cursor:
    """Decoded frames of one clip, fetched by time in non-decreasing order, resized on the way
    (from `start_s` on, seconds)."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], start_s: float = 0.0) -> None:
        self._it: Iterator[tuple[float, np.ndarray]] = display_frames(path, fps=fps, size=size, start_s=start_s)
        self._tol = 0.25 / fps
        self._cur = next(self._it, None)
        self._next = next(self._it, None)
        if self._cur is None:
            raise ValueError(f"{path}: no frames")

    def at(self, t: float) -> np.ndarray:
        """The last frame whose time is <= t (the first frame for an earlier t), resized, RGB."""
        while self._next is not None and self._next[0] <= t + self._tol:
            self._cur, self._next = self._next, next(self._it, None)
        return self._cur[1]


def _band(img: np.ndarray, y0: int, y1: int) -> None:
    """Darken a horizontal band so white text on it reads over any background."""
    img[y0:y1] = (img[y0:y1].astype(np.float32) * (1.0 - BAND_ALPHA)).astype(np.uint8)


def _sizes(analysis: Analysis, height: int) -> tuple[int, tuple[int, int], tuple[int, int]]:
    """Even output height and the (width, height) each clip is scaled to."""
    height = even(height)
    t_src, s_src = analysis.teacher.source, analysis.student.source
    return (height, (even(height * t_src.width / max(t_src.height, 1)), height),
            (even(height * s_src.width / max(s_src.height, 1)), height))


def planned_result(analysis: Analysis, out_path: str | Path, *, height: int = 480) -> RenderResult:
    """What `render_side_by_side(analysis, ..., out_path, height=height)` writes, without rendering.

    Lets a caller reuse a video rendered earlier (e.g. by another session) from its path alone.
    """
    plan = frame_plan(analysis)
    height, t_size, s_size = _sizes(analysis, height)
    return RenderResult(path=Path(out_path), n_frames=int(plan.shape[0]), fps=float(analysis.teacher.fps),
                        teacher_start_s=float(analysis.teacher.t[plan[0, 0]]), width=t_size[0] + s_size[0],
                        height=height)


def _line_height(scale: float) -> int:
    (_, h), base = cv2.getTextSize("Ag", FONT, scale, text_thickness(scale))
    return int(round((h + base) * 1.6))


def _footer(frame: np.ndarray, score_text: str, words: str, scale: float, color) -> None:
    """Score and the joints to check along the bottom: one line if it fits, else two."""
    h, w = frame.shape[:2]
    gap = "   "
    one = fit_scale(score_text + gap + words, w - 16, scale)
    if one >= 0.75 * scale:
        lh = _line_height(one)
        _band(frame, h - lh, h)
        x = put_text(frame, score_text + gap, (8, h - int(lh * 0.3)), one)
        put_text(frame, words, (x, h - int(lh * 0.3)), one, color)
        return
    small = min(fit_scale(score_text, w - 16, scale), fit_scale(words, w - 16, scale))
    lh = _line_height(small)
    _band(frame, h - 2 * lh, h)
    put_text(frame, score_text, (8, h - lh - int(lh * 0.3)), small)
    put_text(frame, words, (8, h - int(lh * 0.3)), small, color)


def render_side_by_side(analysis: Analysis, card: Scorecard, teacher_path: str | Path, student_path: str | Path,
                        out_path: str | Path, *, height: int = 480, with_audio: bool = True,
                        progress: Progress | None = None) -> RenderResult:
    """Write the annotated side-by-side comparison as a browser-playable H.264 MP4.

    Parameters
    ----------
    analysis, card : the comparison and its scores (the same clips as the paths)
    teacher_path, student_path : the video files that were analyzed
    out_path : MP4 to write (its folder must exist); replaced atomically
    height : output height, pixels; each clip is scaled to it, keeping its aspect ratio
    with_audio : include the teacher's music from the first output frame on
    progress : progress(fraction, message) every few frames

    Returns
    -------
    RenderResult

    Raises
    ------
    VideoError
        A clip cannot be decoded.
    """
    a = analysis
    fps = float(a.teacher.fps)
    plan = frame_plan(a)
    n_out = plan.shape[0]
    t_src = a.teacher.source
    height, t_size, s_size = _sizes(a, height)
    teacher_t = a.teacher.t.astype(np.float64)
    student_t = a.student.t.astype(np.float64)
    start_s = float(teacher_t[plan[0, 0]])
    base = height / 640.0
    label_font = min(fit_scale("TEACHER 000.00 s", t_size[0] - 16, base), fit_scale("STUDENT 000.00 s", s_size[0] - 16, base))
    top_h = _line_height(label_font)

    sound = None
    if with_audio and t_src.has_audio:
        samples = decode_audio(teacher_path, sr=AUDIO_SR)
        if samples is not None:
            first = int(round(start_s * AUDIO_SR))
            sound = samples[first:first + int(math.ceil(n_out / fps * AUDIO_SR))]
            sound = sound if sound.size else None

    def generate() -> Iterator[np.ndarray]:
        teacher = _Cursor(teacher_path, fps, t_size)
        student = _Cursor(student_path, fps, s_size)
        for f, (ti, si, k) in enumerate(plan):
            bad = worst_joints(card, int(k), mirror=a.mirror)
            left = draw_skeleton(teacher.at(teacher_t[ti]), a.teacher.image[ti], [t for t, _ in bad])
            right = draw_skeleton(student.at(student_t[si]), a.student.image[si], [s for _, s in bad])
            frame = np.concatenate([left, right], axis=1)
            _band(frame, 0, top_h)
            put_text(frame, f"TEACHER {teacher_t[ti]:.2f} s", (8, int(top_h * 0.72)), label_font)
            put_text(frame, f"STUDENT {student_t[si]:.2f} s", (t_size[0] + 8, int(top_h * 0.72)), label_font)
            words = "check: " + ", ".join(s.replace("_", " ") for _, s in bad) if bad else "joints within tolerance"
            _footer(frame, f"score {float(card.timeline[k]):.0f}", words, base, BAD_COLOR if bad else TEXT_COLOR)
            cv2.line(frame, (t_size[0], 0), (t_size[0], height), (255, 255, 255), 2)
            if progress is not None and (f + 1) % PROGRESS_EVERY == 0:
                progress(min((f + 1) / n_out, 0.99), f"rendering the comparison video: frame {f + 1}/{n_out}")
            yield frame

    write_mp4(out_path, generate(), fps, audio=sound, sr=AUDIO_SR)
    if progress is not None:
        progress(1.0, f"comparison video written ({n_out} frames)")
    return planned_result(a, out_path, height=height)
