"""The library's repository: every read and write of clips and comparisons, in plain values.

`Library` is safe to share between threads (one SQLAlchemy Engine, a connection per call) and
between processes (SQLite in WAL mode with waiting writers, or PostgreSQL). Each public method is
one short transaction. A clip is one row per video content (sha256): recording it again updates
what was measured and keeps its labels; every comparison recorded is a new row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Select, and_, case, delete, func, null, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.core.errors import LibraryError
from engine.library._connect import (
    create_db_engine,
    default_url,
    describe_url,
    initialize,
    library_errors,
    write_transaction,
)
from engine.library._schema import clips, comparisons
from engine.library.rows import (
    LABELS,
    SOURCES,
    ClipFilter,
    ClipInfo,
    ClipRow,
    ComparisonRow,
    DeletedClip,
    as_utc,
    clean_label,
    clean_tags,
)

if TYPE_CHECKING:
    from engine.io.store import CacheEntry

__all__ = [
    "LABELS", "MIN_PREFIX", "SOURCES", "ClipFilter", "ClipInfo", "ClipRow", "ComparisonRow", "DeletedClip",
    "Library", "open_library", "settings_fingerprint",
]

#: The two clips of a comparison, as joined by every comparison query.
_TEACHER, _STUDENT = clips.alias("teacher"), clips.alias("student")
#: A clip may be named by a unique prefix of its sha256 this long or longer.
MIN_PREFIX = 6
#: `list_clips`' default filter: every clip, newest first.
_EVERY_CLIP = ClipFilter()


def _now() -> datetime:
    return datetime.now(UTC)


def _clip_info_from_report_block(block: dict) -> ClipInfo:
    return ClipInfo(sha256=str(block["sha256"]), file_name=str(block.get("file") or block["sha256"][:12]),
                    duration_s=block.get("duration_s"), fps=block.get("fps"))


class Library:
    """The library database at `url` (see `open_library` for the default one).

    Opening it creates missing tables and upgrades an older schema; a damaged database, or one
    of a newer schema, raises `LibraryError` and is left as it was.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = create_db_engine(url)
        try:
            self.found_version = initialize(self._engine, url)
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Library({describe_url(self.url)!r})"

    @property
    def file_gone(self) -> bool:
        """True when this is a SQLite file that was deleted (by hand) since it was opened: its
        pooled connections would go on writing to the deleted file, so open the library again."""
        u = self._engine.url
        return (self.dialect == "sqlite" and bool(u.database) and u.database != ":memory:"
                and not Path(u.database).is_file())

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the one place rows are scoped (a later sign-in adds `owner == user` here) -----------

    def _scoped(self, stmt: Select) -> Select:
        """Every read of clips and comparisons goes through here; today everyone sees everything."""
        return stmt

    # --- writes -------------------------------------------------------------------------

    def _upsert_clip(self, conn, info: ClipInfo) -> int:
        values = {
            "sha256": info.sha256, "file_name": info.file_name, "duration_s": info.duration_s, "fps": info.fps,
            "frames": info.frames, "detected_ratio": info.detected_ratio,
            "extractor_fingerprint": info.extractor_fingerprint, "cache_file": info.cache_file,
            "video_path": info.video_path, "video_owned": bool(info.video_owned), "added_at": info.added_at or _now(),
        }
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(clips).values(**values)
        new = ins.excluded
        # Measured facts are refreshed when given; labels, the first file name and the date stay.
        refreshed = {k: func.coalesce(getattr(new, k), getattr(clips.c, k))
                     for k in ("duration_s", "fps", "frames", "detected_ratio", "extractor_fingerprint", "cache_file")}
        # A video path is replaced only by one that is given; ownership travels with it.
        refreshed["video_owned"] = case((new.video_path.is_not(None), new.video_owned), else_=clips.c.video_owned)
        refreshed["video_path"] = func.coalesce(new.video_path, clips.c.video_path)
        stmt = ins.on_conflict_do_update(index_elements=[clips.c.sha256], set_=refreshed).returning(clips.c.id)
        return int(conn.execute(stmt).scalar_one())

    def record_clip(self, info: ClipInfo) -> int:
        """Add a clip or refresh its row (labels are kept); returns its id."""
        with library_errors(self.url, "recording a clip"), write_transaction(self._engine) as conn:
            return self._upsert_clip(conn, info)

    def record_comparison(self, report: dict, *, source: str, settings_fingerprint: str | None = None,
                          clips_info: Sequence[ClipInfo] = ()) -> int:
        """Add one comparison (a new row every time) from its report JSON; returns its id.

        Parameters
        ----------
        report : the report dictionary (report_version 1, DESIGN.md)
        source : "upload" (the Compare page), "live" (Live practice) or "cli"
        settings_fingerprint : what the alignment and score settings were (`settings_fingerprint`)
        clips_info : what is known of the two clips (cache files, videos); clips missing from the
            library are added from the report's teacher / student blocks otherwise
        """
        if source not in SOURCES:
            raise LibraryError(f"unknown comparison source {source!r}; one of {', '.join(SOURCES)}")
        try:
            blocks = {who: report[who] for who in ("teacher", "student")}
            scores = report["scores"]
            overall = float(scores["overall"])
        except (KeyError, TypeError, ValueError) as exc:
            raise LibraryError(f"not a comparison report (missing {exc})") from exc
        given = {c.sha256: c for c in clips_info}
        text = json.dumps(report, allow_nan=False, separators=(",", ":"))
        sync = report.get("sync") or {}
        with library_errors(self.url, "recording a comparison"), write_transaction(self._engine) as conn:
            ids = {who: self._upsert_clip(conn, given.get(b["sha256"]) or _clip_info_from_report_block(b))
                   for who, b in blocks.items()}
            row = conn.execute(comparisons.insert().values(
                teacher_id=ids["teacher"], student_id=ids["student"], settings_fingerprint=settings_fingerprint,
                overall=overall, components=dict(scores.get("components") or {}),
                joints=dict(scores.get("joints") or {}), sync_method=sync.get("method"),
                sync_offset_s=sync.get("offset_s"), mirror=report.get("mirror"),
                moments_count=len(report.get("moments") or []), report=text, created_at=_now(), source=source,
            ).returning(comparisons.c.id))
            return int(row.scalar_one())

    def set_labels(self, sha256: str, **labels: str | Iterable[str] | None) -> ClipRow:
        """Set some of a clip's labels (routine, dancer, style, tags); an empty value clears one.

        Only the labels given change. Returns the updated clip.
        """
        unknown = set(labels) - {*LABELS, "tags"}
        if unknown:
            raise LibraryError(f"unknown labels {sorted(unknown)}; known: {', '.join((*LABELS, 'tags'))}")
        values: dict[str, Any] = {k: clean_label(v) for k, v in labels.items() if k in LABELS}
        if "tags" in labels:
            values["tags"] = clean_tags(labels["tags"])
        clip = self.find_clip(sha256)
        if values:
            with library_errors(self.url, "saving labels"), write_transaction(self._engine) as conn:
                conn.execute(update(clips).where(clips.c.id == clip.id).values(**values))
        return self.find_clip(clip.sha256)

    def delete_clip(self, sha256: str) -> DeletedClip:
        """Delete a clip for good: its comparisons' rows, its pose cache files, the video when this
        product stored it (an upload or a recording; never a file named on the command line), and
        its row. Nothing else."""
        clip = self.find_clip(sha256)
        files: list[Path] = []
        if clip.cache_file:
            cache = Path(clip.cache_file)
            files += [cache, *(p for p in cache.parent.glob(f"{clip.sha256}-*.h5") if p != cache)]
        if clip.video_owned and clip.video_path:
            files.append(Path(clip.video_path))
        removed: list[str] = []
        with library_errors(self.url, "deleting a clip"), write_transaction(self._engine) as conn:
            gone = conn.execute(delete(comparisons).where(
                or_(comparisons.c.teacher_id == clip.id, comparisons.c.student_id == clip.id))).rowcount
            conn.execute(delete(clips).where(clips.c.id == clip.id))
            for p in files:   # inside the transaction: a file that cannot go keeps the rows too
                try:
                    if p.is_file():
                        p.unlink()
                        removed.append(str(p))
                except OSError as exc:
                    raise LibraryError(f"Could not delete {p}: {exc}. Nothing was deleted from the library.") from exc
        return DeletedClip(sha256=clip.sha256, file_name=clip.file_name, comparisons=int(gone), files=tuple(removed))

    def import_cache(self, entries: Iterable[CacheEntry]) -> int:
        """Add the pose cache files (`engine.io.store.list_entries`) of clips the library does not
        know yet (after the database was deleted by hand); returns how many were added."""
        known = {row.sha256 for row in self.list_clips()}
        added = 0
        for e in entries:
            if e.sha256 in known:
                continue
            self.record_clip(ClipInfo(sha256=e.sha256, file_name=e.file, duration_s=e.duration_s, frames=e.n_frames,
                                      extractor_fingerprint=e.fingerprint, cache_file=str(Path(e.path).resolve()),
                                      added_at=datetime.fromtimestamp(e.created, UTC)))
            known.add(e.sha256)
            added += 1
        return added

    # --- reads --------------------------------------------------------------------------

    def _clip_select(self) -> Select:
        uses = union_all(select(comparisons.c.teacher_id.label("clip_id")),
                         select(comparisons.c.student_id.label("clip_id"))).subquery()
        counts = select(uses.c.clip_id, func.count().label("n")).group_by(uses.c.clip_id).subquery()
        return self._scoped(select(clips, func.coalesce(counts.c.n, 0).label("comparisons"))
                            .outerjoin(counts, counts.c.clip_id == clips.c.id))

    @staticmethod
    def _clip_row(r) -> ClipRow:
        m = dict(r._mapping)
        m["added_at"] = as_utc(m["added_at"])
        m["video_owned"] = bool(m["video_owned"])
        return ClipRow(**m)

    def list_clips(self, filt: ClipFilter = _EVERY_CLIP) -> list[ClipRow]:
        """The clips matching `filt`, by date added."""
        stmt = self._clip_select()
        for label in LABELS:
            value = getattr(filt, label)
            if value is not None:
                stmt = stmt.where(getattr(clips.c, label) == value)
        if filt.text:
            pattern = f"%{filt.text.strip()}%"
            stmt = stmt.where(or_(*(c.ilike(pattern) for c in (clips.c.file_name, clips.c.routine, clips.c.dancer,
                                                                  clips.c.style, clips.c.tags, clips.c.sha256))))
        order = clips.c.added_at.desc() if filt.newest_first else clips.c.added_at.asc()
        stmt = stmt.order_by(order, clips.c.id.desc() if filt.newest_first else clips.c.id.asc())
        if filt.limit is not None:
            stmt = stmt.limit(filt.limit)
        with library_errors(self.url, "listing clips"), self._engine.connect() as conn:
            return [self._clip_row(r) for r in conn.execute(stmt)]

    def find_clip(self, sha256: str) -> ClipRow:
        """The clip with this sha256, or a unique prefix of it (at least `MIN_PREFIX` characters)."""
        key = (sha256 or "").strip().lower()
        if len(key) < MIN_PREFIX or any(ch not in "0123456789abcdef" for ch in key):
            raise LibraryError(f"{sha256!r} is not a clip's sha256 (give at least {MIN_PREFIX} hex digits; "
                               "`library list` shows them)")
        cond = clips.c.sha256 == key if len(key) == 64 else clips.c.sha256.like(f"{key}%")
        with library_errors(self.url, "finding a clip"), self._engine.connect() as conn:
            rows = [self._clip_row(r) for r in conn.execute(self._clip_select().where(cond).limit(2))]
        if not rows:
            raise LibraryError(f"no clip {key} in the library (`library list` shows them)")
        if len(rows) > 1:
            raise LibraryError(f"{key} names more than one clip; give more of its sha256")
        return rows[0]

    def label_values(self) -> dict[str, list[str]]:
        """label -> its distinct values in use, sorted (for the filters)."""
        out: dict[str, list[str]] = {}
        with library_errors(self.url, "listing labels"), self._engine.connect() as conn:
            for label in LABELS:
                col = getattr(clips.c, label)
                stmt = self._scoped(select(col).where(col.is_not(None)).distinct()).order_by(col)
                out[label] = [v for (v,) in conn.execute(stmt)]
        return out

    def _comparison_select(self, *, scores: bool = True) -> Select:
        t, s = _TEACHER, _STUDENT
        c = comparisons.c
        # Columns in ComparisonRow's field order (rows are built positionally: 5,000 rows a page).
        components, joints = (c.components, c.joints) if scores else (null(), null())
        return self._scoped(
            select(c.id, c.created_at, c.source, t.c.sha256, t.c.file_name, s.c.sha256, s.c.file_name, s.c.routine,
                   s.c.dancer, c.overall, components, joints, c.sync_method, c.sync_offset_s, c.mirror,
                   c.moments_count, c.settings_fingerprint)
            .join(t, t.c.id == c.teacher_id).join(s, s.c.id == c.student_id))

    @staticmethod
    def _comparison_row(r) -> ComparisonRow:
        v = list(r)
        v[1] = as_utc(v[1])
        v[10] = v[10] if v[10] is not None else {}
        v[11] = v[11] if v[11] is not None else {}
        v[14] = None if v[14] is None else bool(v[14])
        return ComparisonRow(*v)

    def list_comparisons(self, *, sha256: str | None = None, limit: int | None = None,
                         scores: bool = True) -> list[ComparisonRow]:
        """Recorded comparisons, newest first; with `sha256`, those the clip is part of.

        ``scores=False`` leaves each row's `components` and `joints` empty (for long tables that
        show the overall score only: they are most of the time spent).
        """
        stmt = self._comparison_select(scores=scores)
        if sha256 is not None:
            clip = self.find_clip(sha256)
            stmt = stmt.where(or_(comparisons.c.teacher_id == clip.id, comparisons.c.student_id == clip.id))
        stmt = stmt.order_by(comparisons.c.created_at.desc(), comparisons.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with library_errors(self.url, "listing comparisons"), self._engine.connect() as conn:
            return [self._comparison_row(r) for r in conn.execute(stmt).all()]

    def history(self, routine: str, dancer: str) -> list[ComparisonRow]:
        """The attempts of `dancer` at `routine` (comparisons whose student clip carries both
        labels), oldest first."""
        stmt = (self._comparison_select()
                .where(and_(_STUDENT.c.routine == clean_label(routine), _STUDENT.c.dancer == clean_label(dancer)))
                .order_by(comparisons.c.created_at.asc(), comparisons.c.id.asc()))
        with library_errors(self.url, "reading the history"), self._engine.connect() as conn:
            return [self._comparison_row(r) for r in conn.execute(stmt)]

    def get_report(self, comparison_id: int) -> dict:
        """The report JSON of a recorded comparison, as it was when recorded."""
        stmt = self._scoped(select(comparisons.c.report).where(comparisons.c.id == int(comparison_id)))
        with library_errors(self.url, "reading a report"), self._engine.connect() as conn:
            text = conn.execute(stmt).scalar_one_or_none()
        if text is None:
            raise LibraryError(f"no comparison {comparison_id} in the library")
        return json.loads(text)

    def counts(self) -> tuple[int, int]:
        """(clips, comparisons) in the library."""
        with library_errors(self.url, "counting"), self._engine.connect() as conn:
            n_clips = conn.execute(self._scoped(select(func.count()).select_from(clips))).scalar_one()
            n_cmp = conn.execute(self._scoped(select(func.count()).select_from(comparisons))).scalar_one()
        return int(n_clips), int(n_cmp)


def open_library(cache_dir: str | Path, url: str | None = None) -> Library:
    """The library: `url`, else ``$DANCE_DB_URL``, else ``<cache_dir>/library.db`` (SQLite)."""
    return Library(url or default_url(cache_dir))


def settings_fingerprint(*settings: object) -> str:
    """A short hash of settings dataclasses (alignment, scoring), for comparisons' rows."""
    import hashlib
    from dataclasses import asdict, is_dataclass

    blob = json.dumps([asdict(s) if is_dataclass(s) else s for s in settings], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
