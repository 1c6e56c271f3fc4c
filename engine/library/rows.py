"""The library's values: the rows and filters `Library` takes and returns, and the label rules.

Plain frozen dataclasses with no database in them: `User` (who asks: every query is scoped to
one), `ClipInfo` (a clip as analysed, the input of `Library.record_clip`), `ClipRow`, `ClipFilter`,
`ComparisonRow`, `Share` and `DeletedClip`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.performance import Performance

#: Where a comparison was made.
SOURCES = ("upload", "live", "cli")
#: Labels a clip can carry besides its free tags.
LABELS = ("routine", "dancer", "style")
#: What a user may do: an admin sees everything (the machine's owner: the CLI, the app without
#: sign-in); a teacher shares routines and sees the attempts at them; a student sees their own.
USER_ROLES = ("admin", "teacher", "student")
#: A share's audience that means every signed-in user.
EVERYONE = "*"
#: Longest user id stored (an e-mail address or an OpenID Connect subject).
USER_ID_LEN = 320


@dataclass(frozen=True)
class User:
    """Who a library query is for.

    id : a stable identity (the e-mail or OpenID Connect subject); what rows are owned by
    role : one of `USER_ROLES`
    """

    id: str
    role: str = "student"

    def __post_init__(self) -> None:
        if self.role not in USER_ROLES:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(USER_ROLES)}")
        if not self.id or not self.id.strip() or len(self.id) > USER_ID_LEN or self.id == EVERYONE:
            raise ValueError(f"not a user id: {self.id!r} (1..{USER_ID_LEN} characters, not {EVERYONE!r})")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"


#: The machine's administrator: the command line, and the app when no sign-in is configured.
LOCAL_ADMIN = User("local", "admin")


def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


def clean_label(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def clean_tags(tags: Iterable[str] | str | None) -> str:
    if tags is None:
        return ""
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: list[str] = []
    for t in tags:
        t = " ".join(str(t).split())
        if t and t not in seen:
            seen.append(t)
    return ", ".join(seen)



@dataclass(frozen=True)
class ClipInfo:
    """What is known of a clip when it is analysed (the input of `Library.record_clip`).

    video_owned : the video is a file this product stored (an upload, a live recording): deleting
        the clip deletes it. A file the user named on the command line is never deleted.
    """

    sha256: str
    file_name: str
    duration_s: float | None = None
    fps: float | None = None
    frames: int | None = None
    detected_ratio: float | None = None
    extractor_fingerprint: str | None = None
    cache_file: str | None = None
    video_path: str | None = None
    video_owned: bool = False
    added_at: datetime | None = None     # when it was first analysed (None: now)

    @classmethod
    def from_performance(cls, perf: Performance, *, cache_dir: str | Path, video: str | Path | None = None,
                         owned: bool = False) -> ClipInfo:
        """The clip of a Performance cached in `cache_dir` (see `engine.io.store.cache_path`)."""
        from engine.io.store import cache_path

        s = perf.source
        return cls(sha256=s.sha256, file_name=s.file, duration_s=float(s.duration_s), fps=float(perf.fps),
                   frames=int(perf.n_frames), detected_ratio=float(perf.detected_ratio),
                   extractor_fingerprint=s.fingerprint or None,
                   cache_file=str(Path(cache_path(cache_dir, s.sha256, s.fingerprint)).resolve()),
                   video_path=None if video is None else str(Path(video).resolve()), video_owned=owned)


@dataclass(frozen=True)
class ClipRow:
    """One clip of the library, with how many comparisons it is part of."""

    id: int
    sha256: str
    file_name: str
    duration_s: float | None
    fps: float | None
    frames: int | None
    detected_ratio: float | None
    extractor_fingerprint: str | None
    cache_file: str | None
    video_path: str | None
    video_owned: bool
    routine: str | None
    dancer: str | None
    style: str | None
    tags: str
    added_at: datetime
    comparisons: int = 0

    @property
    def has_poses(self) -> bool:
        return bool(self.cache_file) and Path(self.cache_file).is_file()

    @property
    def has_video(self) -> bool:
        return bool(self.video_path) and Path(self.video_path).is_file()

    def files_status(self) -> str:
        """What is still on disk: 'video + poses', 'poses only', 'video only' (poses are
        re-extracted when used) or 'missing'."""
        poses, video = self.has_poses, self.has_video
        if poses:
            return "video + poses" if video else "poses only"
        return "video only" if video else "missing"

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["added_at"] = self.added_at.isoformat()
        out["files"] = self.files_status()
        return out


@dataclass(frozen=True)
class ClipFilter:
    """Which clips `Library.list_clips` returns. None means any; `text` matches the file name,
    labels and tags (case-insensitive)."""

    text: str | None = None
    routine: str | None = None
    dancer: str | None = None
    style: str | None = None
    newest_first: bool = True
    limit: int | None = None


@dataclass(frozen=True)
class ComparisonRow:
    """One recorded comparison (without its report: `Library.get_report`)."""

    id: int
    created_at: datetime
    source: str
    teacher_sha256: str
    teacher_file: str
    student_sha256: str
    student_file: str
    routine: str | None          # the student clip's labels
    dancer: str | None
    overall: float
    components: dict[str, float | None]
    joints: dict[str, float]
    sync_method: str | None
    sync_offset_s: float | None
    mirror: bool | None
    moments_count: int | None
    settings_fingerprint: str | None
    owner: str | None = None     # who made it (None: before sign-in existed)

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["created_at"] = self.created_at.isoformat()
        return out


@dataclass(frozen=True)
class Share:
    """A teacher's routine (their clips labelled with it) shared with a student, or `EVERYONE`."""

    id: int
    owner: str
    routine: str
    audience: str
    created_at: datetime


@dataclass(frozen=True)
class DeletedClip:
    """What `Library.delete_clip` removed. `files` is empty and `for_good` False when other users
    still have the clip: then only this user's hold on it (and their comparisons) went."""

    sha256: str
    file_name: str
    comparisons: int
    files: tuple[str, ...]
    for_good: bool = True

