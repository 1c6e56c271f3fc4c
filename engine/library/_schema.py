"""The library's tables (SQLAlchemy Core) and the steps that upgrade an older database.

Schema versions (kept in ``library_meta``, key ``schema_version``):

1. clips (content hash, file name, duration, fps, frames, detected ratio, extractor fingerprint,
   cache file, video path, routine / dancer / style, added at) and comparisons.
2. clips.tags (free tags, comma-separated) and clips.video_owned (the video is a file this
   product stored, an upload or a live recording, so deleting the clip removes it too).

3. owners and shares (sign-in): clip_owners (which users hold a clip: one clip row per content,
   held by everyone who uploaded it), comparisons.owner (who made it; NULL before version 3, so
   seen by admins only) and shares (a teacher's routine shared with a student or everyone).

An upgrade step is a function from version N to N + 1, run inside the opening transaction; a
database of a newer version than `SCHEMA_VERSION` is refused, never touched.

Every read is scoped to a user in `engine.library.repository` (`_clip_visible`,
`_comparison_visible`): the one place the ownership rules live.
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
    UniqueConstraint,
    false,
)

from engine.library.rows import USER_ID_LEN

SCHEMA_VERSION = 3
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
    Column("owner", String(USER_ID_LEN)),           # v3: who made it (NULL: before sign-in; admins only)
)
Index("ix_comparisons_student", comparisons.c.student_id, comparisons.c.created_at)
Index("ix_comparisons_teacher", comparisons.c.teacher_id)
Index("ix_comparisons_created_at", comparisons.c.created_at)
Index("ix_comparisons_owner", comparisons.c.owner)

clip_owners = Table(   # v3
    "clip_owners", metadata,
    Column("clip_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
    Column("owner", String(USER_ID_LEN), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
)
Index("ix_clip_owners_owner", clip_owners.c.owner)

shares = Table(   # v3
    "shares", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(USER_ID_LEN), nullable=False),      # the teacher
    Column("routine", String(LABEL_LEN), nullable=False),      # the teacher's clips with this routine label
    Column("audience", String(USER_ID_LEN), nullable=False),   # a student's user id, or "*" for everyone
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner", "routine", "audience", name="uq_shares"),
)
Index("ix_shares_audience", shares.c.audience)


def _false(conn: Connection) -> str:
    return "0" if conn.dialect.name == "sqlite" else "false"


def _v1_to_v2(conn: Connection) -> None:
    conn.exec_driver_sql(f"ALTER TABLE clips ADD COLUMN tags VARCHAR({TAGS_LEN}) NOT NULL DEFAULT ''")
    conn.exec_driver_sql(f"ALTER TABLE clips ADD COLUMN video_owned BOOLEAN NOT NULL DEFAULT {_false(conn)}")


def _v2_to_v3(conn: Connection) -> None:
    conn.exec_driver_sql(f"ALTER TABLE comparisons ADD COLUMN owner VARCHAR({USER_ID_LEN})")
    for table in (clip_owners, shares):   # with their indexes
        table.create(conn)
    next(i for i in comparisons.indexes if i.name == "ix_comparisons_owner").create(conn)


#: version -> the step that upgrades a database of that version to the next one.
UPGRADES: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}
