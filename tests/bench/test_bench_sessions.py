"""bench_sessions' measure of how long a page waited for the server, on a hand-made server log."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from bench_sessions import longest_quiet_gap, server_waits  # noqa: E402


def probe_log(tmp_path, lines: list[tuple[float, str, str, str]]):
    """A `_probed_streamlit.py` log: (monotonic s, session, recv|sent, message type) per line."""
    path = tmp_path / "probe.log"
    path.write_text("".join(f"{t:.4f} {s} {d} {k}\n" for t, s, d, k in lines))
    return path


def test_a_gap_inside_a_run_is_the_servers_a_gap_between_runs_is_not(tmp_path):
    log = probe_log(tmp_path, [
        (1.0, "a", "recv", "rerun_script"), (1.5, "a", "sent", "new_session"),
        (1.7, "a", "sent", "delta"), (4.7, "a", "sent", "delta"),          # 3.0 s inside a's run
        (5.0, "a", "sent", "script_finished"),
        (12.0, "a", "sent", "new_session")])                                # 7.0 s between runs
    waits = server_waits(log, 0.0, 13.0)
    assert waits["server_wait_s"] == pytest.approx(3.0) and waits["at_s"] == pytest.approx(1.7)
    assert waits["what"] == "inside a run, before delta"


def test_sessions_are_timed_apart_and_an_unanswered_request_counts_to_the_end(tmp_path):
    log = probe_log(tmp_path, [
        (1.0, "a", "sent", "new_session"), (2.0, "b", "sent", "delta"),    # b's message is not a's
        (3.0, "a", "sent", "script_finished"),
        (4.0, "b", "recv", "file_urls_request")])                          # never answered
    waits = server_waits(log, 0.0, 10.0)
    assert waits["server_wait_s"] == pytest.approx(6.0)
    assert waits["what"] == "no answer to file_urls_request" and waits["at_s"] == pytest.approx(4.0)


def test_the_answer_to_a_rerun_is_timed_from_the_request_within_the_window(tmp_path):
    log = probe_log(tmp_path, [
        (0.5, "a", "recv", "rerun_script"), (0.9, "a", "sent", "new_session"),   # before the window
        (2.0, "a", "recv", "rerun_script"), (6.5, "a", "sent", "new_session"),
        (6.6, "a", "sent", "script_finished")])
    waits = server_waits(log, 1.0, 7.0)
    assert waits["server_wait_s"] == pytest.approx(4.5) and waits["what"] == "answer to rerun_script"


def test_the_quiet_gap_counts_from_the_drop_to_the_result():
    assert longest_quiet_gap([0.5, 1.0, 2.0, 9.0], 1.0, 4.0) == pytest.approx(2.0)
    assert longest_quiet_gap([], 1.0, 4.0) == pytest.approx(3.0)
