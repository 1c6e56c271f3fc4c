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

from engine.core.body import ANGLE_TRIPLETS, BONES, SCORED_JOINTS, Landmark, mirror_joint_name
from engine.core.progress import Progress
from engine.io.encode import write_mp4
from engine.io.video import audio as decode_audio
from engine.io.video import frames, probe

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard

L = Landmark

#: A pair's joint scoring below this is highlighted (at most MAX_HIGHLIGHT, worst first). With
#: score.POSE_HALF_DEG = 30, 85 means about 13 degrees past the joint's tolerance.
HIGHLIGHT_BELOW = 85.0
MAX_HIGHLIGHT = 3
#: Landmarks seen less surely than this are not drawn.
MIN_VISIBILITY = 0.3
#: Audio sample rate of the output, Hz.
AUDIO_SR = 44100
#: How often progress is reported, frames.
PROGRESS_EVERY = 10
#: Drawing colours (RGB).
BONE_COLOR = (80, 220, 255)
OUTLINE_COLOR = (20, 20, 20)
BAD_COLOR = (255, 40, 40)
TEXT_COLOR = (255, 255, 255)
BAND_ALPHA = 0.55
#: Bones and the vertex drawn in red for each scored joint (torso and neck have no triplet).
_AXIAL_BONES: dict[str, tuple[tuple[Landmark, Landmark], ...]] = {
    "torso": ((L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP)),
    "neck": ((L.NOSE, L.LEFT_EYE), (L.NOSE, L.RIGHT_EYE), (L.LEFT_EYE, L.LEFT_EAR), (L.RIGHT_EYE, L.RIGHT_EAR)),
}
_AXIAL_VERTEX: dict[str, Landmark] = {"torso": L.LEFT_SHOULDER, "neck": L.NOSE}


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


def _joint_bones(joint: str) -> tuple[tuple[tuple[Landmark, Landmark], ...], Landmark]:
    """Bones and vertex landmark that show `joint` (a dancer's own joint name)."""
    if joint in ANGLE_TRIPLETS:
        a, v, b = ANGLE_TRIPLETS[joint]
        return ((a, v), (v, b)), v
    return _AXIAL_BONES[joint], _AXIAL_VERTEX[joint]


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
    """Decoded frames of one clip, fetched by time in non-decreasing order, resized on the way."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        info = probe(path)
        scale = size[1] / max(info.height, 1)
        max_side = max(int(math.ceil(max(info.width, info.height) * scale)), 2)
        self._it: Iterator[tuple[float, np.ndarray]] = frames(path, fps=fps, max_side=max_side)
        self._size = size
        self._tol = 0.25 / fps
        self._cur = next(self._it, None)
        self._next = next(self._it, None)
        if self._cur is None:
            raise ValueError(f"{path}: no frames")

    def at(self, t: float) -> np.ndarray:
        """The last frame whose time is <= t (the first frame for an earlier t), resized, RGB."""
        while self._next is not None and self._next[0] <= t + self._tol:
            self._cur, self._next = self._next, next(self._it, None)
        rgb = self._cur[1]
        if rgb.shape[1] != self._size[0] or rgb.shape[0] != self._size[1]:
            rgb = cv2.resize(rgb, self._size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(rgb)


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def _pt(lm: np.ndarray, w: int, h: int) -> tuple[int, int] | None:
    if not (np.isfinite(lm[:2]).all() and (not np.isfinite(lm[3]) or lm[3] >= MIN_VISIBILITY)):
        return None
    return int(round(float(lm[0]) * w)), int(round(float(lm[1]) * h))


def draw_skeleton(img: np.ndarray, landmarks: np.ndarray, bad_joints: list[str] = (), *,
                  color: tuple[int, int, int] = BONE_COLOR, thickness: int | None = None) -> np.ndarray:
    """Draw a skeleton (and its bad joints in red) on an RGB frame, in place; returns it.

    Parameters
    ----------
    img : (H, W, 3) uint8 RGB
    landmarks : (33, 4) image landmarks: x, y normalized to this frame, z, visibility; NaN = unseen
    bad_joints : the dancer's own joint names to highlight
    color : RGB of the bones and joint dots
    thickness : bone thickness, pixels; None scales it with the frame height
    """
    h, w = img.shape[:2]
    thick = max(2, round(h / 160)) if thickness is None else max(1, int(thickness))
    pts = [_pt(landmarks[i], w, h) for i in range(landmarks.shape[0])]
    for a, b in BONES:
        pa, pb = pts[a], pts[b]
        if pa is not None and pb is not None:
            # Face bones thin: at body thickness they hide the face.
            t = max(1, thick // 2) if a < L.LEFT_SHOULDER and b < L.LEFT_SHOULDER else thick
            cv2.line(img, pa, pb, OUTLINE_COLOR, t + 2, cv2.LINE_AA)
            cv2.line(img, pa, pb, color, t, cv2.LINE_AA)
    for p in pts[11:]:
        if p is not None:
            cv2.circle(img, p, thick + 1, color, -1, cv2.LINE_AA)
    for joint in bad_joints:
        bones, vertex = _joint_bones(joint)
        for a, b in bones:
            pa, pb = pts[a], pts[b]
            if pa is not None and pb is not None:
                cv2.line(img, pa, pb, BAD_COLOR, thick + 2, cv2.LINE_AA)
        if pts[vertex] is not None:
            cv2.circle(img, pts[vertex], 3 * thick + 2, BAD_COLOR, thick, cv2.LINE_AA)
    return img


def _band(img: np.ndarray, y0: int, y1: int) -> None:
    """Darken a horizontal band so white text on it reads over any background."""
    img[y0:y1] = (img[y0:y1].astype(np.float32) * (1.0 - BAND_ALPHA)).astype(np.uint8)


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color=TEXT_COLOR) -> int:
    """Draw text; returns the x just after it, pixels."""
    thick = max(1, round(scale * 2))
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)
    (width, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    return org[0] + width


def _sizes(analysis: Analysis, height: int) -> tuple[int, tuple[int, int], tuple[int, int]]:
    """Even output height and the (width, height) each clip is scaled to."""
    height = _even(height)
    t_src, s_src = analysis.teacher.source, analysis.student.source
    return (height, (_even(height * t_src.width / max(t_src.height, 1)), height),
            (_even(height * s_src.width / max(s_src.height, 1)), height))


def planned_result(analysis: Analysis, out_path: str | Path, *, height: int = 480) -> RenderResult:
    """What `render_side_by_side(analysis, ..., out_path, height=height)` writes, without rendering.

    Lets a caller reuse a video rendered earlier (e.g. by another session) from its path alone.
    """
    plan = frame_plan(analysis)
    height, t_size, s_size = _sizes(analysis, height)
    return RenderResult(path=Path(out_path), n_frames=int(plan.shape[0]), fps=float(analysis.teacher.fps),
                        teacher_start_s=float(analysis.teacher.t[plan[0, 0]]), width=t_size[0] + s_size[0],
                        height=height)


def _fit(text: str, max_width: int, scale: float) -> float:
    """The largest font scale <= `scale` at which `text` is at most `max_width` pixels wide."""
    thick = max(1, round(scale * 2))
    (width, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    return scale if width <= max_width else max(scale * max_width / max(width, 1), 0.25)


def _line_height(scale: float) -> int:
    (_, h), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, round(scale * 2)))
    return int(round((h + base) * 1.6))


def _footer(frame: np.ndarray, score_text: str, words: str, scale: float, color) -> None:
    """Score and the joints to check along the bottom: one line if it fits, else two."""
    h, w = frame.shape[:2]
    gap = "   "
    one = _fit(score_text + gap + words, w - 16, scale)
    if one >= 0.75 * scale:
        lh = _line_height(one)
        _band(frame, h - lh, h)
        x = _text(frame, score_text + gap, (8, h - int(lh * 0.3)), one)
        _text(frame, words, (x, h - int(lh * 0.3)), one, color)
        return
    small = min(_fit(score_text, w - 16, scale), _fit(words, w - 16, scale))
    lh = _line_height(small)
    _band(frame, h - 2 * lh, h)
    _text(frame, score_text, (8, h - lh - int(lh * 0.3)), small)
    _text(frame, words, (8, h - int(lh * 0.3)), small, color)


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
    label_font = min(_fit("TEACHER 000.00 s", t_size[0] - 16, base), _fit("STUDENT 000.00 s", s_size[0] - 16, base))
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
            _text(frame, f"TEACHER {teacher_t[ti]:.2f} s", (8, int(top_h * 0.72)), label_font)
            _text(frame, f"STUDENT {student_t[si]:.2f} s", (t_size[0] + 8, int(top_h * 0.72)), label_font)
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
