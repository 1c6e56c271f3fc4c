"""A reference clip prepared for live practice: display frames kept as JPEG, cleaned landmarks
and limb directions computed once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.analysis.clean import clean
from engine.analysis.metrics import limbs as limb_metrics
from engine.core.body import LIMBS, N_LANDMARKS
from engine.core.errors import EngineError
from engine.core.performance import Performance
from engine.io.video import display_frames, display_size, probe
from engine.live.visibility import MIN_VISIBILITY

#: Reference frames are kept as JPEG of this quality (~20 KB each at 480 px high).
JPEG_QUALITY = 80


class ReferenceFrames:
    """A reference video's frames, decoded once at display size and kept as JPEG bytes.

    10-20 KB a frame at 480 px high (the 21.7 s callme404 teacher, 216x480: 11 MB); `frame_at`
    decodes one in ~1 ms and caches the last one, so a camera faster than the clip does not
    decode twice.
    """

    def __init__(self, times: np.ndarray, jpegs: list[bytes], size: tuple[int, int]) -> None:
        if len(times) != len(jpegs) or not jpegs:
            raise ValueError(f"ReferenceFrames: need as many times as frames (> 0), got {len(times)}, {len(jpegs)}")
        self._t = np.asarray(times, dtype=np.float64)
        self._jpegs = jpegs
        self.size = size                        # (width, height) of every frame, pixels
        self._last: tuple[int, np.ndarray | None] = (-1, None)

    @classmethod
    def from_video(cls, path: str | Path, *, fps: float = 30.0, height: int = 480,
                   quality: int = JPEG_QUALITY) -> ReferenceFrames:
        """Decode `path` at (at most) `fps`, scaled to `height` px (even sides), as JPEG. VideoError."""
        width, height = display_size(probe(path), height)
        times, jpegs = [], []
        for t, rgb in display_frames(path, fps=fps, size=(width, height)):
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise EngineError(f"{Path(path).name}: could not compress frame {len(jpegs)} for display")
            times.append(t)
            jpegs.append(buf.tobytes())
        return cls(np.array(times), jpegs, (width, height))

    def __len__(self) -> int:
        return len(self._jpegs)

    @property
    def nbytes(self) -> int:
        return sum(len(j) for j in self._jpegs)

    def index_at(self, t: float) -> int:
        """Index of the frame shown at reference time t, seconds: the last one starting at or
        before t (the first frame for earlier t)."""
        return max(int(np.searchsorted(self._t, t + 1e-6, side="right")) - 1, 0)

    def frame_at(self, t: float) -> np.ndarray:
        """(H, W, 3) uint8 RGB, read-only: the frame shown at reference time t, seconds."""
        i = self.index_at(t)
        last_i, img = self._last
        if i != last_i or img is None:
            img = cv2.cvtColor(cv2.imdecode(np.frombuffer(self._jpegs[i], np.uint8), cv2.IMREAD_COLOR),
                               cv2.COLOR_BGR2RGB)
            img.flags.writeable = False
            self._last = (i, img)
        return img


@dataclass(frozen=True, eq=False)
class LiveReference:
    """What live practice needs of a reference clip, precomputed once.

    t : (N,) float32 seconds from the reference file's start
    image, world : (N, 33, 4) float32 cleaned (engine.analysis.clean) image / world landmarks
    limbs : (N, L, 3) float32 unit limb directions in the body's own frame
        (`engine.analysis.metrics.limbs.limb_directions`, `body.LIMBS` columns = `SCORED_JOINTS`
        order); NaN where the limb is not in view or the tracker glitched (`reference_limbs`)
    fps : analysis frame rate, frames/s
    frames : display frames, or None (the panel then shows the skeleton on a plain background)
    size : (width, height) of the source video, pixels: the plain panel's aspect ratio
    """

    name: str
    t: np.ndarray
    image: np.ndarray
    world: np.ndarray
    limbs: np.ndarray
    fps: float
    frames: ReferenceFrames | None
    size: tuple[int, int] = (640, 480)

    def __post_init__(self) -> None:
        n = self.t.shape[0] if self.t.ndim == 1 else -1
        for name, arr, shape in (("image", self.image, (n, N_LANDMARKS, 4)), ("world", self.world, (n, N_LANDMARKS, 4)),
                                 ("limbs", self.limbs, (n, len(LIMBS), 3))):
            if arr.shape != shape:
                raise ValueError(f"LiveReference.{name}: expected shape {shape}, got {arr.shape}")
        if n < 1 or not self.fps > 0:
            raise ValueError(f"LiveReference needs >= 1 frame and fps > 0, got {n} frames at {self.fps}")

    @property
    def start_s(self) -> float:
        """Time of the first frame, seconds (where the reference clock starts)."""
        return float(self.t[0])

    @property
    def duration_s(self) -> float:
        """End of the analyzed span, seconds from the file start (last timestamp + one frame)."""
        return float(self.t[-1]) + 1.0 / self.fps

    def index_at(self, t: float) -> int:
        """Index of the frame shown at reference time t, seconds (clamped to the clip)."""
        return max(int(np.searchsorted(self.t, t + 1e-6, side="right")) - 1, 0)

    @classmethod
    def from_performance(cls, perf: Performance, video_path: str | Path | None, *,
                         display_height: int = 480) -> LiveReference:
        """Clean `perf`, compute its limb directions, and decode `video_path` for display (None: no
        video, the skeleton is shown instead). Raises VideoError for an unreadable video."""
        cleaned = clean(perf)
        shown = None if video_path is None else ReferenceFrames.from_video(video_path, fps=perf.fps,
                                                                           height=display_height)
        return cls(name=perf.source.file, t=perf.t.astype(np.float32), image=cleaned.image, world=cleaned.world,
                   limbs=reference_limbs(cleaned, perf), fps=float(perf.fps), frames=shown,
                   size=(int(perf.source.width), int(perf.source.height)))


def reference_limbs(cleaned: Performance, raw: Performance | None = None) -> np.ndarray:
    """(N, L, 3) float32 limb directions of a reference, as the full report measures them
    (`engine.analysis.compare.measure_limbs`): from the cleaned track, with the frames where the
    raw track (default: the cleaned one) shows a tracker glitch set to NaN."""
    def dirs(p: Performance) -> np.ndarray:
        return limb_metrics.limb_directions(p.world, p.image, visibility_threshold=MIN_VISIBILITY)

    out = dirs(cleaned)
    glitched, _ = limb_metrics.glitch_mask(out if raw is None else dirs(raw), cleaned.fps)
    out[glitched] = np.nan
    return out.astype(np.float32)


