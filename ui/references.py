"""Clips the pages can use: the built-in samples, and the references of the Live practice page.

A practice reference is either the sample teacher or any video already analyzed (one HDF5 file
per video in the pose cache, `engine.io.store.list_entries`). The cache keeps poses, not videos:
a reference's video is looked up by its content hash among the sample clips and the stored
uploads (`<uploads>/<folder>/<sha256>.<ext>`); when it is gone, the reference still works from
its poses alone (a skeleton instead of the video beside the camera, and the comparison from its
cached poses: `engine.analysis.compare.analyze_against_reference`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from engine.demo import make_demo
from engine.io import extract as extract_module
from engine.io.store import CacheEntry
from engine.io.video import probe
from ui.job_view import collect, in_child, shared_jobs, submit_job, wait
from ui.report_view import ROLES, Clip, stat_key

#: The chooser's id of the sample teacher (every other reference is known by its sha256).
SAMPLE_KEY = "sample"
SAMPLE_NAMES = {r: f"sample_{r}.mp4" for r in ROLES}
#: Display names of recorded practice attempts start with this; they are not offered as references.
ATTEMPT_PREFIX = "practice-attempt-"
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Reference:
    """A video to practise against.

    Attributes
    ----------
    key : SAMPLE_KEY for the sample teacher, else the video's sha256
    name : the video's file name as the user knows it
    sha256 : content hash of the video
    video : the video file, or None when it is no longer on disk (poses only)
    cache_file : its pose cache file, or None while it has not been analyzed
    duration_s : the video's duration, seconds (None while unknown)
    created : when its poses were cached, seconds since the epoch (None while not yet)
    """

    key: str
    name: str
    sha256: str
    video: Path | None
    cache_file: Path | None = None
    duration_s: float | None = None
    created: float | None = None

    @property
    def clip(self) -> Clip:
        return Clip(path=self.video, name=self.name, sha256=self.sha256)

    def label(self) -> str:
        """One line for the chooser: name, length, when it was analyzed, whether only poses are left."""
        parts = ["Sample teacher (built-in)" if self.key == SAMPLE_KEY else self.name]
        if self.duration_s is not None:
            parts.append(f"{self.duration_s:.1f} s")
        if self.created is not None and self.key != SAMPLE_KEY:
            parts.append(f"analysed {time.strftime('%d %b %Y %H:%M', time.localtime(self.created))}")
        if self.video is None:
            parts.append("poses only (video no longer stored)")
        return " · ".join(parts)


@dataclass(frozen=True)
class Attempt:
    """A finished, recorded practice attempt: the recording (the student) and its reference (the teacher)."""

    reference: Reference
    clip: Clip


def stored_videos(roots: Iterable[Path]) -> dict[str, Path]:
    """sha256 -> file, for videos stored under their content hash one folder below each root."""
    found: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for p in sorted(root.glob("*/*.*")):
            stem = p.name.split(".", 1)[0]
            if p.is_file() and _SHA256.fullmatch(stem):
                found.setdefault(stem, p)
    return found


def cached_references(entries: Iterable[CacheEntry], *, fingerprint: str, videos: dict[str, Path],
                      exclude: Iterable[str] = ()) -> list[Reference]:
    """The cache entries a user can practise against, newest first, one per video.

    Parameters
    ----------
    entries : the pose cache's entries (`engine.io.store.list_entries`)
    fingerprint : the current extractor's fingerprint; poses from other settings are left out
        (an attempt is extracted with the current ones, and both must match to be compared)
    videos : sha256 -> video file still on disk
    exclude : sha256 of videos not to list (e.g. the sample teacher, listed on its own)
    """
    skip = set(exclude)
    refs: list[Reference] = []
    for e in sorted(entries, key=lambda e: e.created, reverse=True):
        if e.fingerprint != fingerprint or e.sha256 in skip or e.file.startswith(ATTEMPT_PREFIX):
            continue
        skip.add(e.sha256)
        refs.append(Reference(key=e.sha256, name=e.file, sha256=e.sha256, video=videos.get(e.sha256),
                              cache_file=e.path, duration_s=e.duration_s, created=e.created))
    return refs


# --- Streamlit helpers ----------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 (size, mtime: cache key)
    return extract_module.sha256_file(path)


@st.cache_data(show_spinner=False)
def video_duration(path: str, size: int, mtime_ns: int) -> float:  # noqa: ARG001 (size, mtime: cache key)
    """A video's duration from its container, seconds (cheap: no decoding)."""
    return probe(path).duration_s


def clip_at(path: Path, name: str) -> Clip:
    """A clip on disk, with its content hash (computed once per file version)."""
    return Clip(path=path, name=name, sha256=file_sha256(str(path), *stat_key(path)))


def sample_clips(samples_dir: Path, slot) -> dict[str, Clip] | None:
    """The built-in demo pair, rendered into `samples_dir` on the first visit (progress in `slot`)."""
    paths = {r: samples_dir / f"{r}.mp4" for r in ROLES}
    if not all(p.is_file() for p in paths.values()):
        job = submit_job(("samples", str(samples_dir)), in_child(make_demo), samples_dir)
        with slot:
            bar = st.progress(0.0, text="Making the sample clips (first visit only)…")
            wait([(job, bar)])
            bar.empty()
            if collect(job, st, "making the sample clips") is None:
                return None
        shared_jobs().forget(job.key)
    return {r: clip_at(p, SAMPLE_NAMES[r]) for r, p in paths.items()}
