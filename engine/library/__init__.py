"""The library: every clip and comparison remembered in a database (SQLAlchemy 2).

SQLite in the cache folder by default (``<cache>/library.db``, WAL mode); any SQLAlchemy URL in
``DANCE_DB_URL`` instead (PostgreSQL via psycopg 3 for hosted use). Takes and returns plain
values: no analysis or presentation objects cross this boundary (it sits beside
`engine.analysis`, below `engine.present`).

    lib = open_library(cache_dir)                    # as the machine's administrator (LOCAL_ADMIN)
    lib = lib.as_user(User("ana@studio.example", "student"))   # what Ana may see and do
    lib.record_comparison(report, source="cli", clips_info=[ClipInfo.from_performance(...)])
    lib.list_clips(ClipFilter(routine="Salsa 1")); lib.history("Salsa 1", "Ana")
"""

from engine.library._connect import DB_FILE_NAME, ENV_DB_URL, default_url, describe_url
from engine.library._schema import SCHEMA_VERSION
from engine.library.repository import Library, open_library, settings_fingerprint
from engine.library.rows import (
    EVERYONE,
    LABELS,
    LOCAL_ADMIN,
    SOURCES,
    USER_ROLES,
    ClipFilter,
    ClipInfo,
    ClipRow,
    ComparisonRow,
    DeletedClip,
    Share,
    User,
)

__all__ = [
    "DB_FILE_NAME", "ENV_DB_URL", "EVERYONE", "LABELS", "LOCAL_ADMIN", "SCHEMA_VERSION", "SOURCES", "USER_ROLES",
    "ClipFilter", "ClipInfo", "ClipRow", "ComparisonRow", "DeletedClip", "Library", "Share", "User", "default_url",
    "describe_url", "open_library", "settings_fingerprint",
]
