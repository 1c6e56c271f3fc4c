"""Uploaded clips on disk: stored under their content hash, never under the user's file name.

Each browser session gets its own folder, so removing a session's file when it is replaced or
cleared never pulls a file from under another session. Folders left behind by sessions that
ended (Streamlit does not tell us) are swept once they are older than `STALE_S`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

#: Extensions the drop zones accept (lower case, no dot).
VIDEO_TYPES: tuple[str, ...] = ("mp4", "mov", "webm", "avi", "mkv")
#: Upload folders untouched for this long belong to ended sessions, seconds.
STALE_S = 6 * 3600.0


@dataclass(frozen=True)
class StoredClip:
    """An uploaded clip saved for analysis.

    Attributes
    ----------
    path : where it is stored: <uploads>/<session>/<sha256>.<ext>
    name : the user's file name (display only, never part of a path)
    sha256 : content hash
    """

    path: Path
    name: str
    sha256: str


def _extension(name: str) -> str:
    ext = Path(name).suffix.lower().lstrip(".")
    return ext if ext in VIDEO_TYPES else "bin"


def store_upload(data: bytes | memoryview, name: str, folder: str | Path) -> StoredClip:
    """Write uploaded bytes to `folder`/<sha256>.<ext> (atomically; kept if already there).

    The extension is kept (from the accepted list only) because some demuxers use it as a hint.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(data).hexdigest()
    path = folder / f"{sha}.{_extension(name)}"
    if not path.is_file():
        tmp = folder / f".{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    os.utime(folder)  # keeps an active session's folder from being swept
    return StoredClip(path=path, name=Path(name).name, sha256=sha)


def limit_message(size: int, used: int, *, max_upload_mb: int, max_storage_mb: int) -> str | None:
    """Why an upload of `size` bytes is refused to a user who has `used` bytes stored, or None.

    Megabytes are 10^6 bytes (as the drop zone's own limit counts them).
    """
    mb = 1_000_000
    if size > max_upload_mb * mb:
        return (f"This clip is {size / mb:.0f} MB; one upload may be at most {max_upload_mb} MB here. Trim it or "
                "export it at a lower resolution, then drop it again.")
    if used + size > max_storage_mb * mb:
        return (f"Your stored videos take {used / mb:.0f} MB of your {max_storage_mb} MB; this clip "
                f"({size / mb:.0f} MB) does not fit. Delete clips you no longer need on the Library page.")
    return None


def remove_unused(folder: str | Path, keep: set[Path]) -> list[Path]:
    """Delete the clips in `folder` that are not in `keep`; returns what was deleted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    keep = {Path(p).resolve() for p in keep}
    removed = []
    for p in folder.iterdir():
        if p.is_file() and p.resolve() not in keep:
            p.unlink(missing_ok=True)
            removed.append(p)
    if not any(folder.iterdir()):
        folder.rmdir()
    return removed


def sweep_stale(root: str | Path, *, older_than_s: float = STALE_S, now: float | None = None) -> list[Path]:
    """Remove session folders under `root` not touched for `older_than_s` seconds."""
    root = Path(root)
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for d in root.iterdir():
        if d.is_dir() and now - d.stat().st_mtime > older_than_s:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed
