"""What the live stream shows: the reference panel beside the camera picture, with the pose
guide, the user's skeleton, the score, advice and the countdown drawn on."""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.live.reference import LiveReference
from engine.present.draw import (
    BAD_COLOR,
    draw_skeleton,
    even,
    fit_scale,
    label,
    outlined_centred,
)

#: Drawing (RGB): the guide is translucent amber over the camera picture.
GUIDE_COLOR = (255, 190, 0)
GUIDE_ALPHA = 0.6
PLAIN_BACKGROUND = (32, 32, 36)
#: Live captions shrink to fit their panel down to this font scale, no further.
MIN_CAPTION_SCALE = 0.3


class Overlay:
    """Draws one output frame (reference panel | user panel) per camera frame.

    Keeps the last scaled reference panel, so a camera faster than the clip does not rescale
    it twice. `selfie_view` flips the user panel for display (drawings are placed after the flip).
    Used from one thread at a time (the camera's worker).
    """

    def __init__(self, reference: LiveReference, *, selfie_view: bool = True) -> None:
        self.reference, self.selfie_view = reference, selfie_view
        self._panel_cache: tuple[tuple[int, int], np.ndarray] | None = None

    def reference_panel(self, ref_t: float, idx: int, height: int) -> np.ndarray:
        """The reference at ref_t (frame idx of its landmarks) scaled to `height` px (even
        width): a fresh, writable (height, W, 3) uint8 RGB array."""
        shown = self.reference.frames
        if shown is None:
            width = even(height * self.reference.size[0] / max(self.reference.size[1], 1))
            key = (-1, height)
            if self._panel_cache is None or self._panel_cache[0] != key:
                self._panel_cache = (key, np.full((height, width, 3), PLAIN_BACKGROUND, np.uint8))
            return draw_skeleton(self._panel_cache[1].copy(), self.reference.image[idx], color=GUIDE_COLOR)
        img = shown.frame_at(ref_t)
        if img.shape[0] == height:
            return img.copy()
        key = (shown.index_at(ref_t), height)
        if self._panel_cache is None or self._panel_cache[0] != key:
            width = even(height * img.shape[1] / img.shape[0])
            self._panel_cache = (key, cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA))
        return self._panel_cache[1].copy()

    def draw(self, rgb: np.ndarray, phase: str, countdown: float, ref_t: float, idx: int, pose,
             guide: np.ndarray | None, score: float | None, worst: str | None, message: str | None,
             note: str | None = None) -> np.ndarray:
        """Camera frame (H, W, 3) uint8 RGB -> (H', Wr + W', 3) uint8 RGB with even sides.

        pose : pose.PoseFrame or None; guide : (33, 4) image landmarks of the unflipped frame or
        None; countdown : seconds left; ref_t : reference time, s; idx : reference frame index;
        note : appended to the reference's time (e.g. a section's "REP 2/3 0.5x").
        """
        h, w = rgb.shape[:2]
        ref = self.reference_panel(ref_t, idx, h)
        rw = ref.shape[1]
        out = np.empty((h + h % 2, rw + w + w % 2, 3), np.uint8)
        out[:h, :rw] = ref
        out[:h, rw:rw + w] = cv2.flip(rgb, 1) if self.selfie_view else rgb   # cv2: 30x numpy's [:, ::-1]
        if h % 2:
            out[h] = out[h - 1]
        if w % 2:
            out[:, -1] = out[:, -2]
        user = out[:h, rw:rw + w]
        flip = flip_x if self.selfie_view else (lambda lm: lm)
        if guide is not None:
            draw_guide(user, flip(guide))
        if pose is not None and pose.detected:
            draw_skeleton(user, flip(pose.image), [worst] if worst else [])
        draw_user_text(user, phase, score, worst, message)
        draw_reference_text(out[:h, :rw], self.reference, ref_t, note)
        if phase == "countdown":
            for panel in (out[:h, :rw], user):
                outlined_centred(panel, str(max(1, math.ceil(countdown))), panel.shape[0] / 90.0, GUIDE_COLOR)
        return out


def flip_x(landmarks: np.ndarray) -> np.ndarray:
    """(33, 4) image landmarks of the horizontally flipped frame (x -> 1 - x); a float32 copy."""
    out = np.array(landmarks, dtype=np.float32, copy=True)
    out[:, 0] = 1.0 - out[:, 0]
    return out


def draw_guide(panel: np.ndarray, guide: np.ndarray) -> None:
    """The guide skeleton, GUIDE_ALPHA-translucent, in place; only its bounding box is blended."""
    h, w = panel.shape[:2]
    thick = max(3, round(h / 80))
    pts = guide[np.isfinite(guide[:, :2]).all(axis=1), :2] * (w, h)
    if pts.size == 0:
        return
    pad = 3 * thick + 4
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int) - pad, 0, (w, h))
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + pad, 0, (w, h))
    if x1 <= x0 or y1 <= y0:
        return
    layer = panel.copy()
    draw_skeleton(layer, guide, color=GUIDE_COLOR, thickness=thick)
    panel[y0:y1, x0:x1] = cv2.addWeighted(layer[y0:y1, x0:x1], GUIDE_ALPHA, panel[y0:y1, x0:x1],
                                          1.0 - GUIDE_ALPHA, 0.0)


def draw_user_text(panel: np.ndarray, phase: str, score: float | None, worst: str | None,
                   message: str | None) -> None:
    """Score big in the top-right corner, the worst joint under it, advice along the bottom."""
    h, w = panel.shape[:2]
    base = h / 480.0
    right, y = w - 10, int(60 * base)
    if phase == "dancing":
        y += label(panel, "--" if score is None else f"{score:.0f}", (right, y), 2.0 * base, anchor_right=True)
        if worst:
            label(panel, worst.replace("_", " "), (right, y + int(10 * base)), 0.8 * base, BAD_COLOR,
                  anchor_right=True)
    if message:
        label(panel, message, (10, h - int(14 * base)),
              fit_scale(message, w - 28, 0.7 * base, min_scale=MIN_CAPTION_SCALE))


def reference_caption(ref_t: float, duration_s: float, note: str | None = None) -> str:
    """"REFERENCE t / duration s", then the note if any: what the reference panel's corner says."""
    text = f"REFERENCE {ref_t:5.1f} / {duration_s:.1f} s"
    return text if not note else f"{text}  {note}"


def draw_reference_text(panel: np.ndarray, reference: LiveReference, ref_t: float, note: str | None = None) -> None:
    """`reference_caption` in the panel's top-left corner."""
    h, w = panel.shape[:2]
    text = reference_caption(ref_t, reference.duration_s, note)
    scale = fit_scale(text, w - 20, 0.6 * h / 480.0, min_scale=MIN_CAPTION_SCALE)
    label(panel, text, (6, int(24 * h / 480.0)), scale)
