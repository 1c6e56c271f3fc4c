"""Compare page: drop a teacher's and a student's clip, see how close the dance is, and why.

A thin page: it reads widgets, calls the engine, and draws. The expensive steps (pose
extraction, sync + DTW, the side-by-side video) run as background jobs (`ui.jobs`), so touching
a slider while they run does not throw their work away; their results are cached (poses in HDF5
by content hash, the Analysis in the session). Weights and tolerances only rescore
(`engine.score.score`, milliseconds): no extraction, no DTW.

Environment: DANCE_CACHE_DIR (default ./cache) holds the pose cache, the sample clips, uploads
(per session, by content hash) and rendered videos. OPENAI_API_KEY / OPENAI_MODEL /
OPENAI_BASE_URL / OPENAI_TIMEOUT_S configure "Ask the coach".
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import streamlit as st

from engine import extract as extract_module
from engine import store
from engine.body import DEFAULT_TOLERANCE_DEG
from engine.charts import joint_bars_figure, joint_heatmap_figure, timeline_figure, warp_path_figure
from engine.compare import Analysis, analyze
from engine.demo import make_demo
from engine.errors import EngineError
from engine.feedback import (
    ENV_BASE_URL,
    ENV_KEY,
    ENV_MODEL,
    ComparisonFacts,
    Feedback,
    format_time,
    llm_config_from_env,
    llm_feedback,
    rules_feedback,
)
from engine.pose import model_name
from engine.render import RenderResult, planned_result, render_side_by_side
from engine.score import Scorecard, score
from engine.video import probe
from engine.settings import (
    COMPONENTS,
    MIRROR_CHOICES,
    SYNC_CHOICES,
    AlignSettings,
    ExtractSettings,
    ScoreSettings,
)
from ui.compat import fix_media_gzip
from ui.exports import joints_csv, report_json
from ui.jobs import Job, Jobs
from ui.uploads import VIDEO_TYPES, StoredClip, remove_unused, store_upload, sweep_stale

logger = logging.getLogger("dance.app")

CACHE_DIR = Path(os.environ.get("DANCE_CACHE_DIR") or store.DEFAULT_CACHE_DIR)
SAMPLES_DIR = CACHE_DIR / "samples"
UPLOADS_DIR = CACHE_DIR / "uploads"
RENDERS_DIR = CACHE_DIR / "renders"
#: Rendered videos kept on disk (oldest removed first).
KEEP_RENDERS = 20
#: Video codecs every current browser plays in an MP4/WebM (others, e.g. HEVC, are not shown raw).
BROWSER_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
#: Players of tall videos are sized so they are at most this high, pixels; wider ones fill the column.
SIDE_BY_SIDE_MAX_H, ORIGINAL_MAX_H, WIDE_PLAYER_PX = 560, 420, 1000
#: How often a running job's progress is redrawn, seconds.
POLL_S = 0.25
EXTRACT_SETTINGS = ExtractSettings()
FINGERPRINT = EXTRACT_SETTINGS.fingerprint(model_name(EXTRACT_SETTINGS.model_complexity))

ROLES = ("teacher", "student")
SOURCE_SAMPLES = "Built-in sample clips"
SOURCE_UPLOADS = "My own clips"
DEFAULT_SCORE = ScoreSettings()
DEFAULT_ALIGN = AlignSettings()
COMPONENT_MEANING = {
    "pose": "joint angles against the teacher's, beyond each joint's tolerance",
    "timing": "on the beat: how early or late against the music",
    "trajectory": "travel across the floor, direction and amount",
    "silhouette": "body shape and extension (outline overlap)",
    "dynamics": "energy and accents: moving hard where the teacher does",
}
MIRROR_HELP = ("Did the student dance mirrored (e.g. facing a mirror and copying the teacher's right with "
               "their left)? 'auto' decides from the poses.")
SYNC_HELP = ("How the clips are lined up before alignment: by the music (audio), by the movement (motion), "
             "either (auto), or not at all (none: timing is not scored).")


@dataclass(frozen=True)
class Clip:
    """A clip to analyze: where it is, what to call it, its content hash."""

    path: Path
    name: str
    sha256: str


# --- state ----------------------------------------------------------------------------------

def _widget_defaults() -> dict:
    d: dict = {f"w_{c}": int(DEFAULT_SCORE.weights[c]) for c in COMPONENTS}
    d.update({f"tol_{g}": int(v) for g, v in DEFAULT_SCORE.tolerance_deg.items()})
    d.update({"band": float(DEFAULT_ALIGN.band), "mirror": DEFAULT_ALIGN.mirror, "sync": DEFAULT_ALIGN.sync})
    return d


def init_state() -> None:
    """Session defaults, set once: widget values (so widgets need no value=), results, uploads."""
    ss = st.session_state
    ss.setdefault("sid", uuid.uuid4().hex)
    ss.setdefault("source", SOURCE_SAMPLES)
    for key, value in _widget_defaults().items():
        ss.setdefault(key, value)
    ss.setdefault("analyses", {})      # analysis key -> Analysis (the current one only)
    ss.setdefault("failed", {})        # job key -> message of the EngineError it raised
    ss.setdefault("uploads", {})       # role -> (uploader file_id, StoredClip)
    ss.setdefault("coach", {})         # (analysis key, score key) -> Feedback from "Ask the coach"
    ss.setdefault("renders", {})       # analysis key -> RenderResult (latest)
    ss.setdefault("render_skey", None)  # score settings the latest video was drawn with
    ss.setdefault("warp_fig", None)    # (analysis key, Figure)


def reset_settings() -> None:
    for key, value in _widget_defaults().items():
        st.session_state[key] = value


def switch_to_uploads() -> None:
    """A file dropped on either zone means the user wants their own clips compared."""
    if any(st.session_state.get(f"{r}_upload") is not None for r in ROLES):
        st.session_state["source"] = SOURCE_UPLOADS


@st.cache_resource
def shared_jobs() -> Jobs:
    """The process's background jobs (thread-safe, shared by all sessions)."""
    return Jobs(max_workers=4)


@st.cache_resource
def sweep_old_uploads() -> list[Path]:
    """Once per server process: remove upload folders of sessions that ended long ago."""
    return sweep_stale(UPLOADS_DIR)


@st.cache_data(show_spinner=False)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 (size, mtime: cache key)
    return extract_module.sha256_file(path)


def _clip(path: Path, name: str) -> Clip:
    return Clip(path=path, name=name, sha256=file_sha256(str(path), *_stat_key(path)))


# --- settings -------------------------------------------------------------------------------

def sidebar() -> tuple[AlignSettings, ScoreSettings]:
    ss = st.session_state
    with st.sidebar:
        st.header("Settings")
        st.subheader("Score weights")
        st.caption("How much each part counts in the overall score (relative). Only rescores: instant.")
        for c in COMPONENTS:
            st.slider(c.capitalize(), 0, 100, step=5, key=f"w_{c}", help=COMPONENT_MEANING[c])
        st.subheader("Tolerances (degrees)")
        st.caption("Angle differences up to these are free; beyond, the joint's score falls. Only rescores.")
        for g in DEFAULT_TOLERANCE_DEG:
            st.slider(g.capitalize(), 0, 60, step=1, key=f"tol_{g}", format="%d°")
        st.subheader("Alignment")
        st.caption("Changing these re-aligns the clips (a few seconds); poses stay cached.")
        st.slider("DTW band", 0.05, 1.0, step=0.05, key="band",
                  help="How far the alignment may stray from a constant tempo, as a fraction of the clip length.")
        st.selectbox("Mirror", MIRROR_CHOICES, key="mirror", help=MIRROR_HELP)
        st.selectbox("Sync", SYNC_CHOICES, key="sync", help=SYNC_HELP)
        st.button("Reset to defaults", key="reset", on_click=reset_settings)
    align = AlignSettings(band=float(ss["band"]), mirror=ss["mirror"], sync=ss["sync"])
    return align, replace(DEFAULT_SCORE, weights={c: float(ss[f"w_{c}"]) for c in COMPONENTS},
                          tolerance_deg={g: float(ss[f"tol_{g}"]) for g in DEFAULT_TOLERANCE_DEG})


# --- jobs -----------------------------------------------------------------------------------

def wait(items: list[tuple[Job, st.delta_generator.DeltaGenerator]]) -> None:
    """Redraw each job's progress bar until all are done (a widget change stops this run only)."""
    while True:
        for job, bar in items:
            bar.progress(min(max(job.fraction, 0.0), 1.0), text=job.message)
        if all(job.done for job, _ in items):
            return
        time.sleep(POLL_S)


def collect(job: Job, where, what: str, clips: dict[str, Clip] | None = None):
    """A finished job's result, or None after showing its error `where` (never a traceback).

    Engine messages name files by their path; uploads are stored under hashed names, so those
    are replaced by the names the user knows.
    """
    exc = job.error()
    if exc is None:
        return job.result()
    if isinstance(exc, EngineError):
        message = str(exc)
        for clip in (clips or {}).values():
            message = message.replace(clip.path.name, clip.name)
        st.session_state["failed"][job.key] = message
        where.error(message, icon=":material/error:")
    else:
        logger.error("%s failed", what, exc_info=exc)
        where.error(f"Something went wrong while {what} ({type(exc).__name__}). The details are in the "
                    "server log; please try again or report it.", icon=":material/error:")
    return None


def sample_clips(slot) -> dict[str, Clip] | None:
    """The built-in demo pair, rendered into the cache folder on the first visit."""
    paths = {r: SAMPLES_DIR / f"{r}.mp4" for r in ROLES}
    if not all(p.is_file() for p in paths.values()):
        job = shared_jobs().submit(("samples", str(SAMPLES_DIR)), make_demo, SAMPLES_DIR)
        with slot:
            bar = st.progress(0.0, text="Making the sample clips (first visit only)…")
            wait([(job, bar)])
            bar.empty()
            if collect(job, st, "making the sample clips") is None:
                return None
        shared_jobs().forget(job.key)
    return {r: _clip(p, f"sample_{r}.mp4") for r, p in paths.items()}


def uploaded_clips() -> dict[str, Clip]:
    """The clips dropped on the two zones, saved under their content hash in this session's folder."""
    ss = st.session_state
    folder = UPLOADS_DIR / ss["sid"]
    kept: dict[str, tuple[str, StoredClip]] = {}
    for role in ROLES:
        f = ss.get(f"{role}_upload")
        if f is None:
            continue
        prev = ss["uploads"].get(role)
        if prev is not None and prev[0] == f.file_id and prev[1].path.is_file():
            kept[role] = prev
        else:
            kept[role] = (f.file_id, store_upload(f.getbuffer(), f.name, folder))
    ss["uploads"] = kept
    # Replaced or removed clips are deleted; the pose cache keeps what was learned from them.
    remove_unused(folder, {c.path for _, c in kept.values()})
    if kept:
        os.utime(folder)
    return {r: Clip(path=c.path, name=c.name, sha256=c.sha256) for r, (_, c) in kept.items()}


def extract_clips(clips: dict[str, Clip], slots: dict) -> bool:
    """Extract (or load from the cache) every clip at once, each with its progress bar. True if all ok."""
    failed = st.session_state["failed"]
    jobs = shared_jobs()
    running = []
    ok = True
    for role, clip in clips.items():
        key = ("extract", clip.sha256, FINGERPRINT)
        if key in failed:
            slots[role].error(failed[key], icon=":material/error:")
            ok = False
            continue
        # extractor= looked up now, so tests can count the real extraction calls.
        job = jobs.submit(key, store.load_or_extract, clip.path, cache_dir=CACHE_DIR, settings=EXTRACT_SETTINGS,
                          display_name=clip.name, extractor=extract_module.extract)
        running.append((role, job, slots[role].progress(0.0, text=f"{clip.name}: starting")))
    wait([(job, bar) for _, job, bar in running])
    for role, job, bar in running:
        bar.empty()
        perf = collect(job, slots[role], f"reading {clips[role].name}", {role: clips[role]})
        jobs.forget(job.key)
        if perf is None:
            ok = False
        else:
            clip_caption(slots[role], clips[role].name, perf)
    return ok


def clip_caption(slot, name: str, perf) -> None:
    slot.caption(f":material/check_circle: **{name}**: {perf.source.duration_s:.1f} s, {perf.n_frames} frames "
                 f"analysed, dancer found in {100 * perf.detected_ratio:.0f}%")


def get_analysis(clips: dict[str, Clip], align: AlignSettings, akey: tuple, slot) -> Analysis | None:
    """The Analysis of the pair under `align`: from the session, else sync + DTW as a job."""
    ss = st.session_state
    if akey in ss["analyses"]:
        return ss["analyses"][akey]
    if akey in ss["failed"]:
        slot.error(ss["failed"][akey], icon=":material/error:")
        return None
    t, s = clips["teacher"], clips["student"]
    job = shared_jobs().submit(akey, analyze, t.path, s.path, settings=align, cache_dir=CACHE_DIR,
                               teacher_name=t.name, student_name=s.name)
    with slot:
        bar = st.progress(0.0, text="Syncing and aligning the two dances…")
        wait([(job, bar)])
        bar.empty()
        a = collect(job, st, "comparing the clips", clips)
    shared_jobs().forget(job.key)
    if a is not None:
        ss["analyses"] = {akey: a}  # one at a time: an Analysis holds every frame's masks
    return a


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def get_render(a: Analysis, card: Scorecard, clips: dict[str, Clip], akey: tuple, skey: str,
               slot, *, force: bool = False) -> RenderResult | None:
    """The side-by-side video: drawn once per analysis automatically; again only when asked.

    Videos are files named by (analysis, settings), so any session reuses one drawn before.
    """
    ss = st.session_state
    latest: RenderResult | None = ss["renders"].get(akey)
    if latest is not None and latest.path.is_file() and not force:
        return latest
    out = RENDERS_DIR / f"{_digest(akey, skey)}.mp4"
    if out.is_file():
        result = planned_result(a, out)
    else:
        rkey = ("render", akey, skey)
        if rkey in ss["failed"]:
            slot.error(ss["failed"][rkey], icon=":material/error:")
            return None
        RENDERS_DIR.mkdir(parents=True, exist_ok=True)
        job = shared_jobs().submit(rkey, render_side_by_side, a, card, clips["teacher"].path,
                                   clips["student"].path, out)
        with slot:
            bar = st.progress(0.0, text="Drawing the side-by-side video…")
            wait([(job, bar)])
            bar.empty()
            result = collect(job, st, "drawing the side-by-side video", clips)
        shared_jobs().forget(rkey)
        if result is None:
            return None
        _prune_renders()
    ss["renders"] = {akey: result}
    ss["render_skey"] = skey
    return result


def _prune_renders() -> None:
    files = sorted(RENDERS_DIR.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[KEEP_RENDERS:]:
        p.unlink(missing_ok=True)


# --- results --------------------------------------------------------------------------------

def show_scores(card: Scorecard) -> None:
    cols = st.columns(len(COMPONENTS) + 1)
    with cols[0]:
        st.metric("Overall", f"{card.overall:.0f} / 100")
        st.caption("weighted mix of the parts, 100 = like the teacher")
    for col, c in zip(cols[1:], COMPONENTS):
        v = card.components.get(c)
        with col:
            st.metric(c.capitalize(), "n/a" if v is None else f"{v:.0f}")
            st.caption(COMPONENT_MEANING[c] + ("" if v is not None else " · not measured for these clips"))
    if sum(card.settings.weights.values()) <= 0:
        st.warning("All score weights are zero, so there is no overall score. Raise at least one in the sidebar.")


def show_feedback(card: Scorecard, facts: ComparisonFacts, ckey: tuple) -> Feedback:
    """The coaching paragraph: rule-based always; the LLM's after 'Ask the coach'. Returns the one shown."""
    st.subheader("Coaching")
    paragraph = st.container()
    asked = st.button("Ask the coach", key="ask_coach",
                      help="Sends the scores and moments (never the video) to an LLM for a coaching paragraph.")
    rules = rules_feedback(card, facts)
    coach: Feedback | None = st.session_state["coach"].get(ckey)
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
            st.session_state["coach"] = {ckey: coach}
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


def moment_label(i: int, m) -> str:
    return f"#{i + 1} at {format_time(m.student_s[0])} (student) — {m.kind}: {m.detail}"


def show_timeline_and_video(a: Analysis, card: Scorecard, clips: dict[str, Clip], akey: tuple, skey: str) -> None:
    st.subheader("Score over time")
    labels = [moment_label(i, m) for i, m in enumerate(card.moments)]
    choice = st.selectbox("Jump to a moment (seeks the videos below)", ["(start)"] + labels, key="moment")
    sel = labels.index(choice) if choice in labels else None
    st.plotly_chart(timeline_figure(card, selected=sel), key="timeline_chart", theme=None)
    m = card.moments[sel] if sel is not None else None

    st.subheader("Side by side")
    st.caption("The student's frames follow the teacher's timing along the warp path; skeletons from the pose "
               "model, the worst joints of each moment in red.")
    slot = st.container()
    update = False
    latest = st.session_state["renders"].get(akey)
    if latest is not None and st.session_state.get("render_skey") != skey:
        slot.caption("The video was drawn with earlier slider settings (scores and red joints may differ).")
        update = slot.button("Update the video with the current settings", key="rerender")
    video = get_render(a, card, clips, akey, skey, slot, force=update)
    t_start = {"teacher": float(a.teacher_s[0]), "student": float(a.student_s[0])}
    if m is not None:
        t_start = {"teacher": float(m.teacher_s[0]), "student": float(m.student_s[0])}
    # Players seek in whole seconds (Streamlit's start_time is an int): start at or just before.
    if video is not None:
        st.video(str(video.path), start_time=int(video.video_time(t_start["teacher"])),
                 width=_player_width(video.width, video.height, SIDE_BY_SIDE_MAX_H))
        st.download_button("Download the side-by-side video (MP4)", data=video.path.read_bytes,
                           file_name="comparison.mp4", mime="video/mp4", key="dl_video")
    cols = st.columns(2)
    for col, role in zip(cols, ROLES):
        source = (a.teacher if role == "teacher" else a.student).source
        with col:
            st.caption(f"{role.capitalize()}: {clips[role].name}, from {t_start[role]:.1f} s")
            codec = video_codec(str(clips[role].path), *_stat_key(clips[role].path))
            if codec in BROWSER_CODECS:
                st.video(str(clips[role].path), start_time=int(t_start[role]),
                         width=_player_width(source.width, source.height, ORIGINAL_MAX_H))
            else:
                st.caption(f"This clip is encoded as {codec.upper()}, which browsers do not all play; it is shown "
                           "in the side-by-side video above (H.264).")


def _player_width(width: int, height: int, max_height: int) -> int | str:
    """Player width in pixels so a tall video is at most `max_height` high; "stretch" for wide ones."""
    w = int(max_height * width / max(height, 1))
    return w if w < WIDE_PLAYER_PX else "stretch"


def _stat_key(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


@st.cache_data(show_spinner=False)
def video_codec(path: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 (size, mtime: cache key)
    return probe(path).codec


def show_alignment(a: Analysis, akey: tuple) -> None:
    st.subheader("Alignment")
    cached = st.session_state["warp_fig"]
    if cached is None or cached[0] != akey:
        cached = (akey, warp_path_figure(a))
        st.session_state["warp_fig"] = cached
    s = a.sync
    if a.timing_reference:
        sync_words = (f"synced by {s.method} (confidence {s.confidence:.2f}): the same moment comes "
                      f"{abs(s.offset_s):.2f} s {'later' if s.offset_s < 0 else 'earlier'} in the student's clip")
    else:
        sync_words = "not synced in time (timing is not scored)"
    st.caption(f"Clips {sync_words}; {'mirrored' if a.mirror else 'not mirrored'} "
               f"(confidence {a.mirror_confidence:.2f}). Where the orange path bends away from the dashed line, the "
               "student was slower (flatter) or faster (steeper) than the teacher.")
    st.plotly_chart(cached[1], key="warp_chart", theme=None)


def show_joints(a: Analysis, card: Scorecard) -> None:
    st.subheader("Joints")
    st.plotly_chart(joint_heatmap_figure(card, mirror=a.mirror), key="joint_heatmap", theme=None)
    st.plotly_chart(joint_bars_figure(card), key="joint_bars", theme=None)


def show_downloads(a: Analysis, card: Scorecard, feedback: Feedback) -> None:
    st.subheader("Downloads")
    c1, c2 = st.columns(2)
    with c1:
        st.download_button("Report (JSON)", data=lambda: report_json(a, card, feedback),
                           file_name="report.json", mime="application/json", key="dl_report")
    with c2:
        st.download_button("Per-joint scores (CSV)", data=lambda: joints_csv(card), file_name="joints.csv",
                           mime="text/csv", key="dl_csv")


# --- page -----------------------------------------------------------------------------------

def main() -> None:
    init_state()
    sweep_old_uploads()
    align, score_settings = sidebar()
    st.title("Dance compare")
    st.markdown("How close is the student to the teacher, **where** and **why**: drop two clips of the same "
                "choreography, or look at the built-in samples first.")
    st.radio("Clips to compare", [SOURCE_SAMPLES, SOURCE_UPLOADS], key="source", horizontal=True)
    max_mb = int(st.get_option("server.maxUploadSize"))
    cols = st.columns(2)
    slots = {}
    for col, role in zip(cols, ROLES):
        with col:
            st.file_uploader(f"{role.capitalize()}'s clip", type=list(VIDEO_TYPES), key=f"{role}_upload",
                             on_change=switch_to_uploads,
                             help=f"{', '.join(VIDEO_TYPES)}; up to {max_mb} MB")
            slots[role] = st.container()
    st.caption(f"Up to {max_mb} MB per clip ({', '.join(VIDEO_TYPES)}). Uploads are stored under a content hash "
               "and deleted when you remove or replace them; only the pose data is kept, in the cache.")
    results = st.container()

    if st.session_state["source"] == SOURCE_SAMPLES:
        clips = sample_clips(results)
        if clips is None:
            return
        for role in ROLES:
            slots[role].caption(f"Using the built-in sample: {clips[role].name}")
    else:
        clips = uploaded_clips()
        missing = [r for r in ROLES if r not in clips]
        if len(missing) == 2:
            results.info("Drop the teacher's clip on the left and the student's on the right.")
            return
    # Everything the Analysis depends on: both clips' content, the extractor, the align settings.
    akey = ("analyze", *(clips[r].sha256 if r in clips else None for r in ROLES), FINGERPRINT, align)
    cached = st.session_state["analyses"].get(akey)
    if cached is None:
        if not extract_clips(clips, slots):
            return
        if len(clips) < 2:
            missing = next(r for r in ROLES if r not in clips)
            results.info(f"Now drop the {missing}'s clip.")
            return
    else:  # a rerun for a slider: nothing to extract, the clips' summaries come from the analysis
        for role, perf in zip(ROLES, (cached.teacher, cached.student)):
            clip_caption(slots[role], clips[role].name, perf)
    with results:
        a = get_analysis(clips, align, akey, st.container())
        if a is None:
            return
        card = score(a, score_settings)
        skey = json.dumps(asdict(score_settings), sort_keys=True)
        facts = ComparisonFacts.from_analysis(a)
        st.divider()
        st.subheader(f"Result: {clips['teacher'].name} (teacher) vs {clips['student'].name} (student)")
        show_scores(card)
        feedback = show_feedback(card, facts, (akey, skey))
        show_timeline_and_video(a, card, clips, akey, skey)
        show_alignment(a, akey)
        show_joints(a, card)
        show_downloads(a, card, feedback)


fix_media_gzip()  # until requirements.txt pins a Starlette this Streamlit supports (see ui/compat.py)
st.set_page_config(page_title="Dance compare", page_icon="💃", layout="wide")
try:
    main()
except EngineError as exc:  # one a section did not catch: still a message, never a traceback
    st.error(str(exc), icon=":material/error:")
except Exception as exc:  # noqa: BLE001 (the page must never show a traceback)
    logger.exception("Compare page failed")
    st.error(f"Something went wrong ({type(exc).__name__}). The details are in the server log; reload the page "
             "to try again.", icon=":material/error:")
