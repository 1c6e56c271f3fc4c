"""Style neighbours: the labelled clips a clip moves most like, and a style guess that says what it rests on.

    labelled = load_clip_windows(library.list_clips())
    guess = classify(window_features(perf.world, perf.fps), labelled)   # StyleGuess
    report = evaluate(labelled)                                        # leave-one-dancer-out

Distances are between window features (`engine.analysis.style_features`), z-scored over the
reference clips' windows: clip A to clip B is the mean, over A's windows, of the distance to
B's nearest window. The guess is a distance-weighted vote of the `K_NEIGHBOURS` nearest labelled
clips; its confidence is the winner's share of the vote. With labelled clips of fewer than
`MIN_STYLES` styles nothing is guessed: the result says what is missing. This is a nearest-
neighbour rule on a handful of clips, not a trained classifier; `evaluate` measures how far it
carries to a dancer it has never seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.analysis.style_features import window_features
from engine.core.errors import CacheError
from engine.library import ClipRow

#: Fewer labelled styles than this: no guess.
MIN_STYLES = 3
#: The nearest labelled clips that vote.
K_NEIGHBOURS = 3


@dataclass(frozen=True)
class ClipWindows:
    """A library clip's window features and labels."""

    sha256: str
    file_name: str
    dancer: str | None
    style: str | None
    windows: np.ndarray            # (W, F)

    @property
    def group(self) -> str:
        """Who danced it, for leave-one-dancer-out (an unlabelled dancer is their own clip)."""
        return f"dancer={self.dancer}" if self.dancer else f"clip={self.sha256}"


@dataclass(frozen=True)
class Neighbour:
    clip: str
    sha256: str
    style: str | None
    dancer: str | None
    distance: float

    def to_json(self) -> dict:
        return {"clip": self.clip, "sha256": self.sha256, "style": self.style, "dancer": self.dancer,
                "distance": round(self.distance, 3)}


@dataclass(frozen=True)
class StyleGuess:
    """A style guess (None when there is too little to go on: `missing` says why) with the nearest clips."""

    style: str | None
    confidence: float | None       # the winner's share of the neighbours' vote, 0..1
    neighbours: list[Neighbour]    # nearest labelled clips first
    labelled_clips: int            # labelled clips the guess rests on
    styles: dict[str, int]         # style -> labelled clips
    missing: str | None = None

    def to_json(self) -> dict:
        return {"style": self.style, "confidence": None if self.confidence is None else round(self.confidence, 3),
                "neighbours": [n.to_json() for n in self.neighbours], "labelled_clips": self.labelled_clips,
                "styles": self.styles, "missing": self.missing}


def load_clip_windows(clips: Sequence[ClipRow]) -> list[ClipWindows]:
    """The window features of library clips with their poses on disk (others are left out)."""
    from engine.io.store import load

    out = []
    for c in clips:
        if not c.has_poses:
            continue
        try:
            perf = load(c.cache_file, sha256=c.sha256, masks=False)
        except CacheError:
            continue
        w = window_features(perf.world, perf.fps)
        if len(w):
            out.append(ClipWindows(sha256=c.sha256, file_name=c.file_name, dancer=c.dancer, style=c.style, windows=w))
    return out


def _clip_distance(a: np.ndarray, b: np.ndarray) -> float:
    d = np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0))
    return float(d.min(axis=1).mean())


def neighbours(query: np.ndarray, reference: Sequence[ClipWindows]) -> list[Neighbour]:
    """Every reference clip, nearest first, by the z-scored window distance (query: (W, F))."""
    if not reference or len(query) == 0:
        return []
    allw = np.concatenate([r.windows for r in reference])
    mean, std = allw.mean(0), allw.std(0)
    std[std < 1e-9] = 1.0
    q = (query - mean) / std
    out = [Neighbour(clip=r.file_name, sha256=r.sha256, style=r.style, dancer=r.dancer,
                     distance=_clip_distance(q, (r.windows - mean) / std)) for r in reference]
    return sorted(out, key=lambda n: n.distance)


def classify(query: np.ndarray, clips: Sequence[ClipWindows], *, exclude_sha256: str | None = None,
             k: int = K_NEIGHBOURS) -> StyleGuess:
    """The style guess for window features `query` (W, F) from the labelled ones of `clips`."""
    labelled = [c for c in clips if c.style and c.sha256 != exclude_sha256]
    styles = dict(sorted(Counter(c.style for c in labelled).items()))
    near = neighbours(query, labelled)
    if len(query) == 0:
        return StyleGuess(None, None, [], len(labelled), styles,
                          missing=f"the clip has no window of {2:g} s or more with the dancer in view")
    if len(styles) < MIN_STYLES:
        have = ", ".join(f"{s} ({n})" for s, n in styles.items()) or "none"
        return StyleGuess(None, None, near, len(labelled), styles,
                          missing=f"needs labelled clips of at least {MIN_STYLES} styles to guess; the library has "
                                  f"{len(styles)}: {have}. Label more clips with a style (`library label SHA --style "
                                  "S`, or the Library page).")
    votes: dict[str, float] = {}
    for n in near[:k]:
        votes[n.style] = votes.get(n.style, 0.0) + 1.0 / (n.distance + 1e-6)
    style = max(votes, key=votes.get)
    return StyleGuess(style, votes[style] / sum(votes.values()), near, len(labelled), styles)


@dataclass
class Evaluation:
    """Leave-one-dancer-out: each labelled clip guessed from the clips of the other dancers."""

    guessed: int = 0
    correct: int = 0
    not_guessed: list[str] = field(default_factory=list)      # clips with too few styles left to guess
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)   # true -> guessed -> clips
    dancers: int = 0
    clips: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.guessed if self.guessed else None

    def to_json(self) -> dict:
        return {"accuracy": self.accuracy, "guessed": self.guessed, "correct": self.correct,
                "not_guessed": self.not_guessed, "confusion": self.confusion, "dancers": self.dancers,
                "clips": self.clips}

    def table(self) -> str:
        """The confusion table as text: rows the true style, columns the guess."""
        styles = sorted(set(self.confusion) | {g for row in self.confusion.values() for g in row})
        width = max([len(s) for s in styles] + [10])
        lines = [" " * width + "  " + " ".join(f"{s[:width]:>{width}}" for s in styles) + "   (rows: true, columns: guess)"]
        for t in styles:
            row = self.confusion.get(t, {})
            lines.append(f"{t[:width]:<{width}}  " + " ".join(f"{row.get(g, 0):>{width}}" for g in styles))
        return "\n".join(lines)


def evaluate(clips: Sequence[ClipWindows], *, k: int = K_NEIGHBOURS) -> Evaluation:
    """Leave-one-dancer-out accuracy of `classify` on the labelled `clips`."""
    labelled = [c for c in clips if c.style]
    ev = Evaluation(dancers=len({c.group for c in labelled}), clips=len(labelled))
    for c in labelled:
        others = [o for o in labelled if o.group != c.group]
        guess = classify(c.windows, others, k=k)
        if guess.style is None:
            ev.not_guessed.append(c.file_name)
            continue
        ev.guessed += 1
        ev.correct += guess.style == c.style
        row = ev.confusion.setdefault(c.style, {})
        row[guess.style] = row.get(guess.style, 0) + 1
    return ev
