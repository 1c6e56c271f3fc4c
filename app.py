"""Compare page: drop a teacher's and a student's clip, see how close the dance is, and why.

A thin page: it reads widgets, calls the engine, and draws. The expensive steps (pose
extraction, sync + DTW, the side-by-side video) run as background jobs (`ui.jobs`), so touching
a slider while they run does not throw their work away; their results are cached (poses in HDF5
by content hash, the Analysis in the session). Weights and tolerances only rescore
(`engine.analysis.score.score`, milliseconds): no extraction, no DTW.

This file is also the app's router (`st.navigation` at the end): the sidebar lists Compare, Live
practice and Library, in that order.

The settings sidebar (ui/settings_panel.py) and the report (ui/report_view.py) are shared with
the Live practice page (app_pages/1_Live_practice.py), so both score and report alike.

Environment: DANCE_CACHE_DIR (default ./cache) holds the pose cache, the sample clips, uploads
(per session, by content hash) and rendered videos. OPENAI_API_KEY / OPENAI_MODEL /
OPENAI_BASE_URL / OPENAI_TIMEOUT_S configure "Ask the coach".
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from engine.analysis.compare import Analysis, analyze
from engine.analysis.score import score
from engine.core.settings import AlignSettings, ScoreSettings
from engine.io import extract as extract_module
from ui.job_view import collect, in_child, run_job, run_page, shared_jobs, submit_extraction, submit_job, wait
from ui.library_view import record_clip, record_comparison, upload_refusal
from ui.locations import EXTRACT_SETTINGS, FINGERPRINT, folders
from ui.references import sample_clips
from ui.report_view import ROLES, Clip, init_report_state, show_report, stored_names
from ui.settings_panel import init_settings_state, sidebar
from ui.uploads import VIDEO_TYPES, StoredClip, remove_unused, store_upload, sweep_stale

DIRS = folders()

SOURCE_SAMPLES = "Built-in sample clips"
SOURCE_UPLOADS = "My own clips"


# --- state ----------------------------------------------------------------------------------

def init_state() -> None:
    """Session defaults, set once: widget values (so widgets need no value=), results, uploads."""
    ss = st.session_state
    ss.setdefault("sid", uuid.uuid4().hex)
    ss.setdefault("source", SOURCE_SAMPLES)
    init_settings_state()
    init_report_state()
    ss.setdefault("analyses", {})      # analysis key -> Analysis (the current one only)
    ss.setdefault("uploads", {})       # role -> (uploader file_id, StoredClip)


def switch_to_uploads() -> None:
    """A file dropped on either zone means the user wants their own clips compared."""
    if any(st.session_state.get(f"{r}_upload") is not None for r in ROLES):
        st.session_state["source"] = SOURCE_UPLOADS


@st.cache_resource
def sweep_old_uploads() -> list[Path]:
    """Once per server process: remove upload folders of sessions that ended long ago."""
    return sweep_stale(DIRS.uploads)


# --- clips and jobs -------------------------------------------------------------------------

def uploaded_clips() -> dict[str, Clip]:
    """The clips dropped on the two zones, saved under their content hash in this session's folder."""
    ss = st.session_state
    folder = DIRS.uploads / ss["sid"]
    kept: dict[str, tuple[str, StoredClip]] = {}
    for role in ROLES:
        f = ss.get(f"{role}_upload")
        if f is None:
            continue
        prev = ss["uploads"].get(role)
        if prev is not None and prev[0] == f.file_id and prev[1].path.is_file():
            kept[role] = prev
        elif (refused := upload_refusal(DIRS.cache, f.size)) is not None:
            st.error(f"{f.name}: {refused}", icon=":material/block:")
        else:
            kept[role] = (f.file_id, store_upload(f.getbuffer(), f.name, folder))
    ss["uploads"] = kept
    # Replaced or removed clips are deleted; the pose cache keeps what was learned from them.
    remove_unused(folder, {c.path for _, c in kept.values()})
    if kept:
        os.utime(folder)
    return {r: Clip(path=c.path, name=c.name, sha256=c.sha256) for r, (_, c) in kept.items()}


def extract_clips(clips: dict[str, Clip], slots: dict, *, record: bool) -> bool:
    """Extract (or load from the cache) every clip at once, each with its progress bar. True if all ok.
    `record`: add each clip to the user's library (their own uploads; not the built-in samples)."""
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
        job = submit_extraction(key, clip.path, cache_dir=DIRS.cache, settings=EXTRACT_SETTINGS,
                                display_name=clip.name, extractor=extract_module.extract)
        running.append((role, job, slots[role].progress(0.0, text=f"{clip.name}: starting")))
    wait([(job, bar) for _, job, bar in running])
    for role, job, bar in running:
        bar.empty()
        perf = collect(job, slots[role], f"reading {clips[role].name}", stored_names({role: clips[role]}))
        jobs.forget(job.key)
        if perf is None:
            ok = False
        else:
            clip_caption(slots[role], clips[role].name, perf)
            if record:
                record_clip(DIRS.cache, perf, clips[role])
    return ok


def clip_caption(slot, name: str, perf) -> None:
    slot.caption(f":material/check_circle: **{name}**: {perf.source.duration_s:.1f} s, {perf.n_frames} frames "
                 f"analysed, dancer found in {100 * perf.detected_ratio:.0f}%")


def get_analysis(clips: dict[str, Clip], align: AlignSettings, score_settings: ScoreSettings, akey: tuple,
                 slot, *, record: bool) -> Analysis | None:
    """The Analysis of the pair under `align`: from the session, else sync + DTW as a job;
    `record`: add the comparison to the user's library (not for the built-in samples)."""
    ss = st.session_state
    if akey in ss["analyses"]:
        return ss["analyses"][akey]
    if akey in ss["failed"]:
        slot.error(ss["failed"][akey], icon=":material/error:")
        return None
    t, s = clips["teacher"], clips["student"]
    job = submit_job(akey, in_child(analyze), t.path, s.path, settings=align, cache_dir=DIRS.cache,
                     teacher_name=t.name, student_name=s.name)
    a = run_job(job, slot, "Syncing and aligning the two dances…", "comparing the clips", stored_names(clips))
    if a is not None:
        ss["analyses"] = {akey: a}  # one at a time: an Analysis holds every frame's masks
        if record:
            record_comparison(DIRS.cache, a, align, score_settings, clips, source="upload")
    return a


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

    own = st.session_state["source"] != SOURCE_SAMPLES   # the built-in samples are nobody's library clips
    if not own:
        clips = sample_clips(DIRS.samples, results)
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
        if not extract_clips(clips, slots, record=own):
            return
        if len(clips) < 2:
            missing = next(r for r in ROLES if r not in clips)
            results.info(f"Now drop the {missing}'s clip.")
            return
    else:  # a rerun for a slider: nothing to extract, the clips' summaries come from the analysis
        for role, perf in zip(ROLES, (cached.teacher, cached.student)):
            clip_caption(slots[role], clips[role].name, perf)
    with results:
        a = get_analysis(clips, align, score_settings, akey, st.container(), record=own)
        if a is None:
            return
        card = score(a, score_settings)
        skey = json.dumps(asdict(score_settings), sort_keys=True)
        st.divider()
        st.subheader(f"Result: {clips['teacher'].name} (teacher) vs {clips['student'].name} (student)")
        show_report(a, card, clips, akey, skey, renders_dir=DIRS.renders)


def compare_page() -> None:
    run_page(main, title="Dance compare", name="Compare")


# This file is also the router: the sidebar names the pages in this order; Compare is the start
# page (/), the others keep their paths (/Live_practice, /Library). Their scripts live in
# app_pages/, not pages/: Streamlit would treat a pages/ folder as the old automatic page list,
# and a first visit straight to one of them would then show that list (with this page as "app").
# The file names keep the page names of their URLs (AppTest's switch_page finds a page by it).
# No page icons: a ":material/" page icon becomes the tab's favicon, fetched by every visitor's
# browser from Google's font servers (the app's own favicon is set in ui.job_view.run_page).
st.navigation([
    st.Page(compare_page, title="Compare", url_path="Compare", default=True),
    st.Page("app_pages/1_Live_practice.py", title="Live practice", url_path="Live_practice"),
    st.Page("app_pages/2_Library.py", title="Library", url_path="Library"),
]).run()
