"""bench_sessions' measure of how long a page waited for the server, on hand-made websocket traffic."""

from __future__ import annotations

import sys

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from bench_sessions import server_waits  # noqa: E402


def forward(kind: str) -> bytes:
    m = ForwardMsg()
    if kind == "new_session":
        m.new_session.script_run_id = "run"
    elif kind == "script_finished":
        m.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    else:
        m.delta.new_element.markdown.body = "x"
    return m.SerializeToString()


def rerun() -> bytes:
    m = BackMsg()
    m.rerun_script.query_string = ""
    return m.SerializeToString()


def test_a_gap_inside_a_run_is_the_servers_a_gap_between_runs_is_not():
    events = [(1.0, "sent", rerun()), (1.5, "received", forward("new_session")),
              (1.7, "received", forward("delta")), (4.7, "received", forward("delta")),   # 3.0 s inside the run
              (5.0, "received", forward("script_finished")),
              (12.0, "received", forward("new_session"))]                                 # 7.0 s between runs
    waits = server_waits(events, 0.0, 13.0)
    assert waits["server_wait_s"] == 3.0 and waits["at_s"] == 1.7
    assert waits["what"] == "inside a run, before delta"
    assert waits["any_gap_s"] == 7.0


def test_the_answer_to_a_rerun_is_timed_from_the_request():
    events = [(2.0, "sent", rerun()), (6.5, "received", forward("new_session")),
              (6.6, "received", forward("script_finished"))]
    waits = server_waits(events, 0.0, 7.0)
    assert waits["server_wait_s"] == 4.5 and waits["what"] == "answer to rerun_script"
