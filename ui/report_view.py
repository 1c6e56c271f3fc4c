"""The comparison report as the pages draw it: scores, coaching, score over time with the
side-by-side video, the warp path, the joints, downloads.

Both the Compare page and the Live practice page show a result through `show_report`, so a live
attempt gets the very same report as two uploaded clips. Every widget key and every piece of
session state here carries the page's `prefix` (the Compare page's is empty), so the two pages'
reports never share a widget or a cached figure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from engine.analysis.compare import Analysis
from engine.analysis.score import SCALE, Scorecard
from engine.core.errors import EngineError
from engine.core.settings import COMPONENTS
from engine.io.video import probe
from engine.present.charts import joint_bars_figure, joint_heatmap_figure, timeline_figure, warp_path_figure
from engine.present.feedback import (
    ENV_BASE_URL,
    ENV_KEY,
    ENV_MODEL,
    ComparisonFacts,
    Feedback,
    counts_note,
    describe_alignment,
    llm_config_from_env,
    llm_feedback,
    moment_label,
    rules_feedback,
)
from engine.present.render import RenderResult, planned_result, render_side_by_side
from ui.exports import joints_csv, report_json
from ui.job_view import in_child, run_job, submit_job
from ui.practice_view import show_practice
from ui.settings_panel import COMPONENT_MEANING

ROLES = ("teacher", "student")
#: Rendered videos kept on disk (oldest removed first).
KEEP_RENDERS = 20
#: Video codecs every current browser plays in an MP4/WebM (others, e.g. HEVC, are not shown raw).
BROWSER_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
#: Players of tall videos are sized so they are at most this high, pixels; wider ones fill the column.
SIDE_BY_SIDE_MAX_H, ORIGINAL_MAX_H, WIDE_PLAYER_PX = 560, 420, 1000


@dataclass(frozen=True)
class Clip:
    """A clip of a comparison: where it is, what to call it, its content hash.

    `path` is None when the video is no longer on disk (a live practice reference known only
    from the pose cache): the report then leaves out the videos that need its frames.
    """

    path: Path | None
    name: str
    sha256: str


def stored_names(clips: dict[str, Clip]) -> dict[str, str]:
    """Stored file name -> the name the user knows, for error messages (see `job_view.collect`)."""
    return {c.path.name: c.name for c in clips.values() if c.path is not None}


def init_report_state(prefix: str = "") -> None:
    """Session defaults of one page's report (set once)."""
    ss = st.session_state
    ss.setdefault("failed", {})               # job key -> message of the EngineError it raised
    ss.setdefault(f"{prefix}coach", {})       # (analysis key, score key) -> Feedback from "Ask the coach"
    ss.setdefault(f"{prefix}renders", {})     # analysis key -> RenderResult (latest)
    ss.setdefault(f"{prefix}render_skey", None)  # score settings the latest video was drawn with
    ss.setdefault(f"{prefix}warp_fig", None)  # (analysis key, Figure)


def show_report(a: Analysis, card: Scorecard, clips: dict[str, Clip], akey: tuple, skey: str, *,
                renders_dir: Path, prefix: str = "") -> None:
    """The whole report of one comparison, below a heading the caller draws.

    Parameters
    ----------
    a, card : the analysis and its scorecard under the current settings
    clips : "teacher" and "student" clips
    akey : hashable key of the analysis (what it depends on); skey: the score settings as text
    renders_dir : folder of the side-by-side videos
    prefix : the page's prefix of widget keys and session state
    """
    facts = ComparisonFacts.from_analysis(a)
    show_scores(card)
    feedback = show_feedback(card, facts, (akey, skey), prefix=prefix)
    show_timeline_and_video(a, card, clips, akey, skey, renders_dir=renders_dir, prefix=prefix)
    show_practice(a, card, {r: clips[r].path for r in ROLES}, akey, skey, renders_dir=renders_dir, prefix=prefix)
    show_alignment(a, akey, prefix=prefix)
    show_joints(a, card, prefix=prefix)
    show_downloads(a, card, feedback, prefix=prefix)


def show_scores(card: Scorecard) -> None:
    cols = st.columns(len(COMPONENTS) + 1)
    with cols[0]:
        st.metric("Overall", f"{card.overall:.0f} / 100")
        st.caption(f"weighted mix of the parts; {SCALE}.")
        if card.not_in_view:
            st.caption("Not in view in both clips (not scored): "
                       + ", ".join(n.replace("_", " ") for n in card.not_in_view) + ".")
    for col, c in zip(cols[1:], COMPONENTS):
        v = card.components.get(c)
        with col:
            st.metric(c.capitalize(), "n/a" if v is None else f"{v:.0f}")
            st.caption(COMPONENT_MEANING[c] + ("" if v is not None else " · not measured for these clips"))


def show_feedback(card: Scorecard, facts: ComparisonFacts, ckey: tuple, *, prefix: str = "") -> Feedback:
    """The coaching paragraph: rule-based always; the LLM's after 'Ask the coach'. Returns the one shown."""
    st.subheader("Coaching")
    paragraph = st.container()
    asked = st.button("Ask the coach", key=f"{prefix}ask_coach",
                      help="Sends the scores and moments (never the video) to an LLM for a coaching paragraph.")
    rules = rules_feedback(card, facts)
    coach: Feedback | None = st.session_state[f"{prefix}coach"].get(ckey)
    if asked:
        try:
            config = llm_config_from_env()
        except EngineError as exc:
            st.error(str(exc), icon=":material/error:")
            config = None
        else:
            if config is None:
                st.info(f"The coach needs an OpenAI-compatible API key. Set **{ENV_KEY}** in the environment "
                        f"before starting the app (optionally **{ENV_MODEL}**, default gpt-4o-mini, and "
                        f"**{ENV_BASE_URL}** for another OpenAI-compatible server), then restart it. Only the "
                        "scores and moments are sent, never the video. The rule-based feedback is shown meanwhile.",
                        icon=":material/key:")
        if config is not None:
            with st.spinner(f"Asking the coach ({config.model})…"):
                coach = llm_feedback(card, facts, config)
            st.session_state[f"{prefix}coach"] = {ckey: coach}
    shown = coach if coach is not None and coach.source == "llm" else rules
    with paragraph:
        if coach is not None and coach.notice:
            st.warning(coach.notice, icon=":material/warning:")
        label = "From the coach (LLM):" if shown.source == "llm" else "Feedback (rule-based):"
        st.markdown(f"**{label}** {shown.text}")
        if shown.source == "llm":
            with st.expander("Rule-based feedback"):
                st.write(rules.text)
    return shown


def show_timeline_and_video(a: Analysis, card: Scorecard, clips: dict[str, Clip], akey: tuple, skey: str, *,
                            renders_dir: Path, prefix: str = "") -> None:
    st.subheader("Score over time")
    st.caption(counts_caption(card))
    labels = [moment_label(i, m) for i, m in enumerate(card.moments)]
    choice = st.selectbox("Jump to a moment (seeks the videos below)", ["(start)"] + labels, key=f"{prefix}moment")
    sel = labels.index(choice) if choice in labels else None
    st.plotly_chart(timeline_figure(card, selected=sel), key=f"{prefix}timeline_chart", theme=None)
    m = card.moments[sel] if sel is not None else None

    st.subheader("Side by side")
    video = None
    if any(clips[r].path is None for r in ROLES):
        missing = next(clips[r].name for r in ROLES if clips[r].path is None)
        st.caption(f"The video of {missing} is no longer on disk (only its poses are cached), so there is no "
                   "side-by-side video; the scores and charts are complete.")
    else:
        st.caption("The student's frames follow the teacher's timing along the warp path; skeletons from the pose "
                   "model, the worst joints of each moment in red.")
        slot = st.container()
        update = False
        latest = st.session_state[f"{prefix}renders"].get(akey)
        if latest is not None and st.session_state.get(f"{prefix}render_skey") != skey:
            slot.caption("The video was drawn with earlier slider settings (scores and red joints may differ).")
            update = slot.button("Update the video with the current settings", key=f"{prefix}rerender")
        video = get_render(a, card, clips, akey, skey, slot, renders_dir=renders_dir, prefix=prefix, force=update)
    t_start = {"teacher": float(a.teacher_s[0]), "student": float(a.student_s[0])}
    if m is not None:
        t_start = {"teacher": float(m.teacher_s[0]), "student": float(m.student_s[0])}
    # Players seek in whole seconds (Streamlit's start_time is an int): start at or just before.
    if video is not None:
        st.video(str(video.path), start_time=int(video.video_time(t_start["teacher"])),
                 width=_player_width(video.width, video.height, SIDE_BY_SIDE_MAX_H))
        st.download_button("Download the side-by-side video (MP4)", data=video.path.read_bytes,
                           file_name="comparison.mp4", mime="video/mp4", key=f"{prefix}dl_video")
    cols = st.columns(2)
    for col, role in zip(cols, ROLES):
        source = (a.teacher if role == "teacher" else a.student).source
        clip = clips[role]
        with col:
            st.caption(f"{role.capitalize()}: {clip.name}, from {t_start[role]:.1f} s")
            if clip.path is None:
                continue
            codec = video_codec(str(clip.path), *stat_key(clip.path))
            if codec in BROWSER_CODECS:
                st.video(str(clip.path), start_time=int(t_start[role]),
                         width=_player_width(source.width, source.height, ORIGINAL_MAX_H))
            else:
                st.caption(f"This clip is encoded as {codec.upper()}, which browsers do not all play; it is shown "
                           "in the side-by-side video above (H.264).")


def counts_caption(card: Scorecard) -> str:
    """What the moments' counts are, or why times are in seconds only."""
    b = card.beats
    if b.has_counts:
        return (f":material/music_note: Moments are also given in the teacher's dance counts ({b.bpm:.0f} BPM; "
                f"8-count 1 starts at {b.beats_s[b.downbeat]:.1f} s of the teacher's clip): the lines on the "
                "chart are its beats, solid at each 8-count.")
    return f":material/music_off: {counts_note(b.reason)}"


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def get_render(a: Analysis, card: Scorecard, clips: dict[str, Clip], akey: tuple, skey: str, slot, *,
               renders_dir: Path, prefix: str = "", force: bool = False) -> RenderResult | None:
    """The side-by-side video: drawn once per analysis automatically; again only when asked.

    Videos are files named by (analysis, settings), so any session reuses one drawn before.
    """
    ss = st.session_state
    latest: RenderResult | None = ss[f"{prefix}renders"].get(akey)
    if latest is not None and latest.path.is_file() and not force:
        return latest
    out = renders_dir / f"{_digest(akey, skey)}.mp4"
    if out.is_file():
        result = planned_result(a, out)
    else:
        rkey = ("render", akey, skey)
        if rkey in ss["failed"]:
            slot.error(ss["failed"][rkey], icon=":material/error:")
            return None
        renders_dir.mkdir(parents=True, exist_ok=True)
        job = submit_job(rkey, in_child(render_side_by_side), a, card, clips["teacher"].path,
                         clips["student"].path, out)
        result = run_job(job, slot, "Drawing the side-by-side video…", "drawing the side-by-side video",
                         stored_names(clips))
        if result is None:
            return None
        _prune_renders(renders_dir)
    ss[f"{prefix}renders"] = {akey: result}
    ss[f"{prefix}render_skey"] = skey
    return result


def _prune_renders(renders_dir: Path) -> None:
    files = sorted(renders_dir.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[KEEP_RENDERS:]:
        p.unlink(missing_ok=True)


def _player_width(width: int, height: int, max_height: int) -> int | str:
    """Player width in pixels so a tall video is at most `max_height` high; "stretch" for wide ones."""
    w = int(max_height * width / max(height, 1))
    return w if w < WIDE_PLAYER_PX else "stretch"


def stat_key(path: Path) -> tuple[int, int]:
    """(size, mtime_ns): with the path, the cache key of facts read from a file."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


@st.cache_data(show_spinner=False)
def video_codec(path: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 (size, mtime: cache key)
    return probe(path).codec


def show_alignment(a: Analysis, akey: tuple, *, prefix: str = "") -> None:
    st.subheader("Alignment")
    cached = st.session_state[f"{prefix}warp_fig"]
    if cached is None or cached[0] != akey:
        cached = (akey, warp_path_figure(a))
        st.session_state[f"{prefix}warp_fig"] = cached
    st.caption(f"{describe_alignment(a)} Where the orange path bends away from the dashed line, the "
               "student was slower (flatter) or faster (steeper) than the teacher.")
    st.plotly_chart(cached[1], key=f"{prefix}warp_chart", theme=None)


def show_joints(a: Analysis, card: Scorecard, *, prefix: str = "") -> None:
    st.subheader("Joints")
    st.plotly_chart(joint_heatmap_figure(card, mirror=a.mirror), key=f"{prefix}joint_heatmap", theme=None)
    st.plotly_chart(joint_bars_figure(card), key=f"{prefix}joint_bars", theme=None)


def show_downloads(a: Analysis, card: Scorecard, feedback: Feedback, *, prefix: str = "") -> None:
    st.subheader("Downloads")
    c1, c2 = st.columns(2)
    with c1:
        st.download_button("Report (JSON)", data=lambda: report_json(a, card, feedback),
                           file_name="report.json", mime="application/json", key=f"{prefix}dl_report")
    with c2:
        st.download_button("Per-joint scores (CSV)", data=lambda: joints_csv(card), file_name="joints.csv",
                           mime="text/csv", key=f"{prefix}dl_csv")
