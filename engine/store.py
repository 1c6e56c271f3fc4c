"""HDF5 cache of extraction results, one file per video content hash and extractor fingerprint.

`cache/<sha256>-<fingerprint>.h5`; see DESIGN.md for the schema. A renamed file is a hit (the key
is the content), a changed extraction setting is a miss (the key has the fingerprint). Writes go
to a unique temporary file that is renamed into place, so readers never see half a file and two
processes extracting the same video at once each write whole files (the last rename wins).
A cache file that is corrupt, truncated or of another schema is never trusted: it is re-extracted.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import h5py
import numpy as np

from .errors import CacheError, VideoError
from .extract import Progress, extract, sha256_file
from .performance import Performance, SourceInfo
from .pose import model_name
from .settings import CACHE_SCHEMA_VERSION, ExtractSettings

DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "cache"
_ARRAYS = ("image", "world", "mask", "hip_xy", "t", "detected")


def cache_path(cache_dir: str | Path, sha256: str, fingerprint: str) -> Path:
    return Path(cache_dir) / f"{sha256}-{fingerprint}.h5"


def save(perf: Performance, path: str | Path) -> None:
    """Write a Performance atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("image", data=perf.image)
            f.create_dataset("world", data=perf.world)
            f.create_dataset("mask", data=perf.mask, compression="gzip", compression_opts=4,
                             chunks=(min(64, max(perf.n_frames, 1)), *perf.mask.shape[1:]), shuffle=True)
            f.create_dataset("hip_xy", data=perf.hip_xy)
            f.create_dataset("t", data=perf.t)
            f.create_dataset("detected", data=perf.detected)
            s = perf.source
            f.attrs.update({
                "schema_version": CACHE_SCHEMA_VERSION, "analysis_fps": perf.fps, "source_fps": s.source_fps,
                "width": s.width, "height": s.height, "rotation": s.rotation, "duration_s": s.duration_s,
                "has_audio": s.has_audio, "model": s.model, "fingerprint": s.fingerprint, "sha256": s.sha256,
                "file": s.file, "n_frames": perf.n_frames,
            })
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise CacheError(f"Could not write the cache file {path}: {exc}. Check the cache folder is writable "
                         "and the disk is not full.") from exc
    finally:
        tmp.unlink(missing_ok=True)


def load(path: str | Path, *, sha256: str | None = None, fingerprint: str | None = None) -> Performance:
    """Read a cache file and validate it completely.

    Raises
    ------
    ValueError
        The file is unreadable, truncated, of another schema, or does not match the key.
    """
    try:
        with h5py.File(path, "r") as f:
            a = dict(f.attrs)
            if int(a.get("schema_version", -1)) != CACHE_SCHEMA_VERSION:
                raise ValueError(f"schema {a.get('schema_version')} != {CACHE_SCHEMA_VERSION}")
            if sha256 is not None and a.get("sha256") != sha256:
                raise ValueError("sha256 does not match")
            if fingerprint is not None and a.get("fingerprint") != fingerprint:
                raise ValueError("fingerprint does not match")
            arrays = {k: f[k][()] for k in _ARRAYS}
    except (OSError, KeyError, TypeError) as exc:  # h5py raises OSError for truncated/corrupt files
        raise ValueError(f"unreadable cache file: {exc}") from exc
    if arrays["t"].shape[0] != int(a["n_frames"]):
        raise ValueError("frame count does not match")
    source = SourceInfo(file=str(a["file"]), sha256=str(a["sha256"]), source_fps=float(a["source_fps"]),
                        width=int(a["width"]), height=int(a["height"]), rotation=int(a["rotation"]),
                        duration_s=float(a["duration_s"]), has_audio=bool(a["has_audio"]), model=str(a["model"]),
                        fingerprint=str(a["fingerprint"]))
    # Performance validates shapes and dtypes and raises ValueError on a mismatch.
    return Performance(fps=float(a["analysis_fps"]), source=source, **arrays)


def load_or_extract(path: str | Path, *, cache_dir: str | Path = DEFAULT_CACHE_DIR,
                    settings: ExtractSettings = ExtractSettings(), display_name: str | None = None,
                    progress: Progress | None = None,
                    extractor: Callable[..., Performance] = extract) -> Performance:
    """The cached Performance of a video, extracting (and caching) it on a miss.

    Parameters
    ----------
    path : video file
    cache_dir : folder of the HDF5 files (created if missing)
    settings : extraction settings; their fingerprint is part of the key
    display_name : file name to record and show (uploads are stored under hashed names)
    progress : progress(fraction, message) during extraction; called once with 1.0 on a hit
    extractor : the extraction function (tests count its calls)
    """
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise VideoError(f"{name}: no such file.")
    sha = sha256_file(path)
    fp = settings.fingerprint(model_name(settings.model_complexity))
    target = cache_path(cache_dir, sha, fp)
    if target.is_file():
        try:
            perf = load(target, sha256=sha, fingerprint=fp)
        except ValueError:
            pass  # corrupt / truncated / old schema: never trusted, re-extracted below
        else:
            if progress is not None:
                progress(1.0, f"{name}: loaded from cache")
            return replace(perf, source=replace(perf.source, file=name))
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"Cannot create the cache folder {cache_dir}: {exc}") from exc
    perf = extractor(path, settings=settings, sha256=sha, display_name=name, progress=progress)
    save(perf, target)
    return perf


@dataclass(frozen=True)
class CacheEntry:
    """One cache file, described from its attributes alone (no arrays are read)."""

    path: Path            # the .h5 file
    file: str             # the video's file name as the user gave it
    sha256: str           # the video's content hash
    fingerprint: str      # extractor settings fingerprint
    duration_s: float     # the video's duration, seconds
    n_frames: int         # analyzed frames
    created: float        # when the file was written (mtime), seconds since the epoch


def list_entries(cache_dir: str | Path = DEFAULT_CACHE_DIR) -> list[CacheEntry]:
    """The readable cache files of the current schema in a folder, newest first.

    Unreadable or foreign files are skipped (they will be re-extracted when used).
    """
    entries = []
    for p in Path(cache_dir).glob("*.h5"):
        try:
            with h5py.File(p, "r") as f:
                a = dict(f.attrs)
            if int(a.get("schema_version", -1)) != CACHE_SCHEMA_VERSION:
                continue
            entries.append(CacheEntry(path=p, file=str(a["file"]), sha256=str(a["sha256"]),
                                      fingerprint=str(a["fingerprint"]), duration_s=float(a["duration_s"]),
                                      n_frames=int(a["n_frames"]), created=p.stat().st_mtime))
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return sorted(entries, key=lambda e: e.created, reverse=True)
