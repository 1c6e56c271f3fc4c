"""Shared test fixtures: where the third-party footage lives, and skip markers for it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Tests never write to a developer's own library database: those that need one set DANCE_DB_URL
# themselves; the others get the default, library.db in their temporary cache folder.
os.environ.pop("DANCE_DB_URL", None)
# Nor to a developer's cache: whatever a test runs without naming a cache folder (the CLI, the
# pages) writes into a throwaway one. Tests that want their own still set DANCE_CACHE_DIR.
os.environ["DANCE_CACHE_DIR"] = tempfile.mkdtemp(prefix="dance-test-cache-")

REPO = Path(__file__).resolve().parents[1]
#: Real dance footage (third-party, never copied into this repo). See its SOURCES.md.
SHARED_VIDEOS = REPO.parent / "shared" / "data" / "videos"

needs_footage = pytest.mark.skipif(
    not SHARED_VIDEOS.is_dir(),
    reason=f"real footage folder {SHARED_VIDEOS} is missing (it sits beside the repo in CI)",
)


def footage(rel: str) -> Path:
    """Path of a shared clip, e.g. footage('pairs/callme404_teacher_douyin.mp4')."""
    return SHARED_VIDEOS / rel


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    """One HDF5 cache folder for the whole test session, so each real clip is extracted once."""
    return tmp_path_factory.mktemp("pose-cache")


@pytest.fixture(scope="session")
def load_clip(session_cache):
    """load_clip('pairs/x.mp4') -> the cached Performance of a shared clip (extracted at most once)."""
    from engine.io.store import load_or_extract

    def _load(rel: str):
        path = footage(rel)
        if not path.is_file():
            pytest.skip(f"shared clip {rel} is missing")
        return load_or_extract(path, cache_dir=session_cache)
    return _load
