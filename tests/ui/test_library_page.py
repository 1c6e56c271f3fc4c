"""The Library page (app_pages/2_Library.py) under AppTest, on a small SQLite library: clips table,
progress over three attempts, a stored report opened without recomputing, delete with confirmation,
and a damaged database shown as a message."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from engine.library import LOCAL_ADMIN, ClipInfo, Library
from tests.conftest import REPO
from tests.engine.library.conftest import make_report
from ui.library_view import clips_frame, delete_consequences, label_edits

PAGE = str(REPO / "app_pages" / "2_Library.py")
T = "a" * 64
ATTEMPTS = [("1" * 64, 52.0, {"left_elbow": 40.0, "neck": 70.0}),
            ("2" * 64, 78.0, {"left_elbow": 66.0, "neck": 74.0}),
            ("3" * 64, 71.0, {"left_elbow": 60.0, "neck": 55.0})]


@pytest.fixture
def library_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'library.db'}"
    monkeypatch.setenv("DANCE_DB_URL", url)
    monkeypatch.setenv("DANCE_CACHE_DIR", str(tmp_path / "cache"))
    upload = tmp_path / "uploads" / f"{ATTEMPTS[0][0]}.mp4"
    upload.parent.mkdir()
    upload.write_bytes(b"video")
    with Library(url, user=LOCAL_ADMIN) as lib:
        for i, (sha, overall, joints) in enumerate(ATTEMPTS):
            info = [ClipInfo(sha256=sha, file_name=f"attempt{i + 1}.mp4", video_path=str(upload) if i == 0 else None,
                             video_owned=i == 0)]
            lib.record_comparison(make_report(teacher=T, student=sha, overall=overall, joints=joints,
                                              student_file=f"attempt{i + 1}.mp4"), source="upload", clips_info=info)
            lib.set_labels(sha, routine="Salsa 1", dancer="Ana")
    return url


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def test_clips_table_and_progress_of_three_attempts(library_url) -> None:
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    assert [e.value for e in at.error] == []
    [editor] = [d for d in at.dataframe if d.value.shape[0] == 4]      # 3 attempts + the teacher
    assert list(editor.value["File"])[:3] == ["attempt3.mp4", "attempt2.mp4", "attempt1.mp4"]
    assert at.selectbox(key="lib_p_routine").value == "Salsa 1"
    assert at.selectbox(key="lib_p_dancer").value == "Ana"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Best attempt"] == "78 / 100" and metrics["Attempts"] == "3"
    text = " ".join(m.value for m in at.markdown)
    assert "left elbow +20" in text                                   # 40 -> 60
    assert "head / neck 55" in text and "left elbow 60" in text       # lowest in the last attempt


def test_open_the_best_attempt_from_its_stored_report(library_url) -> None:
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    at.button(key="lib_progress_open_best").click()
    run(at)
    assert any("Report of comparison #2: attempt2.mp4 (student)" in h.value for h in at.subheader)
    assert {m.label: m.value for m in at.metric}["Overall"] == "78 / 100"
    assert any("Drawn from the stored report" in i.value for i in at.info)
    # The stored report has no beats: its timeline says times are in seconds only.
    assert any("Times are in seconds only" in c.value for c in at.caption)


def test_delete_asks_first_then_removes_the_clip_and_its_upload(library_url, tmp_path) -> None:
    upload = tmp_path / "uploads" / f"{ATTEMPTS[0][0]}.mp4"
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    at.selectbox(key="lib_del_clip").set_value(ATTEMPTS[0][0])
    at.button(key="lib_del_ask").click()
    run(at)
    [warning] = [w.value for w in at.warning]
    assert "attempt1.mp4" in warning and "stored upload" in warning
    assert upload.exists()                                             # nothing yet
    at.button(key="lib_del_yes").click()
    run(at)
    assert any("Deleted attempt1.mp4: 1 comparison(s) and 1 file(s)" in s.value for s in at.success)
    assert not upload.exists()
    with Library(library_url, user=LOCAL_ADMIN) as lib:
        assert lib.counts() == (3, 2)


def test_a_damaged_database_is_a_message_not_a_traceback(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "library.db"
    bad.write_bytes(b"garbage" * 100)
    monkeypatch.setenv("DANCE_DB_URL", f"sqlite:///{bad}")
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    assert any("damaged or not a database" in e.value for e in at.error)
    assert bad.read_bytes() == b"garbage" * 100


def test_label_edits_map_table_positions_to_clips() -> None:
    shas = ["x" * 64, "y" * 64]
    edits = {0: {"Routine": "Waltz", "File": "ignored.mp4"}, 1: {"Tags": None}, 5: {"Dancer": "out of range"}}
    assert label_edits(edits, shas) == {"x" * 64: {"routine": "Waltz"}, "y" * 64: {"tags": ""}}


def test_clips_frame_and_delete_words(library_url) -> None:
    with Library(library_url, user=LOCAL_ADMIN) as lib:
        rows = lib.list_clips()
    frame = clips_frame(rows)
    assert list(frame["Routine"]) == ["Salsa 1"] * 3 + [""]
    assert list(frame["Files"]) == ["missing", "missing", "video only", "missing"]
    words = delete_consequences(rows[2])
    assert "**1** comparison(s)" in words and "stored upload" in words
