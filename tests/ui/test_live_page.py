"""The Live practice page (app_pages/1_Live_practice.py) under AppTest, and its helpers without Streamlit.

AppTest cannot open a WebRTC stream (streamlit-webrtc needs a real server session), so
`streamlit_webrtc.webrtc_streamer` is replaced by a stand-in that records its arguments and
reports the stream playing or stopped as a test says; the frames a browser would send are handed
to the page's own frame callback. Everything else is real: the sample teacher, the pose cache,
MediaPipe, the comparison and the report. The session's pose cache (tests/conftest.py) is shared
with the Compare page's tests, so the sample clips are made and extracted once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
import streamlit_webrtc
from streamlit.testing.v1 import AppTest

from engine.analysis.compare import analyze
from engine.analysis.score import score
from engine.core.settings import DEFAULT_COMPONENT_WEIGHTS, AlignSettings, ExtractSettings, ScoreSettings
from engine.io import store
from engine.io.pose import model_name
from engine.io.store import CacheEntry
from engine.io.video import frames
from engine.library import LOCAL_ADMIN, ClipInfo, Library, default_url
from engine.live import LiveState, attempt_alignment
from engine.present.charts import live_score_figure
from tests.conftest import REPO
from tests.factories import make_perf
from ui.live_view import (
    IceConfigError,
    SessionSlot,
    rtc_configuration,
    score_text,
    status_text,
)
from ui.references import ATTEMPT_PREFIX, SAMPLE_KEY, Attempt, Reference, cached_references, stored_videos
from ui.report_view import Clip

PAGE = str(REPO / "app_pages" / "1_Live_practice.py")
#: First run: the sample clips may be made and the sample teacher extracted. Seconds.
FIRST_RUN_TIMEOUT_S = 600
FINGERPRINT = ExtractSettings().fingerprint(model_name(ExtractSettings().model_complexity))
ICE_VARS = ("DANCE_STUN_URLS", "DANCE_TURN_URL", "DANCE_TURN_USERNAME", "DANCE_TURN_CREDENTIAL")


class FakeStream:
    """Stands in for `webrtc_streamer`: remembers its arguments, plays when told to."""

    def __init__(self) -> None:
        self.playing = False
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=self.playing, signalling=False))

    def send(self, rgb: np.ndarray, t: float | None = None) -> np.ndarray:
        """One camera frame through the page's frame callback (as streamlit-webrtc's worker would),
        stamped with capture time `t` (seconds, as WebRTC frames are; None: no stamp, the server
        places it when it arrives)."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if t is not None:
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
        out = self.calls[-1]["video_frame_callback"](frame)
        return out.to_ndarray(format="rgb24")


@pytest.fixture(scope="module")
def env(session_cache):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANCE_CACHE_DIR", str(session_cache))
        for var in (*ICE_VARS, "OPENAI_API_KEY", "OPENAI_BASE_URL"):
            mp.delenv(var, raising=False)
        yield {"cache": Path(session_cache), "mp": mp}


@pytest.fixture()
def stream(monkeypatch) -> FakeStream:
    fake = FakeStream()
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake)
    return fake


def new_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=FIRST_RUN_TIMEOUT_S)
    at.run()
    return at


def all_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def assert_no_problem(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def labels(at: AppTest) -> list[str]:
    return list(at.selectbox(key="live_ref").options)


def sample(env) -> dict[str, Path]:
    return {r: env["cache"] / "samples" / f"{r}.mp4" for r in ("teacher", "student")}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def fake_entries(env):
    """Three cache files: a clip analysed earlier (its video gone), an attempt, another extractor's."""
    made = {
        "old_teacher.mp4": ("a" * 64, FINGERPRINT, 1_700_000_000.0),
        f"{ATTEMPT_PREFIX}2026-01-01_10-00-00.mp4": ("b" * 64, FINGERPRINT, 1_700_000_100.0),
        "other_model.mp4": ("c" * 64, "0" * 12, 1_700_000_200.0),
    }
    paths = []
    lib = Library(default_url(env["cache"]), user=LOCAL_ADMIN)   # the chooser reads the library (extraction records there)
    for name, (digest, fp, mtime) in made.items():
        path = store.cache_path(env["cache"], digest, fp)
        store.save(make_perf(90, file=name, sha256=digest, fingerprint=fp), path)
        os.utime(path, (mtime, mtime))
        lib.record_clip(ClipInfo(sha256=digest, file_name=name, duration_s=3.0, extractor_fingerprint=fp,
                                 cache_file=str(path), added_at=datetime.fromtimestamp(mtime, UTC)))
        paths.append(path)
    yield made
    for digest, _, _ in made.values():
        lib.delete_clip(digest)
    lib.close()
    for p in paths:
        p.unlink(missing_ok=True)


# --- the reference chooser ------------------------------------------------------------------

def test_first_visit_offers_the_sample_teacher_and_the_stream(env, stream):
    at = new_page()
    assert_no_problem(at)
    assert at.selectbox(key="live_ref").value == SAMPLE_KEY
    options = labels(at)
    assert options[0].startswith("Sample teacher (built-in) · ") and options[-1] == "Upload a new clip…"
    text = all_text(at)
    assert "sample_teacher.mp4" in text and "you will see its video beside your camera" in text
    assert "Live score: –" in text and "Press **Start**" in text
    # The stream: no STUN/TURN server by default, only the newest frame processed, no audio.
    call = stream.calls[-1]
    assert call["rtc_configuration"] == {"iceServers": []}
    assert call["async_processing"] is True and call["media_stream_constraints"]["audio"] is False
    assert call["video_frame_callback"] == at.session_state["live_slot"].callback
    assert call["desired_playing_state"] is None
    # The same settings sidebar as the Compare page.
    assert at.slider(key="w_pose").value == DEFAULT_COMPONENT_WEIGHTS["pose"] and at.slider(key="tol_elbows").value == 15


def test_the_chooser_lists_analysed_videos_by_name_and_date(env, stream, fake_entries):
    at = new_page()
    assert_no_problem(at)
    options = labels(at)
    date = time.strftime("%d %b %Y %H:%M", time.localtime(1_700_000_000.0))
    assert f"old_teacher.mp4 · 3.0 s · analysed {date} · poses only (video no longer stored)" in options
    assert not any(o.startswith(ATTEMPT_PREFIX) for o in options)      # recorded attempts are not references
    assert not any(o.startswith("other_model.mp4") for o in options)   # another extractor's poses
    # A reference known only from its poses still works: a skeleton instead of the video.
    at.selectbox(key="live_ref").set_value("a" * 64).run()
    assert_no_problem(at)
    assert "old_teacher.mp4**: 3.0 s of dancing; you will see its skeleton" in all_text(at)


def test_upload_without_a_file_says_what_to_do_and_a_bad_file_says_why(env, stream):
    at = new_page()
    at.selectbox(key="live_ref").set_value("upload").run()
    assert_no_problem(at)
    assert "Drop the clip of the dance you want to practise" in " ".join(i.value for i in at.info)
    assert stream.calls and len(stream.calls) == 1       # no reference: no stream offered
    bad = b"not a video at all\n" * 20
    at.file_uploader(key="live_upload").set_value(("my teacher.mp4", bad, "video/mp4")).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("my teacher.mp4"), [e.value for e in at.error]
    folder = env["cache"] / "uploads" / f"{at.session_state['sid']}-live"
    assert [p.name for p in folder.iterdir()] == [f"{hashlib.sha256(bad).hexdigest()}.mp4"]


def test_an_uploaded_reference_is_analysed_and_then_listed(env, stream):
    student = sample(env)["student"]
    at = new_page()
    at.selectbox(key="live_ref").set_value("upload").run()
    at.file_uploader(key="live_upload").set_value(("My teacher.mp4", student.read_bytes(), "video/mp4")).run()
    assert_no_problem(at)
    assert re.search(r"My teacher\.mp4\*\*: [\d.]+ s of dancing; you will see its video", all_text(at))
    assert len(stream.calls) == 2                         # the stream is offered once a reference is ready
    # Another visit finds it among the analysed videos, with its video (stored under its content hash).
    later = new_page()
    later.selectbox(key="live_ref").set_value(sha(student)).run()
    assert_no_problem(later)
    assert re.search(r"\*\*: [\d.]+ s of dancing; you will see its video beside your camera", all_text(later))


def test_ice_servers_come_from_the_environment(env, stream, monkeypatch):
    monkeypatch.setenv("DANCE_STUN_URLS", "stun:stun.example.org:3478")
    at = new_page()
    assert_no_problem(at)
    assert stream.calls[-1]["rtc_configuration"] == {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}]}
    monkeypatch.setenv("DANCE_TURN_URL", "turn:turn.example.org:3478")
    at.run()
    assert not at.exception
    assert "DANCE_TURN_USERNAME" in at.error[0].value and "DANCE_TURN_CREDENTIAL" in at.error[0].value


def test_the_settings_sidebar_carries_over_between_the_pages(env, stream):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=FIRST_RUN_TIMEOUT_S)
    at.run()
    at.slider(key="w_pose").set_value(80)
    at.slider(key="tol_knees").set_value(30).run()
    at.switch_page("app_pages/1_Live_practice.py").run()
    assert_no_problem(at)
    assert at.slider(key="w_pose").value == 80 and at.slider(key="tol_knees").value == 30
    assert at.selectbox(key="live_ref").value == SAMPLE_KEY
    at.slider(key="tol_knees").set_value(35).run()
    at.switch_page("app.py").run()
    assert_no_problem(at)
    assert at.slider(key="w_pose").value == 80 and at.slider(key="tol_knees").value == 35


# --- a practice attempt ---------------------------------------------------------------------

def test_start_dance_and_stop_drive_a_practice_session(env, stream):
    at = new_page()
    at.slider(key="live_countdown").set_value(0)
    at.toggle(key="live_mirror").set_value(True)
    at.slider(key="tol_elbows").set_value(40).run()
    stream.playing = True                               # the user pressed Start
    at.run()
    assert_no_problem(at)
    slot: SessionSlot = at.session_state["live_slot"]
    session = slot.session
    assert session is not None and session.mirror and session.countdown_s == 0.0 and session.selfie_view
    assert session.settings.tolerance_deg["elbows"] == 40.0      # the sidebar's tolerances
    # Frames the browser sends come back annotated: the reference panel beside the camera picture.
    # Stamped 0.1 s apart: how long the server takes over them (the first also imports MediaPipe)
    # does not make the recording longer.
    camera = [rgb for _, rgb in frames(sample(env)["teacher"], fps=10.0)][:4]
    for i, rgb in enumerate(camera):
        out = stream.send(rgb, t=i / 10)
    assert out.shape[0] == camera[0].shape[0] and out.shape[1] > camera[0].shape[1]
    at.run()
    assert_no_problem(at)
    text = all_text(at)
    assert re.search(r"Live score: (\d+|–)", text) and "Dancing:" in text, text
    assert session.state().frames_in == len(camera)
    assert at.selectbox(key="live_ref").disabled and at.slider(key="live_countdown").disabled
    stream.playing = False                              # the user pressed Stop, 0.3 s of dancing in
    at.run()
    assert_no_problem(at)
    assert slot.session is None
    assert "too short to compare" in " ".join(w.value for w in at.warning)
    assert not at.selectbox(key="live_ref").disabled
    assert at.session_state["live_attempt"] is None


@pytest.fixture(scope="module")
def attempt_expected(env):
    """The Compare page's result for the sample pair: an "attempt" that is the sample student,
    aligned as a live attempt is (on the reference's clock: sync "auto" not searched again)."""
    s = sample(env)
    return analyze(s["teacher"], s["student"], cache_dir=env["cache"], teacher_name="sample_teacher.mp4",
                   student_name="attempt.mp4", settings=attempt_alignment(AlignSettings()))


def test_a_finished_attempt_gets_the_compare_page_report(env, stream, attempt_expected):
    s = sample(env)
    at = new_page()
    at.session_state["live_attempt"] = Attempt(
        reference=Reference(key=SAMPLE_KEY, name="sample_teacher.mp4", sha256=sha(s["teacher"]), video=s["teacher"]),
        clip=Clip(path=s["student"], name=f"{ATTEMPT_PREFIX}test.mp4", sha256=sha(s["student"])))
    at.run()
    assert_no_problem(at)
    assert f"Result: {ATTEMPT_PREFIX}test.mp4 (you) vs sample_teacher.mp4 (reference)" in all_text(at)
    metrics = {m.label: m.value for m in at.metric}
    assert list(metrics) == ["Overall", "Pose", "Timing", "Trajectory", "Silhouette", "Dynamics"]
    assert metrics["Overall"] == f"{score(attempt_expected).overall:.0f} / 100"
    titles = [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]
    assert sum(t.startswith(("Score over time", "Time alignment", "Joint scores over time", "Per-joint scores"))
               for t in titles) == 4
    assert len(at.get("video")) == 3                       # side by side, reference, attempt
    keys = {b.key for b in at.get("download_button")}
    assert keys >= {"live_dl_video", "live_dl_report", "live_dl_csv"}
    assert "Feedback (rule-based):" in all_text(at)
    # The sidebar rescores the attempt as it does on the Compare page.
    at.slider(key="tol_shoulders").set_value(60).run()
    assert_no_problem(at)
    base = ScoreSettings()
    want = score(attempt_expected, replace(base, tolerance_deg={**base.tolerance_deg, "shoulders": 60.0}))
    assert {m.label: m.value for m in at.metric}["Overall"] == f"{want.overall:.0f} / 100"
    at.button(key="reset").click().run()


def test_an_attempt_against_a_reference_whose_video_is_gone_uses_its_cached_poses(env, stream):
    s = sample(env)
    teacher_sha = sha(s["teacher"])
    at = new_page()
    at.session_state["live_attempt"] = Attempt(
        reference=Reference(key=teacher_sha, name="gone_teacher.mp4", sha256=teacher_sha, video=None,
                            cache_file=store.cache_path(env["cache"], teacher_sha, FINGERPRINT)),
        clip=Clip(path=s["student"], name=f"{ATTEMPT_PREFIX}test.mp4", sha256=sha(s["student"])))
    at.run()
    assert_no_problem(at)
    assert re.fullmatch(r"\d+ / 100", {m.label: m.value for m in at.metric}["Overall"])
    assert "no longer on disk" in all_text(at)
    assert len(at.get("video")) == 1                       # only the attempt: no side-by-side without the video


# --- helpers without Streamlit --------------------------------------------------------------

@pytest.mark.parametrize("environ, expected, error", [
    ({}, {"iceServers": []}, None),
    ({"DANCE_STUN_URLS": "stun:a.org:3478, stun:b.org:19302"},
     {"iceServers": [{"urls": ["stun:a.org:3478", "stun:b.org:19302"]}]}, None),
    ({"DANCE_TURN_URL": "turn:t.org:3478?transport=tcp", "DANCE_TURN_USERNAME": "u", "DANCE_TURN_CREDENTIAL": "p"},
     {"iceServers": [{"urls": ["turn:t.org:3478?transport=tcp"], "username": "u", "credential": "p"}]}, None),
    ({"DANCE_STUN_URLS": "turn:x.org"}, None, "DANCE_STUN_URLS must list stun:"),
    ({"DANCE_TURN_URL": "stun:x.org"}, None, "DANCE_TURN_URL must list turn:"),
    ({"DANCE_TURN_URL": "turns:x.org:5349", "DANCE_TURN_USERNAME": "u"}, None, "DANCE_TURN_CREDENTIAL must be set"),
])
def test_rtc_configuration(environ, expected, error):
    if error is None:
        assert rtc_configuration(environ) == expected
    else:
        with pytest.raises(IceConfigError, match=error):
            rtc_configuration(environ)


def test_cached_references_newest_first_one_per_video_current_extractor_only(tmp_path):
    def entry(name, digest, fp=FINGERPRINT, created=0.0):
        return CacheEntry(path=tmp_path / f"{digest}-{fp}.h5", file=name, sha256=digest, fingerprint=fp,
                          duration_s=4.0, n_frames=120, created=created)

    video = tmp_path / "v.mp4"
    refs = cached_references([entry("old.mp4", "1" * 64, created=1.0), entry("new.mp4", "2" * 64, created=3.0),
                              entry("stale.mp4", "3" * 64, fp="x" * 12, created=5.0),
                              entry("sample_teacher.mp4", "4" * 64, created=4.0),
                              entry(f"{ATTEMPT_PREFIX}x.mp4", "5" * 64, created=6.0)],
                             fingerprint=FINGERPRINT, videos={"2" * 64: video}, exclude={"4" * 64})
    assert [(r.name, r.video) for r in refs] == [("new.mp4", video), ("old.mp4", None)]
    assert refs[0].label().startswith("new.mp4 · 4.0 s · analysed ") and "poses only" in refs[1].label()


def test_stored_videos_are_found_by_content_hash(tmp_path):
    digest = "d" * 64
    (tmp_path / "session1").mkdir()
    (tmp_path / "session1" / f"{digest}.mov").write_bytes(b"x")
    (tmp_path / "session1" / ".temp.part").write_bytes(b"x")
    (tmp_path / "session1" / "notes.txt").write_bytes(b"x")
    assert stored_videos([tmp_path, tmp_path / "missing"]) == {digest: tmp_path / "session1" / f"{digest}.mov"}


class FakeSession:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.closed, self.seen = fail, False, []

    def process(self, rgb, t=None):
        if self.fail:
            raise RuntimeError("boom")
        self.seen.append(rgb.shape)
        return np.zeros((rgb.shape[0], rgb.shape[1] * 2, 3), np.uint8)

    def close(self):
        self.closed = True


def test_session_slot_hands_frames_to_the_session_and_survives_its_failure():
    slot = SessionSlot()
    frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 7, np.uint8), format="rgb24")
    assert slot.callback(frame) is frame                  # no session: the camera passes through
    first = FakeSession()
    slot.start(first)
    assert slot.callback(frame).width == 128 and first.seen == [(48, 64, 3)]
    failing = FakeSession(fail=True)
    slot.start(failing)
    assert first.closed                                    # a new session closes the one before
    assert slot.callback(frame) is frame and slot.failed   # an exception never ends the stream
    assert slot.callback(frame) is frame
    slot.close()
    assert failing.closed and slot.session is None


def test_live_score_text_and_rolling_chart_of_a_fresh_state():
    assert score_text(None) == "Live score: –" and score_text(86.6) == "Live score: 87"
    state = LiveState(phase="dancing", countdown_s=0.0, ref_t=1.0, score=None, worst_joint=None, history=(),
                      frames_in=0, frames_scored=0, ms_per_frame=0.0, message=None)
    assert live_score_figure(state.history).data[0].x.size == 0


def test_a_slow_callback_gets_the_newest_frame_and_older_ones_are_dropped():
    """What SessionSlot.callback relies on: streamlit-webrtc's async processing hands the callback
    only the newest frame, so a slow frame never builds a queue (latency stays one frame's work)."""
    import asyncio
    import threading
    from fractions import Fraction

    from aiortc import MediaStreamTrack
    from streamlit_webrtc.models import CallbackAttachableProcessor
    from streamlit_webrtc.process import AsyncVideoProcessTrack

    sent: list[int] = []
    seen: list[tuple[int, int]] = []        # (pts processed, newest pts sent by then)
    lock = threading.Lock()

    class Camera(MediaStreamTrack):
        kind = "video"

        async def recv(self):
            await asyncio.sleep(0.005)
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.time_base = Fraction(1, 200)
            with lock:
                frame.pts = len(sent)
                sent.append(frame.pts)
            return frame

    class SlowSession:
        def process(self, rgb, t=None):
            time.sleep(0.05)                    # ten camera frames' worth of work
            return rgb

    slot = SessionSlot()
    slot.start(SlowSession())
    inner = slot.callback

    def callback(frame):
        with lock:
            seen.append((frame.pts, sent[-1]))
        return inner(frame)

    track = AsyncVideoProcessTrack(Camera(), CallbackAttachableProcessor(callback, None, None))

    async def pull(n: int) -> None:
        for _ in range(n):
            await track.recv()

    asyncio.run(pull(200))
    track.stop()
    assert len(seen) < len(sent) / 4, (len(seen), len(sent))       # most frames skipped ...
    late = [newest - pts for pts, newest in seen[1:]]
    assert max(late) <= 3, late                                    # ... and the one processed is the newest


@pytest.mark.parametrize("phase, countdown, ref_t, expected", [
    ("waiting", 3.0, 0.0, "Starting: waiting for the first picture from the camera…"),
    ("countdown", 2.2, 0.0, "Get ready: the reference starts in 3 s…"),
    ("countdown", 0.1, 0.0, "Get ready: the reference starts in 1 s…"),
    ("dancing", 0.0, 4.26, "Dancing: 4.3 s into the reference."),
    ("finished", 0.0, 10.0, "Finished: your attempt goes to the full comparison below."),
])
def test_status_text(phase, countdown, ref_t, expected):
    state = LiveState(phase=phase, countdown_s=countdown, ref_t=ref_t, score=None, worst_joint=None, history=(),
                      frames_in=0, frames_scored=0, ms_per_frame=0.0, message=None)
    assert status_text(state) == expected
