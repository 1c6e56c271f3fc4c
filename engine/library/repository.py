"""The library's repository: every read and write of clips and comparisons, in plain values.

`Library` is safe to share between threads (one SQLAlchemy Engine, a connection per call) and
between processes (SQLite in WAL mode with waiting writers, or PostgreSQL). Each public method is
one short transaction. A clip is one row per video content (sha256): recording it again updates
what was measured and keeps its labels; every comparison recorded is a new row.

Every query is for one `User` (``Library(url, user=...)``, ``lib.as_user(other)``): an admin sees
everything; anyone else sees the clips they hold (uploaded or recorded), the clips of routines a
teacher shared with them, the comparisons they made, and (a teacher) the comparisons others made
against the clips of a routine the teacher shared with them. A clip or comparison a user may not
see is answered exactly like one that does not exist. Stored videos and pose files are reached by
hash through `video_file` / `pose_file`, under the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    null,
    or_,
    select,
    true,
    union,
    union_all,
    update,
)

from engine.core.errors import LibraryError
from engine.library._connect import (
    create_db_engine,
    default_url,
    describe_url,
    initialize,
    library_errors,
    write_transaction,
)
from engine.library._schema import clip_owners, clips, comparisons, shares
from engine.library.rows import (
    EVERYONE,
    LABELS,
    LOCAL_ADMIN,
    SOURCES,
    ClipFilter,
    ClipInfo,
    ClipRow,
    ComparisonRow,
    DeletedClip,
    Share,
    User,
    as_utc,
    clean_label,
    clean_tags,
)

if TYPE_CHECKING:
    from engine.io.store import CacheEntry

__all__ = [
    "LABELS", "MIN_PREFIX", "SOURCES", "ClipFilter", "ClipInfo", "ClipRow", "ComparisonRow", "DeletedClip",
    "Library", "Share", "User", "open_library", "settings_fingerprint",
]

#: The two clips of a comparison, as joined by every comparison query.
_TEACHER, _STUDENT = clips.alias("teacher"), clips.alias("student")
#: A shared clip and its holders, inside the visibility subqueries (never the outer query's tables).
_SHARED_CLIP, _HOLDER = clips.alias("shared_clip"), clip_owners.alias("holder")
#: A clip may be named by a unique prefix of its sha256 this long or longer.
MIN_PREFIX = 6
#: `list_clips`' default filter: every clip, newest first.
_EVERY_CLIP = ClipFilter()


def _upsert_insert(conn):
    """The dialect's INSERT with ON CONFLICT (PostgreSQL or SQLite), imported on first use: the
    PostgreSQL dialect alone costs ~0.08 s to import, which every CLI comparison would pay."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _now() -> datetime:
    return datetime.now(UTC)


def _clip_info_from_report_block(block: dict) -> ClipInfo:
    return ClipInfo(sha256=str(block["sha256"]), file_name=str(block.get("file") or block["sha256"][:12]),
                    duration_s=block.get("duration_s"), fps=block.get("fps"))


class Library:
    """The library database at `url` as `user` sees it (see `open_library` for the default one).

    Opening it creates missing tables and upgrades an older schema; a damaged database, or one
    of a newer schema, raises `LibraryError` and is left as it was. `as_user` gives the same
    database (the same connections) as another user sees it.
    """

    def __init__(self, url: str, *, user: User) -> None:
        if not isinstance(user, User):
            raise TypeError(f"user must be an engine.library.User, got {type(user).__name__}")
        self.url = url
        self.user = user
        self._engine = create_db_engine(url)
        self._owns_engine = True
        try:
            self.found_version = initialize(self._engine, url)
        except BaseException:
            self._engine.dispose()
            raise

    def as_user(self, user: User) -> Library:
        """This library as `user` sees it (shares the connections; closing it closes nothing)."""
        if not isinstance(user, User):
            raise TypeError(f"user must be an engine.library.User, got {type(user).__name__}")
        view = object.__new__(Library)
        view.__dict__.update(self.__dict__)
        view.user, view._owns_engine = user, False
        return view

    def __repr__(self) -> str:
        return f"Library({describe_url(self.url)!r}, user={self.user.id!r})"

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
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the one place rows are scoped: who sees which clip and comparison ---------------------

    def _clip_visible(self) -> ColumnElement[bool]:
        """A condition on `clips`: the clips this user holds, or that a teacher shared with them."""
        u = self.user
        if u.is_admin:
            return true()
        held = select(clip_owners.c.clip_id).where(clip_owners.c.owner == u.id)
        shared = (select(_HOLDER.c.clip_id)
                  .join(_SHARED_CLIP, _SHARED_CLIP.c.id == _HOLDER.c.clip_id)
                  .join(shares, and_(shares.c.owner == _HOLDER.c.owner, shares.c.routine == _SHARED_CLIP.c.routine))
                  .where(shares.c.audience.in_((u.id, EVERYONE))))
        return clips.c.id.in_(union(held, shared))

    def _comparison_visible(self) -> ColumnElement[bool]:
        """A condition on `comparisons`: the user's own; for a teacher also those made against a
        clip of theirs whose routine they shared with the comparison's maker (or everyone)."""
        u = self.user
        if u.is_admin:
            return true()
        own = comparisons.c.owner == u.id
        if not u.is_teacher:
            return own
        taught = exists(
            select(_HOLDER.c.clip_id)
            .join(_SHARED_CLIP, _SHARED_CLIP.c.id == _HOLDER.c.clip_id)
            .join(shares, and_(shares.c.owner == _HOLDER.c.owner, shares.c.routine == _SHARED_CLIP.c.routine))
            .where(_HOLDER.c.clip_id == comparisons.c.teacher_id, _HOLDER.c.owner == u.id,
                   or_(shares.c.audience == EVERYONE, shares.c.audience == comparisons.c.owner)))
        return or_(own, taught)

    def _hold(self, conn, clip_id: int) -> None:
        """Record that this user holds the clip (uploaded, recorded or extracted it)."""
        ins = _upsert_insert(conn)(clip_owners).values(
            clip_id=clip_id, owner=self.user.id, added_at=_now())
        conn.execute(ins.on_conflict_do_nothing(index_elements=[clip_owners.c.clip_id, clip_owners.c.owner]))

    def _sees_clip(self, conn, clip_id: int) -> bool:
        return conn.execute(select(clips.c.id).where(clips.c.id == clip_id, self._clip_visible())).first() is not None

    # --- writes -------------------------------------------------------------------------

    def _upsert_clip(self, conn, info: ClipInfo) -> int:
        values = {
            "sha256": info.sha256, "file_name": info.file_name, "duration_s": info.duration_s, "fps": info.fps,
            "frames": info.frames, "detected_ratio": info.detected_ratio,
            "extractor_fingerprint": info.extractor_fingerprint, "cache_file": info.cache_file,
            "video_path": info.video_path, "video_owned": bool(info.video_owned), "added_at": info.added_at or _now(),
        }
        ins = _upsert_insert(conn)(clips).values(**values)
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
        """Add a clip or refresh its row (labels are kept), held by this user; returns its id."""
        with library_errors(self.url, "recording a clip"), write_transaction(self._engine) as conn:
            clip_id = self._upsert_clip(conn, info)
            self._hold(conn, clip_id)
            return clip_id

    def record_comparison(self, report: dict, *, source: str, settings_fingerprint: str | None = None,
                          clips_info: Sequence[ClipInfo] = ()) -> int:
        """Add one comparison (a new row every time), made by this user, from its report JSON;
        returns its id. The user holds the student clip from then on, and the teacher clip unless
        they could already see it (a clip shared with them stays its teacher's).

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
            seen_before = {b["sha256"]: self._sees_sha(conn, b["sha256"]) for b in blocks.values()}
            ids = {who: self._upsert_clip(conn, given.get(b["sha256"]) or _clip_info_from_report_block(b))
                   for who, b in blocks.items()}
            self._hold(conn, ids["student"])
            if not seen_before[blocks["teacher"]["sha256"]]:
                self._hold(conn, ids["teacher"])
            row = conn.execute(comparisons.insert().values(
                teacher_id=ids["teacher"], student_id=ids["student"], settings_fingerprint=settings_fingerprint,
                overall=overall, components=dict(scores.get("components") or {}),
                joints=dict(scores.get("joints") or {}), sync_method=sync.get("method"),
                sync_offset_s=sync.get("offset_s"), mirror=report.get("mirror"),
                moments_count=len(report.get("moments") or []), report=text, created_at=_now(), source=source,
                owner=self.user.id,
            ).returning(comparisons.c.id))
            return int(row.scalar_one())

    def _sees_sha(self, conn, sha256: str) -> bool:
        stmt = select(clips.c.id).where(clips.c.sha256 == sha256, self._clip_visible())
        return conn.execute(stmt).first() is not None

    def _holders(self, conn, clip_id: int) -> list[str]:
        return list(conn.execute(select(clip_owners.c.owner).where(clip_owners.c.clip_id == clip_id)).scalars())

    def _require_holder(self, clip: ClipRow, doing: str) -> list[str]:
        """The clip's holders; raises LibraryError unless this user is one of them (or an admin)."""
        with library_errors(self.url, doing), self._engine.connect() as conn:
            holders = self._holders(conn, clip.id)
        if not self.user.is_admin and self.user.id not in holders:
            raise LibraryError(f"{clip.file_name} was shared with you by its teacher: only its owner can change "
                               "or delete it.")
        return holders

    def set_labels(self, sha256: str, **labels: str | Iterable[str] | None) -> ClipRow:
        """Set some of a clip's labels (routine, dancer, style, tags); an empty value clears one.

        Only the labels given change; only a holder of the clip (or an admin) may change them.
        Returns the updated clip.
        """
        unknown = set(labels) - {*LABELS, "tags"}
        if unknown:
            raise LibraryError(f"unknown labels {sorted(unknown)}; known: {', '.join((*LABELS, 'tags'))}")
        values: dict[str, Any] = {k: clean_label(v) for k, v in labels.items() if k in LABELS}
        if "tags" in labels:
            values["tags"] = clean_tags(labels["tags"])
        clip = self.find_clip(sha256)
        self._require_holder(clip, "saving labels")
        if values:
            with library_errors(self.url, "saving labels"), write_transaction(self._engine) as conn:
                conn.execute(update(clips).where(clips.c.id == clip.id).values(**values))
        return self.find_clip(clip.sha256)

    def delete_clip(self, sha256: str) -> DeletedClip:
        """Delete a clip for good: its comparisons' rows, its pose cache files, the video when this
        product stored it (an upload or a recording; never a file named on the command line), and
        its row. Nothing else.

        A user who is not an admin may delete only a clip they hold; while other users still hold
        it, only this user's hold and their own comparisons with it go (``for_good=False``).
        """
        clip = self.find_clip(sha256)
        holders = self._require_holder(clip, "deleting a clip")
        if not self.user.is_admin and set(holders) - {self.user.id}:
            with library_errors(self.url, "deleting a clip"), write_transaction(self._engine) as conn:
                gone = conn.execute(delete(comparisons).where(
                    comparisons.c.owner == self.user.id,
                    or_(comparisons.c.teacher_id == clip.id, comparisons.c.student_id == clip.id))).rowcount
                conn.execute(delete(clip_owners).where(clip_owners.c.clip_id == clip.id,
                                                       clip_owners.c.owner == self.user.id))
            return DeletedClip(sha256=clip.sha256, file_name=clip.file_name, comparisons=int(gone), files=(),
                               for_good=False)
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
            conn.execute(delete(clip_owners).where(clip_owners.c.clip_id == clip.id))
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
        know yet (after the database was deleted by hand); returns how many were added. Admins only:
        the clips added are held by the admin, so nobody else sees them."""
        if not self.user.is_admin:
            raise LibraryError("Only the administrator can rescan the cache folder.")
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
        seen = self._comparison_visible()   # a clip's count is of the comparisons this user may see
        uses = union_all(select(comparisons.c.teacher_id.label("clip_id")).where(seen),
                         select(comparisons.c.student_id.label("clip_id")).where(seen)).subquery()
        counts = select(uses.c.clip_id, func.count().label("n")).group_by(uses.c.clip_id).subquery()
        return (select(clips, func.coalesce(counts.c.n, 0).label("comparisons"))
                .outerjoin(counts, counts.c.clip_id == clips.c.id).where(self._clip_visible()))

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
        """The clip with this sha256, or a unique prefix of it (at least `MIN_PREFIX` characters),
        among the clips this user may see (another's is "no clip", as if it did not exist)."""
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
                stmt = select(col).where(col.is_not(None), self._clip_visible()).distinct().order_by(col)
                out[label] = [v for (v,) in conn.execute(stmt)]
        return out

    def _comparison_select(self, *, scores: bool = True) -> Select:
        t, s = _TEACHER, _STUDENT
        c = comparisons.c
        # Columns in ComparisonRow's field order (rows are built positionally: 5,000 rows a page).
        components, joints = (c.components, c.joints) if scores else (null(), null())
        return (select(c.id, c.created_at, c.source, t.c.sha256, t.c.file_name, s.c.sha256, s.c.file_name,
                       s.c.routine, s.c.dancer, c.overall, components, joints, c.sync_method, c.sync_offset_s,
                       c.mirror, c.moments_count, c.settings_fingerprint, c.owner)
                .join(t, t.c.id == c.teacher_id).join(s, s.c.id == c.student_id).where(self._comparison_visible()))

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
        """The report JSON of a recorded comparison, as it was when recorded (one this user may see)."""
        try:
            cid = int(comparison_id)
        except (TypeError, ValueError):
            raise LibraryError(f"{comparison_id!r} is not a comparison id (a whole number)") from None
        stmt = select(comparisons.c.report).where(comparisons.c.id == cid, self._comparison_visible())
        with library_errors(self.url, "reading a report"), self._engine.connect() as conn:
            text = conn.execute(stmt).scalar_one_or_none()
        if text is None:
            raise LibraryError(f"no comparison {comparison_id} in the library")
        return json.loads(text)

    def counts(self) -> tuple[int, int]:
        """(clips, comparisons) in the library that this user may see."""
        with library_errors(self.url, "counting"), self._engine.connect() as conn:
            n_clips = conn.execute(select(func.count()).select_from(clips).where(self._clip_visible())).scalar_one()
            n_cmp = conn.execute(select(func.count()).select_from(comparisons)
                                 .where(self._comparison_visible())).scalar_one()
        return int(n_clips), int(n_cmp)

    # --- files, by hash only ------------------------------------------------------------------

    def video_file(self, sha256: str) -> Path:
        """The stored video of a clip this user may see. Raises LibraryError (the same "no clip"
        as for a clip that does not exist) otherwise, or when the video is no longer stored."""
        clip = self.find_clip(sha256)
        if not clip.has_video:
            raise LibraryError(f"The video of {clip.file_name} is no longer stored.")
        return Path(clip.video_path)

    def pose_file(self, sha256: str) -> Path:
        """The pose cache file (HDF5) of a clip this user may see; LibraryError otherwise."""
        clip = self.find_clip(sha256)
        if not clip.has_poses:
            raise LibraryError(f"The poses of {clip.file_name} are not in the cache (yet).")
        return Path(clip.cache_file)

    def storage_bytes(self) -> int:
        """Bytes of the videos this product stored for this user (their uploads and recordings)
        that are still on disk: what the per-user storage limit counts."""
        stmt = (select(clips.c.video_path).join(clip_owners, clip_owners.c.clip_id == clips.c.id)
                .where(clip_owners.c.owner == self.user.id, clips.c.video_owned, clips.c.video_path.is_not(None)))
        with library_errors(self.url, "measuring storage"), self._engine.connect() as conn:
            paths = set(conn.execute(stmt).scalars())
        return sum(Path(p).stat().st_size for p in paths if Path(p).is_file())

    # --- shares ------------------------------------------------------------------------------

    def share_routine(self, routine: str, audience: Iterable[str] | str = EVERYONE) -> list[Share]:
        """Share this teacher's clips labelled `routine` with students (user ids) or `EVERYONE`;
        returns the routine's shares. Teachers and admins only; sharing twice changes nothing."""
        if not (self.user.is_teacher or self.user.is_admin):
            raise LibraryError("Only a teacher can share a routine.")
        name = clean_label(routine)
        if name is None:
            raise LibraryError("Name the routine to share (the routine label of your clips).")
        people = [audience] if isinstance(audience, str) else list(audience)
        people = sorted({p.strip() for p in people if p and p.strip()})
        if not people:
            raise LibraryError("Say whom to share with: everyone, or students' user ids (e-mail addresses).")
        with library_errors(self.url, "sharing a routine"), write_transaction(self._engine) as conn:
            for who in people:
                ins = _upsert_insert(conn)(shares).values(
                    owner=self.user.id, routine=name, audience=who, created_at=_now())
                conn.execute(ins.on_conflict_do_nothing(index_elements=[shares.c.owner, shares.c.routine,
                                                                        shares.c.audience]))
        return [s for s in self.list_shares() if s.routine == name and s.owner == self.user.id]

    def unshare(self, share_id: int) -> None:
        """Withdraw one of this teacher's shares (an admin: anyone's)."""
        cond = shares.c.id == int(share_id)
        if not self.user.is_admin:
            cond = and_(cond, shares.c.owner == self.user.id)
        with library_errors(self.url, "withdrawing a share"), write_transaction(self._engine) as conn:
            if conn.execute(delete(shares).where(cond)).rowcount == 0:
                raise LibraryError(f"no share {share_id} of yours")

    def list_shares(self) -> list[Share]:
        """Shares this user made (a teacher), or that reach them (anyone); an admin: all of them."""
        stmt = select(shares.c.id, shares.c.owner, shares.c.routine, shares.c.audience, shares.c.created_at)
        if not self.user.is_admin:
            stmt = stmt.where(or_(shares.c.owner == self.user.id, shares.c.audience.in_((self.user.id, EVERYONE))))
        with library_errors(self.url, "listing shares"), self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(shares.c.routine, shares.c.audience)).all()
        return [Share(id=r.id, owner=r.owner, routine=r.routine, audience=r.audience, created_at=as_utc(r.created_at))
                for r in rows]


def open_library(cache_dir: str | Path, url: str | None = None, *, user: User = LOCAL_ADMIN) -> Library:
    """The library: `url`, else ``$DANCE_DB_URL``, else ``<cache_dir>/library.db`` (SQLite), as
    `user` sees it (the command line runs as the machine's administrator)."""
    return Library(url or default_url(cache_dir), user=user)


def settings_fingerprint(*settings: object) -> str:
    """A short hash of settings dataclasses (alignment, scoring), for comparisons' rows."""
    import hashlib
    from dataclasses import asdict, is_dataclass

    blob = json.dumps([asdict(s) if is_dataclass(s) else s for s in settings], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
