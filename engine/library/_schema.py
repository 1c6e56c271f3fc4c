"""The library's tables (SQLAlchemy Core) and the steps that upgrade an older database.

Schema versions (kept in ``library_meta``, key ``schema_version``):

1. clips (content hash, file name, duration, fps, frames, detected ratio, extractor fingerprint,
   cache file, video path, routine / dancer / style, added at) and comparisons.
2. clips.tags (free tags, comma-separated) and clips.video_owned (the video is a file this
   product stored, an upload or a live recording, so deleting the clip removes it too).

An upgrade step is a function from version N to N + 1, run inside the opening transaction; a
database of a newer version than `SCHEMA_VERSION` is refused, never touched.

Every table that a later sign-in issue will give an ``owner`` is read through
`engine.library.repository.Library._scoped`, the one place such a filter will go.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

SCHEMA_VERSION = 2
#: Text lengths (PostgreSQL enforces them; SQLite does not).
NAME_LEN, PATH_LEN, LABEL_LEN, TAGS_LEN = 500, 1000, 200, 1000

metadata = MetaData()

meta = Table(
    "library_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

clips = Table(
    "clips", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("file_name", String(NAME_LEN), nullable=False),        # as uploaded (display only)
    Column("duration_s", Float),
    Column("fps", Float),                                         # analysis frame rate
    Column("frames", Integer),                                    # analysed frames
    Column("detected_ratio", Float),                              # 0..1
    Column("extractor_fingerprint", String(64)),
    Column("cache_file", String(PATH_LEN)),                       # the HDF5 pose cache file
    Column("video_path", String(PATH_LEN)),                       # where the video was last seen
    Column("video_owned", Boolean, nullable=False, server_default=false()),   # v2
    Column("routine", String(LABEL_LEN)),
    Column("dancer", String(LABEL_LEN)),
    Column("style", String(LABEL_LEN)),
    Column("tags", String(TAGS_LEN), nullable=False, server_default=""),        # v2
    Column("added_at", DateTime(timezone=True), nullable=False),
)
Index("ix_clips_added_at", clips.c.added_at)
Index("ix_clips_routine_dancer", clips.c.routine, clips.c.dancer)

comparisons = Table(
    "comparisons", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("teacher_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
    Column("student_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
    Column("settings_fingerprint", String(64)),
    Column("overall", Float, nullable=False),
    Column("components", JSON, nullable=False),     # component -> 0..100 or null
    Column("joints", JSON, nullable=False),         # student's joint -> 0..100
    Column("sync_method", String(16)),
    Column("sync_offset_s", Float),
    Column("mirror", Boolean),
    Column("moments_count", Integer),
    Column("report", Text, nullable=False),         # the report JSON (report_version 1), as written
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),   # upload | live | cli
)
Index("ix_comparisons_student", comparisons.c.student_id, comparisons.c.created_at)
Index("ix_comparisons_teacher", comparisons.c.teacher_id)
Index("ix_comparisons_created_at", comparisons.c.created_at)


def _false(conn: Connection) -> str:
    return "0" if conn.dialect.name == "sqlite" else "false"


def _v1_to_v2(conn: Connection) -> None:
    conn.exec_driver_sql(f"ALTER TABLE clips ADD COLUMN tags VARCHAR({TAGS_LEN}) NOT NULL DEFAULT ''")
    conn.exec_driver_sql(f"ALTER TABLE clips ADD COLUMN video_owned BOOLEAN NOT NULL DEFAULT {_false(conn)}")


#: version -> the step that upgrades a database of that version to the next one.
UPGRADES: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2}
