"""Live practice page: dance along with a reference through the webcam, with a pose guide and a
live score; afterwards the attempt gets the Compare page's full report.

1. Choose the reference: the built-in sample teacher, any video already analyzed (the pose cache),
   or a new upload.
2. Start: the camera streams to the server (streamlit-webrtc); each frame comes back as the
   reference at the current reference time beside the user, the reference's pose fitted to the
   user's body in another colour, and the live score (engine.live.PracticeSession). A countdown
   comes first. The page reads the session's state twice a second (a fragment): the score, the
   worst joint, a rolling chart, advice.
3. When the reference ends or the user presses Stop, the recorded attempt (recording time 0 =
   reference time 0) goes through the normal comparison (engine.analysis.compare) as a background
   job, its sync "auto" taken as "none" (`engine.live.attempt_alignment`: the recording is on the
   reference's clock already), and the same report as on the Compare page appears
   (ui.report_view).

Environment: DANCE_CACHE_DIR as on the Compare page (attempts are recorded under its live/
folder, one per session, replaced by the next); DANCE_STUN_URLS, DANCE_TURN_URL,
DANCE_TURN_USERNAME, DANCE_TURN_CREDENTIAL give ICE servers for a hosted app (ui/live_view.py,
README "Live practice"); without them no STUN/TURN server is contacted.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from engine.analysis.compare import Analysis, analyze_against_reference
from engine.analysis.score import score
from engine.core.errors import CacheError, EngineError
from engine.core.settings import AlignSettings, ScoreSettings
from engine.io import extract as extract_module
from engine.io import store
from engine.live import LiveReference, LiveState, PracticeSession, Section, attempt_alignment
from engine.present.charts import live_score_figure
from ui.job_view import in_child, run_job, run_page, submit_extraction, submit_job
from ui.library_view import library_references, record_clip, record_comparison, upload_refusal
from ui.live_view import (
    IceConfigError,
    SessionSlot,
    rtc_configuration,
    score_text,
    status_text,
    worst_joint_text,
)
from ui.locations import EXTRACT_SETTINGS, FINGERPRINT, folders
from ui.references import (
    ATTEMPT_PREFIX,
    SAMPLE_KEY,
    Attempt,
    Reference,
    clip_at,
    sample_clips,
    video_duration,
)
from ui.report_view import init_report_state, show_report, stat_key, stored_names
from ui.section_view import init_section_state, repetition_lines, section_controls
from ui.settings_panel import init_settings_state, sidebar
from ui.uploads import VIDEO_TYPES, StoredClip, remove_unused, store_upload, sweep_stale

DIRS = folders()

#: Prefix of this page's report widgets and state (the Compare page's is empty).
PREFIX = "live_"
STREAM_KEY = "live_stream"
UPLOAD_CHOICE = "upload"
#: How often the live score, chart and advice are redrawn while streaming, seconds.
STATUS_EVERY_S = 0.5
#: Streaming this long without a single frame processed means the camera or the connection failed, seconds.
NO_FRAMES_WARN_S = 10.0
#: Height of the reference panel beside the camera picture, pixels (the camera asks for 640x480).
DISPLAY_HEIGHT = 480
COUNTDOWN_S, MAX_COUNTDOWN_S = 3, 10
MEDIA_CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
                     "audio": False}
VIDEO_ATTRS = {"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}}
TRANSLATIONS = {
    "start": "Start",
    "stop": "Stop",
    "media_api_not_available": "This browser does not let the page use the camera: open the app on localhost or "
                               "over HTTPS (browsers allow cameras only there).",
    "device_access_denied": "Camera access was refused. Allow the camera for this site (the camera icon in the "
                            "address bar), then press Start again.",
    "device_not_available": "No usable camera: is another program using it?",
}
MIRROR_REF_HELP = ("Mirror the reference left-right, as if it were your reflection: you move your right arm when the "
                   "teacher moves their left, and are scored that way. Use it when you copy a teacher who faces you.")
TOO_SHORT = ("The attempt was too short to compare: less than a second was recorded after the countdown. Press Start "
             "and dance along for longer (until the reference ends, or at least a few seconds) before pressing Stop.")


# --- state ----------------------------------------------------------------------------------

def init_state() -> None:
    """Session defaults, set once (the settings widgets' are carried across pages)."""
    ss = st.session_state
    ss.setdefault("sid", uuid.uuid4().hex)
    init_settings_state()
    init_report_state(PREFIX)
    ss.setdefault("live_slot", SessionSlot())    # where the stream's frames go (the running PracticeSession)
    ss.setdefault("live_running", None)          # while streaming: {"reference", "name", "since"} of the attempt
    ss.setdefault("live_stop", False)            # ask the browser to stop the stream (the reference has ended)
    ss.setdefault("live_last_state", None)       # LiveState at the end of the last attempt (kept on screen)
    ss.setdefault("live_attempt", None)          # Attempt: the last finished recording, to be compared
    ss.setdefault("live_notice", None)           # (kind, message) about the last attempt
    ss.setdefault("live_analyses", {})           # analysis key -> Analysis (the current one only)
    ss.setdefault("live_upload_saved", None)     # (uploader file_id, StoredClip)
    ss.setdefault("live_countdown", COUNTDOWN_S)
    ss.setdefault("live_mirror", False)
    init_section_state()


@st.cache_resource
def sweep_old_files() -> list[Path]:
    """Once per server process: remove upload and recording folders of sessions that ended long ago."""
    return sweep_stale(DIRS.uploads) + sweep_stale(DIRS.live)


# --- 1. the reference -----------------------------------------------------------------------

def choose_reference(locked: bool) -> Reference | None:
    """The reference chooser; the chosen Reference, or None (with a message saying what to do)."""
    ss = st.session_state
    slot = st.container()
    samples = sample_clips(DIRS.samples, slot)
    videos: dict[str, Path] = {}   # uploads are reached through the library (by hash, for this user)
    refs: dict[str, Reference] = {}
    if samples is not None:
        videos.update({c.sha256: c.path for c in samples.values()})
        teacher = samples["teacher"]
        cached = store.cache_path(DIRS.cache, teacher.sha256, FINGERPRINT)
        refs[SAMPLE_KEY] = Reference(key=SAMPLE_KEY, name=teacher.name, sha256=teacher.sha256, video=teacher.path,
                                     cache_file=cached if cached.is_file() else None,
                                     duration_s=video_duration(str(teacher.path), *stat_key(teacher.path)))
    exclude = {samples["teacher"].sha256} if samples is not None else set()
    for r in library_references(DIRS.cache, fingerprint=FINGERPRINT, videos=videos, exclude=exclude):
        refs[r.key] = r
    options = [*refs, UPLOAD_CHOICE]
    if ss.get("live_ref") not in options:
        ss["live_ref"] = options[0]
    labels = {k: r.label() for k, r in refs.items()} | {UPLOAD_CHOICE: "Upload a new clip…"}
    st.selectbox("Reference to dance along with", options, format_func=labels.__getitem__, key="live_ref",
                 disabled=locked, help="The sample teacher, any video already analysed here (by file name and the "
                 "date it was analysed), or a new clip. A video that is no longer stored still works from its poses. "
                 "Fixed while the camera runs.")
    if ss["live_ref"] == UPLOAD_CHOICE:
        return uploaded_reference(locked)
    return refs[ss["live_ref"]]


def uploaded_reference(locked: bool) -> Reference | None:
    """A clip dropped here, stored under its content hash in this session's own upload folder."""
    ss = st.session_state
    max_mb = int(st.get_option("server.maxUploadSize"))
    f = st.file_uploader("Reference clip", type=list(VIDEO_TYPES), key="live_upload", disabled=locked,
                         help=f"{', '.join(VIDEO_TYPES)}; up to {max_mb} MB")
    folder = DIRS.uploads / f"{ss['sid']}-live"  # not the Compare page's folder, which that page prunes
    if f is None:
        ss["live_upload_saved"] = None
        remove_unused(folder, set())
        st.info("Drop the clip of the dance you want to practise (a teacher or a video of the choreography). It is "
                "analysed once, then it is in the list above for next time.", icon=":material/upload:")
        return None
    prev: tuple[str, StoredClip] | None = ss["live_upload_saved"]
    if prev is not None and prev[0] == f.file_id and prev[1].path.is_file():
        stored = prev[1]
    elif (refused := upload_refusal(DIRS.cache, f.size)) is not None:
        st.error(f"{f.name}: {refused}", icon=":material/block:")
        return None
    else:
        stored = store_upload(f.getbuffer(), f.name, folder)
        ss["live_upload_saved"] = (f.file_id, stored)
    remove_unused(folder, {stored.path})
    return Reference(key=stored.sha256, name=stored.name, sha256=stored.sha256, video=stored.path)


def prepare_reference(ref: Reference, slot) -> LiveReference | None:
    """The reference ready for live practice: poses from the cache (extracted first if needed,
    with a progress bar), video frames decoded for display. None after showing an error."""
    cache_file = ref.cache_file
    if ref.video is not None:
        cache_file = store.cache_path(DIRS.cache, ref.sha256, FINGERPRINT)
        if not cache_file.is_file():
            if not extract(ref, slot):
                return None
    try:
        return live_reference(str(cache_file), ref.sha256, None if ref.video is None else str(ref.video), ref.name)
    except CacheError as exc:  # store.load: an unreadable cache file
        slot.error(f"The poses stored for {ref.name} cannot be read ({exc.__cause__ or exc}). Upload the clip again "
                   "or choose another reference.", icon=":material/error:")
    except EngineError as exc:
        slot.error(str(exc), icon=":material/error:")
    return None


def extract(ref: Reference, slot) -> bool:
    """Analyse a reference's video into the pose cache (a background job with a progress bar)."""
    ss = st.session_state
    key = ("extract", ref.sha256, FINGERPRINT)     # the Compare page's key: one job per clip
    if key in ss["failed"]:
        slot.error(ss["failed"][key], icon=":material/error:")
        return False
    job = submit_extraction(key, ref.video, cache_dir=DIRS.cache, settings=EXTRACT_SETTINGS, display_name=ref.name,
                            extractor=extract_module.extract)
    perf = run_job(job, slot, f"{ref.name}: analysing the reference (once)…", f"reading {ref.name}",
                   stored_names({"teacher": ref.clip}))
    if perf is not None:
        record_clip(DIRS.cache, perf, ref.clip)
    return perf is not None


@st.cache_resource(max_entries=4, show_spinner="Preparing the reference…")
def live_reference(cache_file: str, sha256: str, video: str | None, name: str) -> LiveReference:
    """A reference's poses and display frames, shared by every session practising against it."""
    perf = store.load(cache_file, sha256=sha256, display_name=name)
    return LiveReference.from_performance(perf, video, display_height=DISPLAY_HEIGHT)


def describe(ref: Reference, live: LiveReference) -> str:
    shown = "its video beside your camera" if live.frames is not None else (
        "its skeleton beside your camera (the video is no longer stored)")
    return f"**{ref.name}**: {live.duration_s - live.start_s:.1f} s of dancing; you will see {shown}."


# --- 2. the stream --------------------------------------------------------------------------

def lifecycle(active: bool, ref: Reference, live: LiveReference, settings: ScoreSettings,
              section: Section | None = None) -> None:
    """Start a session when the stream starts; finish it when the stream stops or the reference ends."""
    ss = st.session_state
    slot: SessionSlot = ss["live_slot"]
    if not active:
        ss["live_stop"] = False
        stopped = ss["live_running"] is not None   # the user pressed Stop (or the stream broke)
        if stopped:
            finish_attempt(slot)
        slot.close()
        if stopped:
            st.rerun()      # this run drew the chooser locked: draw it again, free
        return
    if ss["live_running"] is None and slot.session is None:   # Start was pressed: a new attempt
        begin_attempt(slot, ref, live, settings, section)
    elif ss["live_running"] is not None and (slot.session is None or slot.session.state().phase == "finished"):
        finish_attempt(slot)        # the reference has ended: stop the camera, compare the attempt
        ss["live_stop"] = True
        st.rerun()


def begin_attempt(slot: SessionSlot, ref: Reference, live: LiveReference, settings: ScoreSettings,
                  section: Section | None = None) -> None:
    ss = st.session_state
    folder = DIRS.live / ss["sid"]
    remove_unused(folder, set())        # one recording per session: the last attempt's goes
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)
    session = PracticeSession(live, settings, countdown_s=float(ss["live_countdown"]), mirror=bool(ss["live_mirror"]),
                              selfie_view=True, section=section,
                              # A looped section is scored per repetition, not recorded for the comparison.
                              record_path=None if section else folder / f"attempt-{uuid.uuid4().hex[:12]}.mp4")
    slot.start(session)
    ss["live_running"] = {"reference": ref, "name": f"{ATTEMPT_PREFIX}{time.strftime('%Y-%m-%d_%H-%M-%S')}.mp4",
                          "since": time.monotonic(), "section": section}
    ss["live_section_run"] = section
    ss["live_attempt"] = ss["live_notice"] = ss["live_last_state"] = None
    ss["live_analyses"] = {}


def finish_attempt(slot: SessionSlot) -> None:
    """Close the recording; the attempt is compared on this and later runs (`show_attempt`)."""
    ss = st.session_state
    running, ss["live_running"] = ss["live_running"], None
    session = slot.session
    if session is None:
        return
    try:
        path = session.finish()
    except EngineError as exc:
        ss["live_notice"] = ("error", str(exc))
        return
    finally:
        ss["live_last_state"] = session.state()    # "finished": the page shows the attempt's average
    if path is None:
        if running["section"] is None:      # a section is never recorded: its scores are the result
            ss["live_notice"] = ("warning", TOO_SHORT)
        return
    ss["live_attempt"] = Attempt(reference=running["reference"], clip=clip_at(path, running["name"]))


def live_status(active: bool, duration_s: float) -> None:
    """The live score, phase, worst joint, advice and rolling chart: redrawn twice a second while streaming."""

    @st.fragment(run_every=STATUS_EVERY_S if active else None)
    def status() -> None:
        ss = st.session_state
        slot: SessionSlot = ss["live_slot"]
        running = ss["live_running"]
        state: LiveState | None = ss["live_last_state"]
        if running is not None and slot.session is not None:
            state = slot.session.state()
        # The same slots on every run, filled or left empty: a fragment whose element count changes
        # leaves faded copies of the elements it no longer draws.
        with st.container(key="live_status"):
            headline, phase, reps, worst, advice, chart, speed, problem = (st.empty() for _ in range(8))
        section: Section | None = ss.get("live_section_run")
        if state is None:
            headline.markdown(f"#### {score_text(None)}")
            phase.caption("Press **Start** under the picture. Your browser asks for the camera; stand back so it sees "
                          "your whole body. After the countdown the reference plays, its pose is drawn over yours in "
                          "amber, and you are scored live.")
            return
        if state.phase == "finished" and state.history:
            headline.markdown(f"#### Average live score: {statistics.fmean(s for _, s in state.history):.0f}")
        else:
            headline.markdown(f"#### {score_text(state.score if state.phase == 'dancing' else None)}")
        phase.markdown("Finished: each repetition's score is below." if section and state.phase == "finished"
                       else status_text(state))
        if section is not None and state.repetition_scores:
            reps.markdown(repetition_lines(state, section.loops))
        if state.phase == "dancing" and state.worst_joint:
            worst.markdown(worst_joint_text(state.worst_joint))
        if state.message and state.phase != "finished":
            advice.info(state.message, icon=":material/directions_walk:")
        if state.history and section is None:     # a section's reference time loops: its scores are above
            chart.plotly_chart(live_score_figure(state.history, duration_s=duration_s), key="live_chart", theme=None)
        speed.caption(f"{state.ms_per_frame:.0f} ms per frame · {state.frames_scored} of {state.frames_in} frames "
                      "scored (frames that arrive while one is processed are skipped)")
        if slot.failed:
            problem.error("Processing the camera picture failed (the details are in the server log). Press Stop, "
                          "then Start to try again.", icon=":material/error:")
        elif running is not None and state.frames_in == 0 and time.monotonic() - running["since"] > NO_FRAMES_WARN_S:
            problem.warning("No picture has reached the server yet. If the video stays black, check the camera "
                            "permission; on a hosted server a TURN server may be needed (see the README, 'Live "
                            "practice').", icon=":material/videocam_off:")
        if running is not None and state.phase == "finished":
            st.rerun(scope="app")   # the reference has ended: the full run compares the attempt

    status()


# --- 3. the report --------------------------------------------------------------------------

def show_attempt(align: AlignSettings, score_settings: ScoreSettings) -> None:
    """The last attempt's comparison with its reference: the Compare page's report."""
    ss = st.session_state
    if ss["live_notice"] is not None:
        kind, message = ss["live_notice"]
        (st.error if kind == "error" else st.warning)(message, icon=":material/info:")
    attempt: Attempt | None = ss["live_attempt"]
    if attempt is None:
        return
    ref = attempt.reference
    clips = {"teacher": ref.clip, "student": attempt.clip}
    align = attempt_alignment(align)      # the recording is on the reference's clock already
    st.divider()
    st.subheader(f"Result: {attempt.clip.name} (you) vs {ref.name} (reference)")
    akey = ("live-analyze", ref.sha256, attempt.clip.sha256, FINGERPRINT, align)
    a: Analysis | None = ss["live_analyses"].get(akey)
    if a is None:
        if akey in ss["failed"]:
            st.error(ss["failed"][akey], icon=":material/error:")
            return
        job = submit_job(akey, in_child(analyze_against_reference), ref.video, attempt.clip.path,
                         teacher_cache_file=ref.cache_file, teacher_sha256=ref.sha256, teacher_name=ref.name,
                         student_name=attempt.clip.name, settings=align, cache_dir=DIRS.cache,
                         extract_settings=EXTRACT_SETTINGS)
        a = run_job(job, None, "Comparing your attempt with the reference…", "comparing your attempt",
                    stored_names(clips))
        if a is None:
            return
        ss["live_analyses"] = {akey: a}  # one at a time: an Analysis holds every frame's masks
        record_comparison(DIRS.cache, a, align, score_settings, clips, source="live")
    card = score(a, score_settings)
    skey = json.dumps(asdict(score_settings), sort_keys=True)
    show_report(a, card, clips, akey, skey, renders_dir=DIRS.renders, prefix=PREFIX)


# --- page -----------------------------------------------------------------------------------

def main() -> None:
    init_state()
    sweep_old_files()
    align, score_settings = sidebar()
    ss = st.session_state
    st.title("Live practice")
    st.markdown("Dance along with a reference in front of your webcam: its pose is drawn over yours as a guide, "
                "you are scored live, and when it ends you get the full report of the Compare page.")
    try:
        rtc = rtc_configuration()
    except IceConfigError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    locked = ss["live_running"] is not None

    st.subheader("1. Choose the reference")
    ref = choose_reference(locked)
    if ref is None:
        return
    slot = st.container()
    live = prepare_reference(ref, slot)
    if live is None:
        return
    slot.caption(describe(ref, live))
    c1, c2 = st.columns(2)
    c1.slider("Countdown before the reference starts", 0, MAX_COUNTDOWN_S, step=1, key="live_countdown",
              format="%d s", disabled=locked, help="Time to get into position after pressing Start, seconds.")
    c2.toggle("Mirror the reference", key="live_mirror", disabled=locked, help=MIRROR_REF_HELP)
    section = section_controls(live, locked)

    st.subheader("2. Dance along")
    st.caption("The camera works on localhost or over HTTPS only. Your picture is shown mirrored, like a mirror; "
               "the scoring uses the tolerances and weights in the sidebar.")
    video_col, status_col = st.columns([2, 1], gap="medium")
    with video_col:
        ctx = webrtc_streamer(
            key=STREAM_KEY, mode=WebRtcMode.SENDRECV, rtc_configuration=rtc,
            media_stream_constraints=MEDIA_CONSTRAINTS, video_frame_callback=ss["live_slot"].callback,
            # Processing runs beside the stream and takes the newest frame only (see SessionSlot.callback).
            async_processing=True,
            desired_playing_state=False if ss["live_stop"] else None,
            video_html_attrs=VIDEO_ATTRS, translations=TRANSLATIONS)
    active = bool(ctx.state.playing or ctx.state.signalling)
    lifecycle(active, ref, live, score_settings, section)
    with status_col:
        live_status(active, live.duration_s)
    show_attempt(align, score_settings)


run_page(main, title="Live practice", name="Live practice")
