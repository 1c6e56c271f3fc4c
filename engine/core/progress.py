"""The progress callback every long-running stage takes (library code never prints)."""

from __future__ import annotations

from collections.abc import Callable

#: progress(fraction 0..1, message): called from worker threads too, so it must be thread-safe.
Progress = Callable[[float, str], None]
