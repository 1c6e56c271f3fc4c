"""Drawing primitives shared by the rendered comparison video and the live stream.

Skeletons, text (plain, on a dark box, outlined, fitted to a width), colours and even sizes.
Everything draws in place on (H, W, 3) uint8 RGB arrays with OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.core.body import ANGLE_TRIPLETS, BONES, Landmark
from engine.io.video import even  # noqa: F401  (re-exported: pixel sizes are drawing's business too)

L = Landmark

#: Landmarks seen less surely than this are not drawn. A drawing threshold, deliberately lower
#: than the analysis one (`CleanSettings.visibility_threshold`, 0.5): a half-seen limb is worth
#: showing, while analysis treats it as a gap. The comparison video draws cleaned landmarks
#: (already gap-filled at 0.5), the live stream raw MediaPipe ones; both draw at this level.
DRAW_MIN_VISIBILITY = 0.3
#: Colours (RGB).
BONE_COLOR = (80, 220, 255)
OUTLINE_COLOR = (20, 20, 20)
BAD_COLOR = (255, 40, 40)
TEXT_COLOR = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Smallest font scale `fit_scale` shrinks text to by default.
MIN_TEXT_SCALE = 0.25
#: Bones and the vertex drawn in red for each scored joint (torso and neck have no triplet).
_AXIAL_BONES: dict[str, tuple[tuple[Landmark, Landmark], ...]] = {
    "torso": ((L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP)),
    "neck": ((L.NOSE, L.LEFT_EYE), (L.NOSE, L.RIGHT_EYE), (L.LEFT_EYE, L.LEFT_EAR), (L.RIGHT_EYE, L.RIGHT_EAR)),
}
_AXIAL_VERTEX: dict[str, Landmark] = {"torso": L.LEFT_SHOULDER, "neck": L.NOSE}


def text_thickness(scale: float) -> int:
    """Stroke thickness of text at font scale `scale`, pixels."""
    return max(1, round(scale * 2))


def fit_scale(text: str, max_width: int, scale: float, *, min_scale: float = MIN_TEXT_SCALE) -> float:
    """The largest font scale <= `scale` at which `text` is at most `max_width` pixels wide
    (never below `min_scale`: very long text then overflows rather than becoming unreadable)."""
    (width, _), _ = cv2.getTextSize(text, FONT, scale, text_thickness(scale))
    return scale if width <= max_width else max(scale * max_width / max(width, 1), min_scale)


def put_text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color=TEXT_COLOR) -> int:
    """Draw text with its baseline-left at `org` (pixels); returns the x just after it."""
    thick = text_thickness(scale)
    cv2.putText(img, text, org, FONT, scale, color, thick, cv2.LINE_AA)
    (width, _), _ = cv2.getTextSize(text, FONT, scale, thick)
    return org[0] + width


def label(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color=TEXT_COLOR,
          anchor_right: bool = False) -> int:
    """Text on a dark box at baseline-left `org` (or ending at org's x); returns its height px."""
    thick = text_thickness(scale)
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x = org[0] - tw if anchor_right else org[0]
    y0, y1 = max(org[1] - th - 4, 0), min(org[1] + base + 2, img.shape[0])
    x0, x1 = max(x - 4, 0), min(x + tw + 4, img.shape[1])
    if y1 > y0 and x1 > x0:
        img[y0:y1, x0:x1] = (img[y0:y1, x0:x1] >> 1) >> 1    # darken to a quarter
    cv2.putText(img, text, (x, org[1]), FONT, scale, color, thick, cv2.LINE_AA)
    return th + base + 6


def outlined_centred(img: np.ndarray, text: str, scale: float, color) -> None:
    """Big text in the middle of `img`, outlined in black so it reads on any picture."""
    thick = max(2, round(scale * 2.5))
    (tw, th), _ = cv2.getTextSize(text, FONT, scale, thick)
    org = ((img.shape[1] - tw) // 2, (img.shape[0] + th) // 2)
    cv2.putText(img, text, org, FONT, scale, (0, 0, 0), thick + 6, cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, scale, color, thick, cv2.LINE_AA)


def joint_bones(joint: str) -> tuple[tuple[tuple[Landmark, Landmark], ...], Landmark]:
    """Bones and vertex landmark that show `joint` (a dancer's own joint name)."""
    if joint in ANGLE_TRIPLETS:
        a, v, b = ANGLE_TRIPLETS[joint]
        return ((a, v), (v, b)), v
    return _AXIAL_BONES[joint], _AXIAL_VERTEX[joint]


def _pt(lm: np.ndarray, w: int, h: int) -> tuple[int, int] | None:
    if not (np.isfinite(lm[:2]).all() and (not np.isfinite(lm[3]) or lm[3] >= DRAW_MIN_VISIBILITY)):
        return None
    return int(round(float(lm[0]) * w)), int(round(float(lm[1]) * h))


def draw_skeleton(img: np.ndarray, landmarks: np.ndarray, bad_joints: list[str] = (), *,
                  color: tuple[int, int, int] = BONE_COLOR, thickness: int | None = None) -> np.ndarray:
    """Draw a skeleton (and its bad joints in red) on an RGB frame, in place; returns it.

    Parameters
    ----------
    img : (H, W, 3) uint8 RGB
    landmarks : (33, 4) image landmarks: x, y normalized to this frame, z, visibility; NaN = unseen.
        Landmarks with visibility below DRAW_MIN_VISIBILITY are not drawn (NaN visibility is drawn).
    bad_joints : the dancer's own joint names to highlight
    color : RGB of the bones and joint dots
    thickness : bone thickness, pixels; None scales it with the frame height
    """
    h, w = img.shape[:2]
    thick = max(2, round(h / 160)) if thickness is None else max(1, int(thickness))
    pts = [_pt(landmarks[i], w, h) for i in range(landmarks.shape[0])]
    for a, b in BONES:
        pa, pb = pts[a], pts[b]
        if pa is not None and pb is not None:
            # Face bones thin: at body thickness they hide the face.
            t = max(1, thick // 2) if a < L.LEFT_SHOULDER and b < L.LEFT_SHOULDER else thick
            cv2.line(img, pa, pb, OUTLINE_COLOR, t + 2, cv2.LINE_AA)
            cv2.line(img, pa, pb, color, t, cv2.LINE_AA)
    for p in pts[11:]:
        if p is not None:
            cv2.circle(img, p, thick + 1, color, -1, cv2.LINE_AA)
    for joint in bad_joints:
        bones, vertex = joint_bones(joint)
        for a, b in bones:
            pa, pb = pts[a], pts[b]
            if pa is not None and pb is not None:
                cv2.line(img, pa, pb, BAD_COLOR, thick + 2, cv2.LINE_AA)
        if pts[vertex] is not None:
            cv2.circle(img, pts[vertex], 3 * thick + 2, BAD_COLOR, thick, cv2.LINE_AA)
    return img
