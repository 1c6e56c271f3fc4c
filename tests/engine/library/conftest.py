"""Library test fixtures: every test runs against SQLite and a real PostgreSQL server.

PostgreSQL comes from ``$DANCE_TEST_PG_URL`` (a server URL whose user may create databases), or
else from a throwaway cluster this fixture starts with Debian's postgresql binaries (initdb in a
temporary folder, on 127.0.0.1 with a free port; as root it runs as the ``postgres`` user, which
PostgreSQL requires). Each test gets its own fresh database. Without either, the PostgreSQL cases
skip and say why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV_PG = "DANCE_TEST_PG_URL"
#: Seconds for a throwaway cluster to accept connections.
PG_START_S = 30


def _pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").is_file() and Path(candidate, "pg_ctl").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as(user: str | None, argv: list[str]) -> subprocess.CompletedProcess:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL (admin database), or a skip with the reason."""
    url = os.environ.get(ENV_PG, "").strip()
    if url:
        yield url
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(f"no PostgreSQL server: {ENV_PG} is unset and no /usr/lib/postgresql/*/bin/initdb "
                    "(apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:   # postgres refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no PostgreSQL server: running as root and there is no 'postgres' user to run one as")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="dance-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if user is not None:
        shutil.chown(root, user)
        shutil.chown(sock, user)
    init = _run_as(user, [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                          "--no-sync", "-E", "UTF8"])
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server: initdb failed: {init.stderr.strip()[:300]}")
    port = _free_port()
    start = _run_as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                           "-t", str(PG_START_S), "-o", f"-h 127.0.0.1 -p {port} -k {sock} -F", "start"])
    if start.returncode != 0:
        log = (root / "log").read_text(errors="replace")[-300:] if (root / "log").is_file() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server: pg_ctl start failed: {start.stderr.strip()[:200]} {log}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run_as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    name = f"dance_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + 10
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The URL of a new, empty library database on each backend."""
    if request.param == "sqlite":
        (tmp_path / "cache").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'cache' / 'library.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def library(db_url):
    from engine.library import LOCAL_ADMIN, Library

    lib = Library(db_url, user=LOCAL_ADMIN)
    yield lib
    lib.close()


def make_report(*, teacher: str = "a" * 64, student: str = "b" * 64, overall: float = 70.0,
                components: dict | None = None, joints: dict | None = None, teacher_file: str = "teacher.mp4",
                student_file: str = "student.mp4", moments: int = 2) -> dict:
    """A small report dictionary of the report_version 1 shape (only what the library reads, plus
    a timeline so stored reports can be drawn)."""
    comps = components if components is not None else {"pose": overall + 5, "timing": overall - 5,
                                                        "trajectory": overall, "silhouette": None,
                                                        "dynamics": overall - 10}
    return {
        "report_version": 1,
        "teacher": {"file": teacher_file, "sha256": teacher, "fps": 30.0, "duration_s": 10.0, "frames_analyzed": 300,
                    "detected_ratio": 0.95, "active_s": [0.2, 9.8]},
        "student": {"file": student_file, "sha256": student, "fps": 30.0, "duration_s": 9.5, "frames_analyzed": 285,
                    "detected_ratio": 0.9, "active_s": [0.1, 9.4]},
        "sync": {"method": "audio", "offset_s": 0.5, "confidence": 0.9},
        "mirror": False,
        "alignment": {"pairs_s": [[0.2, 0.1], [5.0, 4.6], [9.8, 9.4]], "cost": 0.1, "backend": "exact"},
        "scores": {"overall": overall, "scale": "100 = like the teacher", "components": comps,
                   "joints": joints if joints is not None else {"left_elbow": overall - 20, "right_knee": overall + 10}},
        "timeline": [{"teacher_s": 0.2, "student_s": 0.1, "score": overall},
                     {"teacher_s": 5.0, "student_s": 4.6, "score": overall - 10},
                     {"teacher_s": 9.8, "student_s": 9.4, "score": overall + 5}],
        "beats_s": [],
        "moments": [{"teacher_s": [3.0, 3.5], "student_s": [2.6, 3.1], "kind": "form", "joint": "left_shoulder",
                     "error_deg": -30.0, "late_s": None, "teacher_count": None,
                     "detail": "left arm 30 degrees lower than the teacher"}] * moments,
        "feedback": {"source": "rules", "text": "Raise the left arm."},
    }
