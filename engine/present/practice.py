"""Practice clips of one span: the teacher and the student in step, as two short videos to loop.

For a span of the teacher's time (a moment, padded to at least MIN_SPAN_S, or a span the dancer
picks) two MP4 files of exactly the same frames are written: frame i of the teacher clip is the
teacher's i-th frame of the span, frame i of the student clip is the student frame the warp path
pairs it with (`render.frame_plan`). Played side by side at the same rate they stay in step by
construction, at any speed, looping; the page can mirror the teacher's picture alone (which one
side-by-side video could not). The span's worst joints (lowest mean pair score over the span)
are drawn in red on every frame, so they stay highlighted while the dancer practises.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.core.body import SCORED_JOINTS, mirror_joint_name
from engine.core.errors import EngineError
from engine.core.progress import Progress
from engine.io.encode import write_mp4
from engine.present.draw import draw_skeleton, even
from engine.present.render import (
    HIGHLIGHT_BELOW,
    MAX_HIGHLIGHT,
    PROGRESS_EVERY,
    _Cursor,
    frame_plan,
)

if TYPE_CHECKING:
    from engine.analysis.compare import Analysis
    from engine.analysis.score import Scorecard

#: Playback speeds offered (1 = the teacher's tempo).
SPEEDS = (0.25, 0.5, 0.75, 1.0)
#: A moment shorter than this is widened around its middle, so a loop shows its lead-in, seconds.
MIN_SPAN_S = 2.0
#: Longest span rendered, seconds (a loop longer than this is no longer "a moment").
MAX_SPAN_S = 12.0
#: Height of the practice clips, pixels.
PRACTICE_HEIGHT = 360


@dataclass(frozen=True)
class PracticeClips:
    """What `render_practice_clips` wrote.

    teacher, student : the two MP4 files, `n_frames` frames each at `fps` (same length)
    teacher_s, student_s : (start, end) seconds of the span in each file
    joints : the span's worst joints as (teacher's joint, student's own joint), worst first
    """

    teacher: Path
    student: Path
    n_frames: int
    fps: float
    teacher_s: tuple[float, float]
    student_s: tuple[float, float]
    joints: tuple[tuple[str, str], ...]

    @property
    def duration_s(self) -> float:
        """Length of one loop at 1x, seconds."""
        return self.n_frames / self.fps


def widen(span_s: tuple[float, float], limits_s: tuple[float, float], *, min_s: float = MIN_SPAN_S) -> tuple[float, float]:
    """`span_s` widened around its middle to at least `min_s` seconds, kept within `limits_s`.

    E.g. widen((3.0, 3.5), (0, 10)) == (2.25, 4.25); near an end the span slides inward.
    """
    t0, t1 = sorted(float(x) for x in span_s)
    lo, hi = float(limits_s[0]), float(limits_s[1])
    need = min(min_s, hi - lo)
    if t1 - t0 < need:
        mid = 0.5 * (t0 + t1)
        t0, t1 = mid - 0.5 * need, mid + 0.5 * need
        shift = max(lo - t0, 0.0) - max(t1 - hi, 0.0)
        t0, t1 = t0 + shift, t1 + shift
    return max(t0, lo), min(t1, hi)


def span_rows(analysis: Analysis, teacher_s: tuple[float, float]) -> np.ndarray:
    """The rows of `render.frame_plan` whose teacher frame lies in [start, end] seconds: (F, 3) int64.

    Raises EngineError when the span holds no aligned teacher frame or is longer than MAX_SPAN_S.
    """
    t0, t1 = float(teacher_s[0]), float(teacher_s[1])
    if t1 - t0 > MAX_SPAN_S + 1e-6:
        raise EngineError(f"A practice span is at most {MAX_SPAN_S:.0f} s long; {t1 - t0:.1f} s was chosen. "
                          "Choose a shorter span.")
    plan = frame_plan(analysis)
    t = analysis.teacher.t.astype(np.float64)[plan[:, 0]]
    rows = plan[(t >= t0 - 1e-6) & (t <= t1 + 1e-6)]
    if rows.shape[0] == 0:
        a0, a1 = float(t[0]), float(t[-1])
        raise EngineError(f"No aligned frames between {t0:.2f} and {t1:.2f} s of the teacher's clip (the dancing "
                          f"runs from {a0:.2f} to {a1:.2f} s there): choose a span inside it.")
    return rows


def span_worst_joints(card: Scorecard, pairs: np.ndarray, *, mirror: bool) -> tuple[tuple[str, str], ...]:
    """Joints whose mean pair score over `pairs` (indices into the path) is below HIGHLIGHT_BELOW,
    worst first, at most MAX_HIGHLIGHT: (teacher's joint, student's own joint) names."""
    rows = np.asarray(card.joint_timeline, dtype=np.float64)[np.asarray(pairs, dtype=np.int64)]
    seen = np.isfinite(rows).any(axis=0)
    mean = np.full(rows.shape[1], np.inf)
    mean[seen] = np.nanmean(rows[:, seen], axis=0)
    order = [j for j in np.argsort(mean, kind="stable") if mean[j] < HIGHLIGHT_BELOW][:MAX_HIGHLIGHT]
    return tuple((SCORED_JOINTS[j], mirror_joint_name(SCORED_JOINTS[j]) if mirror else SCORED_JOINTS[j])
                 for j in order)


def render_practice_clips(analysis: Analysis, card: Scorecard, teacher_path: str | Path, student_path: str | Path,
                          out_stem: str | Path, *, teacher_s: tuple[float, float], height: int = PRACTICE_HEIGHT,
                          progress: Progress | None = None) -> PracticeClips:
    """Write the teacher's and the student's clip of one span, frame for frame in step.

    Parameters
    ----------
    analysis, card : the comparison and its scores (the same clips as the paths)
    teacher_path, student_path : the video files that were analyzed
    out_stem : path without suffix; writes `<stem>-teacher.mp4` and `<stem>-student.mp4` (folder must exist)
    teacher_s : (start, end) of the span, teacher's seconds (at most MAX_SPAN_S long)
    height : height of both clips, pixels (each keeps its aspect ratio)
    progress : progress(fraction, message) every few frames

    Raises
    ------
    EngineError
        The span is empty or too long (`span_rows`); VideoError when a clip cannot be decoded.
    """
    a = analysis
    rows = span_rows(a, teacher_s)
    clips = planned_practice_clips(a, card, out_stem, teacher_s=teacher_s)
    fps, n, joints = clips.fps, clips.n_frames, clips.joints
    teacher_t, student_t = a.teacher.t.astype(np.float64), a.student.t.astype(np.float64)
    out = {"teacher": clips.teacher, "student": clips.student}
    sides = {"teacher": (a.teacher, teacher_path, teacher_t, rows[:, 0], [t for t, _ in joints]),
             "student": (a.student, student_path, student_t, rows[:, 1], [s for _, s in joints])}

    for k, (role, (perf, path, times, idx, bad)) in enumerate(sides.items()):
        src = perf.source
        size = (even(height * src.width / max(src.height, 1)), even(height))
        # Decoding starts a little before the span (the keyframe before it), not at the file's start.
        cursor = _Cursor(path, fps, size, start_s=max(float(times[idx[0]]) - 0.5, 0.0))

        def generate(cursor=cursor, perf=perf, times=times, idx=idx, bad=bad, k=k, role=role) -> Iterator[np.ndarray]:
            for f, i in enumerate(idx):
                yield draw_skeleton(cursor.at(times[i]).copy(), perf.image[i], bad)
                if progress is not None and (f + 1) % PROGRESS_EVERY == 0:
                    progress(min((k * n + f + 1) / (2 * n), 0.99), f"drawing the {role}'s practice clip: frame {f + 1}/{n}")

        write_mp4(out[role], generate(), fps)
    if progress is not None:
        progress(1.0, f"practice clips written ({n} frames each)")
    return clips


def planned_practice_clips(analysis: Analysis, card: Scorecard, out_stem: str | Path, *,
                           teacher_s: tuple[float, float]) -> PracticeClips:
    """What `render_practice_clips` writes for these arguments, without rendering (milliseconds):
    lets a caller reuse clips rendered before from their paths. EngineError as `span_rows`."""
    a = analysis
    rows = span_rows(a, teacher_s)
    teacher_t, student_t = a.teacher.t.astype(np.float64), a.student.t.astype(np.float64)
    stem = Path(out_stem)
    return PracticeClips(teacher=stem.with_name(f"{stem.name}-teacher.mp4"),
                         student=stem.with_name(f"{stem.name}-student.mp4"), n_frames=int(rows.shape[0]),
                         fps=float(a.teacher.fps),
                         teacher_s=(float(teacher_t[rows[0, 0]]), float(teacher_t[rows[-1, 0]])),
                         student_s=(float(student_t[rows[0, 1]]), float(student_t[rows[-1, 1]])),
                         joints=span_worst_joints(card, rows[:, 2], mirror=a.mirror))
