"""Errors the engine raises. Every message says what went wrong and what the user can do."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error a user can act on (CLI exit status 2, `st.error` in the UI)."""


class VideoError(EngineError):
    """The file is not a readable video: not a video at all, truncated, no video stream."""


class ClipTooShortError(EngineError):
    """The clip is too short to analyze."""


class NoPersonError(EngineError):
    """No person was detected in (enough of) the clip."""


class CacheError(EngineError):
    """The cache cannot be used: folder not writable, disk full, or a cache file unreadable."""


class CompareError(EngineError):
    """Two performances cannot be compared (no overlap, wildly different lengths)."""


class SettingsError(EngineError):
    """A settings value or settings file is invalid."""


class LibraryError(EngineError):
    """The library database cannot be used (corrupt, of a newer schema, unreachable) or a library
    request is invalid (unknown clip). The database is never overwritten to get past one."""
