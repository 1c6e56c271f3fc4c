"""Opening a library database: created when missing, upgraded from v1, refused (and left alone)
when damaged, foreign or newer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    text,
)

from engine.core.errors import LibraryError
from engine.library import LOCAL_ADMIN, SCHEMA_VERSION, ClipInfo, Library, User, default_url, open_library
from tests.engine.library.conftest import make_report

A = "a" * 64


def _v1_metadata() -> MetaData:
    """The schema of version 1, frozen as it was released (no clips.tags, no clips.video_owned)."""
    md = MetaData()
    Table("library_meta", md, Column("key", String(64), primary_key=True), Column("value", String(200), nullable=False))
    Table("clips", md, Column("id", Integer, primary_key=True), Column("sha256", String(64), nullable=False, unique=True),
          Column("file_name", String(500), nullable=False), Column("duration_s", Float), Column("fps", Float),
          Column("frames", Integer), Column("detected_ratio", Float), Column("extractor_fingerprint", String(64)),
          Column("cache_file", String(1000)), Column("video_path", String(1000)), Column("routine", String(200)),
          Column("dancer", String(200)), Column("style", String(200)),
          Column("added_at", DateTime(timezone=True), nullable=False))
    Table("comparisons", md, Column("id", Integer, primary_key=True),
          Column("teacher_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
          Column("student_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
          Column("settings_fingerprint", String(64)), Column("overall", Float, nullable=False),
          Column("components", JSON, nullable=False), Column("joints", JSON, nullable=False),
          Column("sync_method", String(16)), Column("sync_offset_s", Float), Column("mirror", Boolean),
          Column("moments_count", Integer), Column("report", Text, nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False), Column("source", String(16), nullable=False))
    return md


def _write_v1(url: str) -> None:
    md = _v1_metadata()
    engine = create_engine(url)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        md.create_all(conn)
        conn.execute(insert(md.tables["library_meta"]).values(key="schema_version", value="1"))
        clips = md.tables["clips"]
        conn.execute(insert(clips).values(id=1, sha256=A, file_name="old.mp4", routine="Salsa", dancer="Ana",
                                          added_at=now))
        conn.execute(insert(clips).values(id=2, sha256="b" * 64, file_name="older.mp4", added_at=now))
        conn.execute(insert(md.tables["comparisons"]).values(
            teacher_id=2, student_id=1, overall=64.0, components={"pose": 70.0}, joints={"left_knee": 50.0},
            report='{"report_version": 1}', created_at=now, source="cli"))
    engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_v1_database_is_upgraded_and_keeps_its_rows(db_url: str) -> None:
    _write_v1(db_url)
    with Library(db_url, user=LOCAL_ADMIN) as lib:
        assert lib.found_version == 1
        [old] = [c for c in lib.list_clips() if c.sha256 == A]
        assert (old.file_name, old.routine, old.dancer, old.tags, old.video_owned) == ("old.mp4", "Salsa", "Ana",
                                                                                        "", False)
        assert old.added_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert [h.overall for h in lib.history("Salsa", "Ana")] == [64.0]
        lib.set_labels(A, tags="upgraded")         # the v2 columns work
        assert lib.find_clip(A).tags == "upgraded"
        # v3: rows from before sign-in are the administrator's alone; the new tables work.
        assert [c.owner for c in lib.list_comparisons()] == [None]
        ana = lib.as_user(User("ana@studio.example", "student"))
        assert ana.counts() == (0, 0)
        assert [s.routine for s in lib.as_user(User("t@studio.example", "teacher")).share_routine("Salsa")] == ["Salsa"]
    with Library(db_url, user=LOCAL_ADMIN) as lib:                   # reopened: nothing left to upgrade
        assert lib.found_version == SCHEMA_VERSION
        with create_engine(db_url).connect() as conn:
            assert conn.execute(text("SELECT value FROM library_meta")).scalar_one() == str(SCHEMA_VERSION)


def test_a_missing_database_and_its_folder_are_created(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DANCE_DB_URL", raising=False)
    cache = tmp_path / "not" / "yet"
    with open_library(cache) as lib:
        assert lib.found_version == SCHEMA_VERSION
        lib.record_clip(ClipInfo(sha256=A, file_name="x.mp4"))
    assert (cache / "library.db").is_file()
    with open_library(cache) as lib:
        assert lib.counts() == (1, 0)


def test_the_url_comes_from_the_environment_when_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DANCE_DB_URL", raising=False)
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'library.db'}"
    monkeypatch.setenv("DANCE_DB_URL", "postgresql://u:secret@db.example/dance")
    assert default_url(tmp_path) == "postgresql://u:secret@db.example/dance"


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_sqlite_file_is_refused_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "library.db"
    path.write_bytes(content)
    before = _digest(path)
    with pytest.raises(LibraryError, match=r"damaged or not a database.*left as it is"):
        Library(f"sqlite:///{path}", user=LOCAL_ADMIN)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.db"]   # no -wal/-shm left beside it


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    with Library(db_url, user=LOCAL_ADMIN):
        pass
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE library_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": str(SCHEMA_VERSION + 1)})
        conn.execute(text("CREATE TABLE from_the_future (x INTEGER)"))
    with pytest.raises(LibraryError, match=rf"newer version.*schema {SCHEMA_VERSION + 1}.*up to {SCHEMA_VERSION}"):
        Library(db_url, user=LOCAL_ADMIN)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM library_meta")).scalar_one() == str(SCHEMA_VERSION + 1)
    engine.dispose()


def test_foreign_tables_with_our_names_are_refused(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE clips (name VARCHAR(20))"))
        conn.execute(text("INSERT INTO clips VALUES ('holiday')"))
    with pytest.raises(LibraryError, match="not a dance library"):
        Library(db_url, user=LOCAL_ADMIN)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM clips")).scalar_one() == "holiday"
    engine.dispose()


def test_an_unreachable_server_is_a_library_error_without_the_password() -> None:
    with pytest.raises(LibraryError) as info:
        Library("postgresql://dancer:s3cret@127.0.0.1:1/nowhere", user=LOCAL_ADMIN)
    assert "s3cret" not in str(info.value) and "127.0.0.1:1" in str(info.value)


def test_a_comparison_survives_reopening(db_url: str) -> None:
    with Library(db_url, user=LOCAL_ADMIN) as lib:
        cid = lib.record_comparison(make_report(overall=77.0), source="live")
    with Library(db_url, user=LOCAL_ADMIN) as lib:
        assert lib.get_report(cid)["scores"]["overall"] == 77.0
        assert lib.list_comparisons()[0].source == "live"


def test_a_deleted_sqlite_file_is_noticed(tmp_path: Path) -> None:
    lib = Library(f"sqlite:///{tmp_path / 'library.db'}", user=LOCAL_ADMIN)
    assert lib.file_gone is False
    (tmp_path / "library.db").unlink()
    assert lib.file_gone is True
    lib.close()
