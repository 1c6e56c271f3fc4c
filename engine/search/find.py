"""Which routine of the library is this clip, and where in it? (`python -m engine find`, the Library page)

    routines = load_routines(library.list_clips(), cache_dir=cache)     # each clip's search features
    result = find_routine(perf.world, perf.t, routines, top=5, exclude_sha256=perf.source.sha256)
    result.matches[0].teacher_s, result.matches[0].mirror, result.no_match

Every library clip is a candidate routine; the query is searched in each with subsequence DTW
(`engine.analysis.subsequence`), as danced and mirrored, and the places are ranked by their
length-normalised cost. The best place above `NO_MATCH_COST` means the clip dances none of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.analysis.subsequence import SEARCH_FPS, best_places, distinct, pose_track_features
from engine.core.errors import CacheError, EngineError
from engine.library import ClipRow

#: A best match costing more than this (mean distance per step, torso lengths, over 12 joints x 3
#: coordinates) is "no match". Set between the costs of true and foreign windows on the shared
#: footage (bench/bench_find.py; ACCURACY.md has both distributions).
NO_MATCH_COST = 1.0
#: Queries shorter than this cannot be placed reliably, seconds.
MIN_QUERY_S = 2.0


@dataclass(frozen=True)
class Routine:
    """A library clip ready to be searched: its labels and its features (as danced, `SEARCH_FPS`)."""

    sha256: str
    file_name: str
    routine: str | None
    dancer: str | None
    style: str | None
    t0: float                 # seconds of the first feature row
    features: np.ndarray      # (F, 36) float32

    @property
    def duration_s(self) -> float:
        return len(self.features) / SEARCH_FPS


@dataclass(frozen=True)
class Match:
    """One place a query dances: the clip, the span of the clip's time, mirrored or not, the cost."""

    clip: str
    sha256: str
    routine: str | None
    teacher_s: tuple[float, float]
    mirror: bool
    cost: float

    def to_json(self) -> dict:
        return {"clip": self.clip, "sha256": self.sha256, "routine": self.routine,
                "teacher_s": [round(self.teacher_s[0], 2), round(self.teacher_s[1], 2)],
                "mirror": self.mirror, "cost": round(self.cost, 4)}


@dataclass(frozen=True)
class FindResult:
    """The best places, best first (`matches`: those under the no-match cost; `nearest`: the
    best places whatever their cost, for showing why nothing matched)."""

    matches: list[Match]
    nearest: list[Match]
    searched: int                       # clips searched
    skipped: list[str] = field(default_factory=list)   # clips without poses on disk

    @property
    def no_match(self) -> bool:
        return not self.matches

    def to_json(self) -> dict:
        return {"matches": [m.to_json() for m in self.matches], "no_match": self.no_match,
                "nearest": [m.to_json() for m in self.nearest[:3]], "searched": self.searched,
                "no_match_cost": NO_MATCH_COST, "skipped": self.skipped}


def routine_from_track(world: np.ndarray, t: np.ndarray, *, sha256: str, file_name: str,
                       routine: str | None = None, dancer: str | None = None, style: str | None = None) -> Routine:
    """A `Routine` from a pose track (world (N, 33, 4) metres, t (N,) seconds)."""
    feats = pose_track_features(world, t)
    return Routine(sha256=sha256, file_name=file_name, routine=routine, dancer=dancer, style=style,
                   t0=float(t[0]) if len(t) else 0.0, features=feats)


def load_routines(clips: Sequence[ClipRow], *,
                  cache_dir: str | os.PathLike[str] | None = None) -> tuple[list[Routine], list[str]]:
    """The searchable routines of library clips (from their pose cache files), and the file names
    of those left out (no poses on disk, or nobody detected)."""
    from engine.io.store import load

    routines, skipped = [], []
    for c in clips:
        if not c.has_poses:
            skipped.append(c.file_name)
            continue
        try:
            perf = load(c.cache_file, sha256=c.sha256, masks=False)
        except CacheError:
            skipped.append(c.file_name)
            continue
        r = routine_from_track(perf.world, perf.t, sha256=c.sha256, file_name=c.file_name, routine=c.routine,
                               dancer=c.dancer, style=c.style)
        if len(r.features) and np.isfinite(r.features).all():
            routines.append(r)
        else:
            skipped.append(c.file_name)
    return routines, skipped


def find_routine(world: np.ndarray, t: np.ndarray, routines: Sequence[Routine], *, top: int = 5,
                 exclude_sha256: str | None = None) -> FindResult:
    """Where the pose track (world (N, 33, 4), t (N,) seconds) is danced in `routines`.

    Tries the query as danced and mirrored in every routine (skipping `exclude_sha256`, the
    query's own clip), keeps each routine's best places at least half the query apart, and ranks
    all of them by cost. Raises `EngineError` for a query too short or without a dancer.
    """
    if top < 1:
        raise EngineError(f"--top must be at least 1, got {top}")
    t = np.asarray(t, dtype=np.float64)
    if len(t) < 2 or t[-1] - t[0] < MIN_QUERY_S:
        raise EngineError(f"the clip is too short to place in a routine (under {MIN_QUERY_S:g} s)")
    queries = {m: pose_track_features(world, t, mirror=m) for m in (False, True)}
    if not np.isfinite(queries[False]).all():
        raise EngineError("nobody was detected in the clip, so it cannot be placed in a routine")
    n = len(queries[False])
    candidates: list[Match] = []
    searched = 0
    for r in routines:
        if r.sha256 == exclude_sha256 or len(r.features) < max(2, n // 2):
            continue
        searched += 1
        places = sorted(((p, m) for m, q in queries.items() for p in best_places(q, r.features, top=top)),
                        key=lambda pm: pm[0].cost)
        kept: list = []
        for p, m in places:       # as danced and mirrored: one entry per place
            if all(distinct(p, k, max(1, n // 2)) for k, _ in kept):
                kept.append((p, m))
        for p, m in kept[:top]:
            candidates.append(Match(clip=r.file_name, sha256=r.sha256, routine=r.routine, mirror=m, cost=p.cost,
                                    teacher_s=(r.t0 + p.start / SEARCH_FPS, r.t0 + (p.stop + 1) / SEARCH_FPS)))
    candidates.sort(key=lambda c: c.cost)
    nearest = candidates[:top]
    return FindResult(matches=[c for c in nearest if c.cost <= NO_MATCH_COST], nearest=nearest, searched=searched)
