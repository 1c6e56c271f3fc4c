"""Opening the library database: which one, how to talk to it, and bringing its schema up to date.

SQLite (the default, a file in the cache folder) runs in WAL mode, so readers never wait for a
writer; writers take the write lock when their transaction begins (``BEGIN IMMEDIATE``) and wait
up to `BUSY_TIMEOUT_S` for another writer instead of failing. PostgreSQL needs nothing special
(``postgresql://`` URLs are given the psycopg 3 driver).

A database is checked when opened: missing tables are created, an older schema is upgraded step
by step (`_schema.UPGRADES`), and a file that is not a database, holds foreign tables of our names,
or is of a newer schema raises `LibraryError` and is left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, SQLAlchemyError

from engine.core.errors import LibraryError
from engine.library._schema import SCHEMA_VERSION, UPGRADES, meta, metadata

#: Environment variable with any SQLAlchemy URL; unset: SQLite in the cache folder.
ENV_DB_URL = "DANCE_DB_URL"
DB_FILE_NAME = "library.db"
#: How long a writer waits for another one before giving up, seconds.
BUSY_TIMEOUT_S = 30.0
#: Execution option that marks a connection as about to write (SQLite: BEGIN IMMEDIATE).
WRITE = "dance_library_write"
#: PostgreSQL advisory lock key held while a process creates or upgrades the schema.
_PG_SCHEMA_LOCK = 0x44414E4345   # "DANCE"


def default_url(cache_dir: str | Path) -> str:
    """``$DANCE_DB_URL`` when set, else a SQLite file ``library.db`` in `cache_dir`."""
    url = os.environ.get(ENV_DB_URL, "").strip()
    if url:
        return url
    return f"sqlite:///{Path(cache_dir).resolve() / DB_FILE_NAME}"


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid URL)"


def create_db_engine(url: str) -> Engine:
    """A SQLAlchemy Engine for `url`, set up for several threads and processes at once."""
    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise LibraryError(f"{ENV_DB_URL} is not a database URL ({exc}); e.g. sqlite:////path/library.db or "
                           "postgresql://user:password@host/dbname.") from exc
    backend = u.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(u)
        if backend == "postgresql":
            if u.drivername == "postgresql":
                u = u.set(drivername="postgresql+psycopg")
            return create_engine(u, pool_pre_ping=True)
        return create_engine(u)
    except (NoSuchModuleError, ImportError) as exc:
        raise LibraryError(f"No driver for the library database {describe_url(url)} ({exc}).") from exc


def _sqlite_engine(u) -> Engine:
    if u.database and u.database != ":memory:":
        folder = Path(u.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"Cannot create the folder of the library database {folder}: {exc}") from exc
    engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" below emit BEGIN itself (pysqlite would defer it, and a
        # deferred transaction that later writes can fail at once instead of waiting).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        _set_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")   # safe with WAL: a power cut loses at most the last commits
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def _set_wal(cur) -> None:
    """Switch the file to WAL mode (persistent, so only the first connection to a new file changes it).

    SQLite answers "database is locked" at once, without its busy handler, when two connections
    switch a new file's journal mode together; retried here for up to `BUSY_TIMEOUT_S`.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


@contextmanager
def library_errors(url: str, doing: str) -> Iterator[None]:
    """Turn database failures into a `LibraryError` that names the database (never its password)."""
    try:
        yield
    except LibraryError:
        raise
    except DatabaseError as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if "not a database" in detail or "malformed" in detail:
            raise LibraryError(f"The library database {describe_url(url)} is damaged or not a database ({detail}). "
                               f"It was left as it is: move it away (a new, empty library is then created) or set "
                               f"{ENV_DB_URL} to another database.") from exc
        raise LibraryError(f"The library database {describe_url(url)} failed while {doing}: {detail}") from exc
    except SQLAlchemyError as exc:
        raise LibraryError(f"The library database {describe_url(url)} failed while {doing}: {exc}") from exc


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write (SQLite: takes the write lock up front)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


def initialize(engine: Engine, url: str) -> int:
    """Create the tables of an empty database, or upgrade an older one; returns the version found.

    Raises
    ------
    LibraryError
        The database is damaged, of a newer schema, or holds tables of our names but is not a
        library. Nothing is written to it then.
    """
    with library_errors(url, "opening it"), write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":   # two processes opening a new database at once
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_SCHEMA_LOCK})")
        tables = set(inspect(conn).get_table_names())
        if meta.name not in tables:
            ours = tables & {t.name for t in metadata.sorted_tables}
            if ours:
                raise LibraryError(f"{describe_url(url)} has tables named {', '.join(sorted(ours))} but is not a dance "
                                   f"library (no {meta.name} table); it was left as it is. Set {ENV_DB_URL} to "
                                   "another database.")
            metadata.create_all(conn)
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            return SCHEMA_VERSION
        found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one_or_none()
        try:
            version = int(found)
        except (TypeError, ValueError):
            raise LibraryError(f"The library database {describe_url(url)} has no readable schema version "
                               f"({found!r}); it was left as it is.") from None
        if version > SCHEMA_VERSION:
            raise LibraryError(f"The library database {describe_url(url)} was written by a newer version of this "
                               f"program (schema {version}; this one reads up to {SCHEMA_VERSION}). It was left as it "
                               f"is: update the program, or set {ENV_DB_URL} to another database.")
        for v in range(version, SCHEMA_VERSION):
            UPGRADES[v](conn)
        if version != SCHEMA_VERSION:
            conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
        return version
