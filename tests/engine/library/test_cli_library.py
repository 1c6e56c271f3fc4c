"""`python -m engine library list|label|history|delete`: output, exit status 0 / 2, one stderr line."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.library import LOCAL_ADMIN, Library
from tests.engine.library.conftest import make_report

A, B, C = "a" * 64, "b" * 64, "c" * 64


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    monkeypatch.setenv("DANCE_DB_URL", url)
    monkeypatch.setenv("ENGINE_NATIVE_LOGS", "1")   # keep fd 2 for capsys
    with Library(url, user=LOCAL_ADMIN) as lib:
        lib.record_comparison(make_report(student=B, overall=55.0, joints={"left_elbow": 40.0, "neck": 80.0}),
                              source="cli")
        lib.record_comparison(make_report(student=C, overall=70.0, joints={"left_elbow": 60.0, "neck": 75.0}),
                              source="upload")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(["library", *argv])
        out, err = capsys.readouterr()
        return rc, out, err
    return run


def test_list_as_json_and_lines(cli) -> None:
    rc, out, _ = cli("list", "--json")
    rows = json.loads(out)
    assert rc == 0 and [r["sha256"] for r in rows] == [C, B, A]       # newest first
    assert rows[2]["comparisons"] == 2 and rows[2]["files"] == "missing"
    rc, out, _ = cli("list")
    assert rc == 0 and out.splitlines()[0].startswith(C[:12]) and "student.mp4" in out


def test_label_then_history(cli) -> None:
    for sha in (B, C):
        rc, out, _ = cli("label", sha[:8], "--routine", "Salsa 1", "--dancer", "Ana", "--style", "salsa")
        assert rc == 0 and json.loads(out)["routine"] == "Salsa 1"
    rc, out, _ = cli("history", "--routine", "Salsa 1", "--dancer", "Ana", "--json")
    assert rc == 0 and [r["overall"] for r in json.loads(out)] == [55.0, 70.0]
    rc, out, _ = cli("history", "--routine", "Salsa 1", "--dancer", "Ana")
    assert rc == 0
    assert "best: #2 (70.0); change first -> last: +15.0" in out
    assert "improved most: left elbow +20" in out and "holding back: left elbow 60, head / neck 75" in out
    rc, out, _ = cli("list", "--json", "--routine", "Salsa 1")
    assert {r["sha256"] for r in json.loads(out)} == {B, C}


def test_delete(cli) -> None:
    rc, out, _ = cli("delete", B)
    assert rc == 0 and json.loads(out)["comparisons"] == 1
    rc, out, _ = cli("list", "--json")
    assert [r["sha256"] for r in json.loads(out)] == [C, A]


@pytest.mark.parametrize("argv, message", [
    (("label", "abc", "--routine", "R"), "not a clip's sha256"),
    (("label", A), "give at least one of"),
    (("delete", "dddddddd"), "no clip dddddddd"),
])
def test_bad_input_is_exit_2_with_one_line(cli, argv, message) -> None:
    rc, out, err = cli(*argv)
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_damaged_database_is_exit_2_and_kept(cli, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 10)
    monkeypatch.setenv("DANCE_DB_URL", f"sqlite:///{bad}")
    rc, _, err = cli("list")
    assert rc == 2 and "damaged or not a database" in err and err.count("\n") == 1
    assert bad.read_bytes() == b"not sqlite at all" * 10


def test_extract_records_its_clip_and_never_deletes_the_users_video(tmp_path, monkeypatch, capsys) -> None:
    import engine.io.store
    from tests.factories import make_perf

    video = tmp_path / "mine.mp4"
    video.write_bytes(b"not decoded: load_or_extract is replaced")
    perf = make_perf(90, file="mine.mp4", sha256="d" * 64)
    monkeypatch.setattr(engine.io.store, "load_or_extract", lambda *a, **k: perf)
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    monkeypatch.setenv("DANCE_DB_URL", url)
    monkeypatch.setenv("ENGINE_NATIVE_LOGS", "1")
    for _ in range(2):      # a clip analysed twice is one row
        assert main(["extract", str(video), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    with Library(url, user=LOCAL_ADMIN) as lib:
        [clip] = lib.list_clips()
    assert (clip.sha256, clip.file_name, clip.frames, clip.video_path) == ("d" * 64, "mine.mp4", 90, str(video))
    assert clip.video_owned is False
    assert main(["library", "delete", "dddddd"]) == 0
    assert video.exists()


def test_a_library_that_cannot_be_written_is_a_note_not_a_failure(tmp_path, monkeypatch, capsys) -> None:
    import engine.io.store
    from tests.factories import make_perf

    video = tmp_path / "mine.mp4"
    video.write_bytes(b"x")
    monkeypatch.setattr(engine.io.store, "load_or_extract", lambda *a, **k: make_perf(30, sha256="d" * 64))
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 50)
    monkeypatch.setenv("DANCE_DB_URL", f"sqlite:///{bad}")
    monkeypatch.setenv("ENGINE_NATIVE_LOGS", "1")
    capsys.readouterr()
    assert main(["extract", str(video), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["sha256"] == "d" * 64
    assert err.startswith("note: not recorded in the library:") and "damaged" in err
