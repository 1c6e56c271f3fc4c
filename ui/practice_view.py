""""Practice a moment" in a report: loop one span of the teacher and the student in step, slowed,
the teacher optionally mirrored.

The span's two clips (engine.present.practice: the same frames, the student's following the warp
path) are drawn in a background job, then played by a small HTML component: two muted, looping
<video> elements at the chosen playbackRate, started together and kept on the same frame. Only
the teacher's element is flipped for "Mirror the teacher" (a CSS transform), so mirroring and
speed change nothing on the server. The clips are sent inline (base64): a span is at most
`practice.MAX_SPAN_S` long at 360 px high, a few hundred KB.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import streamlit as st

from engine.analysis.compare import Analysis
from engine.analysis.score import Scorecard
from engine.core.errors import EngineError
from engine.present.feedback import moment_label
from engine.present.practice import (
    MAX_SPAN_S,
    MIN_SPAN_S,
    PRACTICE_HEIGHT,
    SPEEDS,
    PracticeClips,
    planned_practice_clips,
    render_practice_clips,
    widen,
)
from ui.job_view import in_child, run_job, submit_job

SPAN_CHOICE = "A span I choose (teacher's seconds)"
#: Practice clip pairs kept on disk (oldest removed first).
KEEP_PRACTICE = 40
#: How far the student's player may drift from the teacher's before it is put back, seconds.
MAX_DRIFT_S = 0.08


def aligned_span(a: Analysis) -> tuple[float, float]:
    """(first, last) teacher time of the warp path, seconds: where a practice span may lie."""
    t = a.teacher.t
    return float(t[a.path[0, 0]]), float(t[a.path[-1, 0]])


def show_practice(a: Analysis, card: Scorecard, clip_paths: dict[str, Path | None], akey: tuple, skey: str, *,
                  renders_dir: Path, prefix: str = "") -> None:
    """The "Practice a moment" section of a report.

    clip_paths : "teacher" / "student" -> the video file, or None when it is no longer stored
    akey, skey : the analysis key and the score settings as text (the clips depend on both)
    """
    st.subheader("Practice a moment")
    if any(p is None for p in clip_paths.values()):
        st.caption("Practising a moment needs both videos; one of them is no longer stored.")
        return
    st.caption("Loop one moment with the teacher and the student side by side and in step (the student's frames "
               "follow the warp path), slowed down if you like. The moment's worst joints are drawn in red.")
    lo, hi = aligned_span(a)
    labels = [moment_label(i, m) for i, m in enumerate(card.moments)]
    choice = st.selectbox("Moment to practise", [*labels, SPAN_CHOICE], key=f"{prefix}practice_moment")
    if choice == SPAN_CHOICE:
        default = (round(lo, 1), round(min(lo + 4.0, hi), 1))
        t0, t1 = st.slider("Span of the teacher's clip, seconds", min_value=round(lo, 1), max_value=round(hi, 1),
                           value=default, step=0.1, key=f"{prefix}practice_span",
                           help=f"At least {MIN_SPAN_S:g} s (a shorter span is widened), at most {MAX_SPAN_S:g} s.")
        span = widen((t0, t1), (lo, hi))
    else:
        span = widen(card.moments[labels.index(choice)].teacher_s, (lo, hi))
    c1, c2 = st.columns([2, 1])
    speed = c1.radio("Speed", SPEEDS, index=len(SPEEDS) - 1, format_func=lambda v: f"{v:g}x", horizontal=True,
                     key=f"{prefix}practice_speed")
    mirror = c2.toggle("Mirror the teacher", key=f"{prefix}practice_mirror",
                       help="Flip the teacher's picture left-right, so you can copy it like a reflection.")
    span = (round(span[0], 2), round(min(span[1], span[0] + MAX_SPAN_S), 2))
    clips = get_practice_clips(a, card, clip_paths, akey, skey, span, renders_dir=renders_dir, prefix=prefix)
    if clips is None:
        return
    joints = ", ".join(s.replace("_", " ") for _, s in clips.joints) or "none below the tolerance"
    st.caption(f"Teacher {clips.teacher_s[0]:.2f}-{clips.teacher_s[1]:.2f} s, student {clips.student_s[0]:.2f}-"
               f"{clips.student_s[1]:.2f} s: {clips.duration_s:.1f} s a loop at 1x, {clips.duration_s / speed:.1f} s "
               f"at {speed:g}x. In red (the span's worst joints): {joints}.")
    player(clips, speed=float(speed), mirror=bool(mirror))


def get_practice_clips(a: Analysis, card: Scorecard, clip_paths: dict[str, Path | None], akey: tuple, skey: str,
                       span: tuple[float, float], *, renders_dir: Path, prefix: str = "") -> PracticeClips | None:
    """The span's clips: drawn once per (analysis, span) as a background job, and again for new
    slider settings only when asked (a slider move must stay a quick rescore); files drawn before
    with the same settings, by any session, are reused."""
    ss = st.session_state
    kept = ss.setdefault(f"{prefix}practice_clips", {})
    latest = kept.get((akey, span))            # (score settings, clips) drawn for this span
    if latest is not None and latest[1].teacher.is_file() and latest[1].student.is_file():
        if latest[0] == skey:
            return latest[1]
        note = st.empty()
        with note.container():
            st.caption("The red joints were drawn with earlier slider settings.")
            redraw = st.button("Update the practice clips with the current settings", key=f"{prefix}practice_redraw")
        if not redraw:
            return latest[1]
        note.empty()
    folder = renders_dir / "practice"
    stem = folder / hashlib.sha256(repr((akey, skey, span)).encode()).hexdigest()[:20]
    try:
        clips = planned_practice_clips(a, card, stem, teacher_s=span)
    except EngineError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if not (clips.teacher.is_file() and clips.student.is_file()):
        key = ("practice", akey, skey, span)
        if key in ss["failed"]:
            st.error(ss["failed"][key], icon=":material/error:")
            return None
        folder.mkdir(parents=True, exist_ok=True)
        job = submit_job(key, in_child(render_practice_clips), a, card, clip_paths["teacher"], clip_paths["student"], stem,
                         teacher_s=span)
        clips = run_job(job, None, "Drawing the practice clips…", "drawing the practice clips")
        if clips is None:
            return None
        _prune(folder)
    # One analysis at a time is kept (as the page keeps one Analysis); its spans are few.
    ss[f"{prefix}practice_clips"] = {k: v for k, v in kept.items() if k[0] == akey} | {(akey, span): (skey, clips)}
    return clips


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*-teacher.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[KEEP_PRACTICE:]:
        p.unlink(missing_ok=True)
        p.with_name(p.name.replace("-teacher.mp4", "-student.mp4")).unlink(missing_ok=True)


def _data_url(path: Path) -> str:
    return "data:video/mp4;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def player_html(clips: PracticeClips, *, speed: float, mirror: bool) -> str:
    """The two players as one HTML document: looping, muted, at `speed`, in step; teacher flipped with `mirror`."""
    flip = "transform: scaleX(-1);" if mirror else ""
    teacher_label = "Teacher (mirrored)" if mirror else "Teacher"
    settings = json.dumps({"rate": speed, "maxDrift": MAX_DRIFT_S})
    return f"""<!doctype html><html><head><style>
body {{ margin: 0; font-family: "Source Sans Pro", sans-serif; color: #31333f; overflow: hidden; }}
.row {{ display: flex; gap: 12px; align-items: flex-start; }}
figure {{ margin: 0; flex: 1 1 0; min-width: 0; }} figcaption {{ font-size: 14px; margin-top: 4px; }}
video {{ width: 100%; height: {PRACTICE_HEIGHT}px; object-fit: contain; background: #000; display: block; }}
button {{ margin-top: 6px; font-size: 14px; padding: 4px 12px; }}
</style></head><body>
<div class="row">
 <figure><video id="teacher" data-mirrored="{str(mirror).lower()}" style="{flip}" muted loop playsinline
   preload="auto" src="{_data_url(clips.teacher)}"></video><figcaption>{teacher_label}</figcaption></figure>
 <figure><video id="student" muted loop playsinline preload="auto"
   src="{_data_url(clips.student)}"></video><figcaption>Student (following the teacher's timing)</figcaption></figure>
</div>
<button id="toggle">Pause</button> <span id="speed">{speed:g}x</span>
<script>
const cfg = {settings};
const t = document.getElementById("teacher"), s = document.getElementById("student");
const both = [t, s];
for (const v of both) {{ v.defaultPlaybackRate = cfg.rate; v.playbackRate = cfg.rate; }}
let started = false;
function start() {{
  if (started || t.readyState < 3 || s.readyState < 3) return;
  started = true;
  for (const v of both) {{ v.currentTime = 0; v.playbackRate = cfg.rate; v.play(); }}
}}
for (const v of both) {{ v.addEventListener("canplay", start); v.addEventListener("canplaythrough", start); }}
start();
// Both clips hold the same frames: keep the student on the teacher's (not across a loop's wrap).
setInterval(() => {{
  if (t.paused) return;
  const d = Math.abs(s.currentTime - t.currentTime);
  if (d > cfg.maxDrift && d < t.duration - 0.25) s.currentTime = t.currentTime;
}}, 100);
const toggle = document.getElementById("toggle");
toggle.addEventListener("click", () => {{
  const pause = !t.paused;
  for (const v of both) {{ pause ? v.pause() : v.play(); }}
  if (pause) s.currentTime = t.currentTime;
}});
t.addEventListener("pause", () => {{ toggle.textContent = "Play"; }});
t.addEventListener("play", () => {{ toggle.textContent = "Pause"; }});
</script></body></html>"""


def player(clips: PracticeClips, *, speed: float, mirror: bool) -> None:
    st.iframe(player_html(clips, speed=speed, mirror=mirror), height=PRACTICE_HEIGHT + 80)

