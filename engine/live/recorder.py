"""The practice recording: raw camera frames to an H.264 MP4 on a background thread."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import av
import cv2
import numpy as np

from engine.core.errors import EngineError
from engine.io.encode import Mp4Writer

#: Queue length (frames; full -> the frame is dropped), nominal rate (the last frame's
#: duration), libx264 settings.
RECORD_QUEUE = 8
RECORD_RATE = 30
RECORD_CRF = 23
RECORD_PRESET = "veryfast"


class Recorder:
    """Raw camera frames -> H.264 MP4 (variable frame rate, real timestamps) on its own thread.

    `put` never blocks: a full queue drops the frame and counts it. The file is written by an
    `encode.Mp4Writer` under a hidden temporary name beside `path`; after `stop`, `keep` renames
    it into place, `discard` deletes it. Frames are scaled to the first frame's size, rounded
    down to even sides.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: Mp4Writer | None = None     # created on the writer thread, at the first frame
        self._queue: queue.Queue = queue.Queue(maxsize=RECORD_QUEUE)
        self._thread: threading.Thread | None = None
        self._open = True
        self.dropped = self.written = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.error: BaseException | None = None

    def put(self, rgb: np.ndarray, t: float) -> None:
        """Queue a copy of one frame taken at recording time t (s); drops it if the queue is full."""
        if not self._open or self.error is not None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-recorder", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((rgb.copy(), t))
        except queue.Full:
            self.dropped += 1

    def stop(self) -> float:
        """Flush and stop the writer (blocks until it is done). Returns the recorded span,
        seconds: first to last frame plus one nominal frame; 0 when nothing was written."""
        if self._open:
            self._open = False
            while self._thread is not None and self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if self._thread is not None:
                self._thread.join()
        if self.first_t is None or self.last_t is None:
            return 0.0
        return self.last_t - self.first_t + 1.0 / RECORD_RATE

    def keep(self) -> Path:
        """Move the finished recording into place (after `stop`); returns its path."""
        return self._writer.commit()

    def discard(self) -> None:
        """Delete the recording (after `stop`)."""
        if self._writer is not None:
            self._writer.abort()

    def _run(self) -> None:
        writer = None
        size = None         # (height, width): the first frame's, rounded down to even
        try:
            while (item := self._queue.get()) is not None:
                rgb, t = item
                if writer is None:
                    size = (rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2)
                    writer = self._writer = Mp4Writer(self.path, RECORD_RATE, crf=RECORD_CRF, preset=RECORD_PRESET,
                                                      timestamps=True, faststart=False)
                if rgb.shape[:2] != size:
                    rgb = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA)
                writer.write(rgb, t)
                self.first_t = t if self.first_t is None else self.first_t
                self.last_t = t
                self.written += 1
            if writer is not None:
                writer.close()
        except (av.FFmpegError, OSError, ValueError, EngineError) as exc:
            self.error = exc
            if writer is not None:
                writer.abort()
