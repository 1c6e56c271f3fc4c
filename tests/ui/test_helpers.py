"""The page's helpers without Streamlit: background jobs, upload storage, CSV export, the media fix."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
import threading
import time

import pytest

from engine.core.body import SCORED_JOINTS
from engine.present.report import joint_table_csv
from tests.factories import make_card, moment
from ui.exports import JOINT_CSV_COLUMNS, joints_csv
from ui.jobs import Jobs
from ui.uploads import remove_unused, store_upload, sweep_stale

# --- jobs -----------------------------------------------------------------------------------


def test_a_job_is_found_again_by_key_and_reports_progress():
    jobs = Jobs(max_workers=2)
    release = threading.Event()
    calls = []

    def work(x, *, progress):
        calls.append(x)
        progress(0.5, "half way")
        release.wait(5)
        return x * 2

    job = jobs.submit("k", work, 21)
    assert jobs.submit("k", work, 99) is job                   # a rerun re-attaches, no second call
    deadline = time.monotonic() + 5
    while job.message != "half way" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (job.fraction, job.message, job.done) == (0.5, "half way", False)
    release.set()
    assert job.future.result(5) == 42 and job.error() is None
    assert calls == [21]
    jobs.forget("k")
    assert jobs.get("k") is None


def test_a_failed_job_keeps_its_error_and_is_started_afresh_on_resubmit():
    jobs = Jobs(max_workers=1)

    def boom(*, progress):
        raise ValueError("bad clip")

    job = jobs.submit("k", boom)
    with pytest.raises(ValueError, match="bad clip"):
        job.future.result(5)
    assert isinstance(job.error(), ValueError)
    again = jobs.submit("k", lambda *, progress: "ok")
    assert again is not job and again.future.result(5) == "ok"


def test_two_jobs_run_at_once():
    jobs = Jobs(max_workers=2)
    both = threading.Barrier(2, timeout=5)
    a = jobs.submit("a", lambda *, progress: both.wait())
    b = jobs.submit("b", lambda *, progress: both.wait())
    a.future.result(5), b.future.result(5)                     # a BrokenBarrierError if they ran one by one


# --- uploads --------------------------------------------------------------------------------

def test_uploads_are_stored_under_their_content_hash(tmp_path):
    data = b"\x00\x01 some video bytes"
    clip = store_upload(data, "../../etc/My Dance.MOV", tmp_path / "sess")
    assert clip.path == tmp_path / "sess" / f"{hashlib.sha256(data).hexdigest()}.mov"
    assert clip.path.read_bytes() == data and clip.name == "My Dance.MOV" and clip.sha256 in clip.path.name
    odd = store_upload(b"x", "clip.exe", tmp_path / "sess")
    assert odd.path.suffix == ".bin"                           # only accepted extensions are kept
    assert [p.name for p in (tmp_path / "sess").iterdir() if p.name.startswith(".")] == []


def test_unused_uploads_are_removed_and_the_empty_folder_too(tmp_path):
    folder = tmp_path / "sess"
    a = store_upload(b"a", "a.mp4", folder)
    b = store_upload(b"b", "b.mp4", folder)
    assert remove_unused(folder, {a.path}) == [b.path]
    assert a.path.is_file() and not b.path.exists()
    remove_unused(folder, set())
    assert not folder.exists()


def test_stale_session_folders_are_swept(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    store_upload(b"a", "a.mp4", old)
    store_upload(b"b", "b.mp4", new)
    os.utime(old, (time.time() - 10_000, time.time() - 10_000))
    assert sweep_stale(tmp_path, older_than_s=3600) == [old]
    assert not old.exists() and new.is_dir()


# --- exports --------------------------------------------------------------------------------

def test_joint_csv_download_is_the_engines_table():
    ms = [moment("form", (2.0, 2.5), (1.2, 1.7), joint="left_elbow", error_deg=-35.0)]
    card = make_card(10, joints={**{j: 90.0 for j in SCORED_JOINTS}, "left_elbow": 40.0}, moments=ms)
    text = joints_csv(card)
    assert text == joint_table_csv(card)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == JOINT_CSV_COLUMNS and len(rows) == len(SCORED_JOINTS)
    assert rows[0]["first_moment_detail"] == "left elbow 35 degrees more bent than the teacher"


# --- compat ---------------------------------------------------------------------------------

def _serve(app, path: str, accept: bytes) -> list[dict]:
    """The ASGI messages `app` sends for one GET."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"accept-encoding", accept)], "server": ("test", 80)}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("accept", [b"gzip, deflate", b"identity;q=1, *;q=0"])
def test_media_responses_pass_streamlits_gzip_middleware_intact(accept):
    from streamlit.web.server.starlette.starlette_gzip_middleware import SelectiveGZipMiddleware

    from ui.compat import fix_media_gzip

    video = bytes(range(256)) * 40

    async def media(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"video/mp4"), (b"content-length", str(len(video)).encode())]})
        await send({"type": "http.response.body", "body": video, "more_body": False})

    fix_media_gzip()
    assert fix_media_gzip() in (True, False)                    # idempotent
    sent = _serve(SelectiveGZipMiddleware(media, minimum_size=500), "/media/abc.mp4", accept)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"], sent[:1]
    headers = dict(sent[0]["headers"])
    assert b"content-encoding" not in headers                  # media is never gzipped
    assert sent[1]["body"] == video


def _queue_with_an_upload_answer():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    queue = ForwardMsgQueue()
    delta, answer, finished = ForwardMsg(), ForwardMsg(), ForwardMsg()
    delta.delta.new_element.markdown.body = "progress"
    delta.metadata.delta_path[:] = [0, 1]
    answer.file_urls_response.response_id = "upload-1"
    finished.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    for msg in (delta, answer, finished):
        queue.enqueue(msg)
    return queue


def test_upload_answers_survive_a_new_script_run():
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    from ui.compat import keep_upload_answers

    unpatched = getattr(ForwardMsgQueue.clear, "_original", ForwardMsgQueue.clear)
    queue = _queue_with_an_upload_answer()
    unpatched(queue, retain_lifecycle_msgs=True)            # what a starting run does in Streamlit 1.60
    assert [m.WhichOneof("type") for m in queue._queue] == ["script_finished"]   # the answer is lost

    assert keep_upload_answers() is True and keep_upload_answers() is True       # idempotent
    queue = _queue_with_an_upload_answer()
    queue.clear(retain_lifecycle_msgs=True)
    assert [m.WhichOneof("type") for m in queue._queue] == ["file_urls_response", "script_finished"]
    assert queue._queue[0].file_urls_response.response_id == "upload-1"
    sent = queue.flush()                                    # sending still empties the queue
    assert len(sent) == 2 and queue.is_empty()
