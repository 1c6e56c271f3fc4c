"""Accuracy and speed of `find` ("which routine is this, and where?").

Usage::

    .venv/bin/python bench/bench_find.py [--windows 6] [--seed 1] [--cache-dir DIR] [--routines 100]

Accuracy, on the shared footage (../shared/data/videos; poses extracted once into --cache-dir):

* the library: the `LIBRARY` clips; `HELD_OUT` clips are dances not in it;
* positives: per library clip of 8 s or more, --windows random windows of 4-8 s of its pose track,
  each also mirrored, each disturbed as a new recording would be: tempo changed by 0.9-1.1x
  (resampled), the body turned by -30..30 degrees about the vertical, scaled 0.85-1.15x and jittered
  by 1.5 cm per landmark. A window is found when the best match is its own clip, starting within
  +-0.3 s of the window's true start (mirror reported separately);
* real cuts: `aist/..._ch01_first3s.mp4` is the first 3.09 s of `..._full12s_gt_overlay.mp4`
  (another encoding, a skeleton drawn over it), and `pairs/feelsreal_dancerA_trim_aligned.mp4` is
  the source repository's own cut of `pairs/feelsreal_dancerA.mp4` from 3.03 s; each is queried
  as a video of its own (its own pose extraction) and must be found at its start;
* negatives: windows of the `HELD_OUT` clips must come back as "no match".

Speed: --routines generated routines of 60 s (smooth random pose features at 10 frames/s), one
8-s query, `find_routine` timed after one untimed warm-up (numba compiled), min / median / max of 5.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, fmt_stats, machine_lines  # noqa: E402

sys.path.insert(0, str(REPO))

from engine.analysis.normalize import mirror_world  # noqa: E402
from engine.io.store import load_or_extract  # noqa: E402
from engine.search.find import NO_MATCH_COST, Routine, find_routine, routine_from_track  # noqa: E402

LIBRARY = (
    "pairs/callme404_teacher_douyin.mp4", "pairs/callme404_student_studio.mp4", "pairs/feelsreal_dancerA.mp4",
    "pairs/feelsreal_dancerB.mp4", "solo/red_skirt_folk_solo_70s_240p.mp4", "solo/studio_cropTop_solo_23s.mp4",
    "aist/gBR_sBM_c01_d04_mBR0_ch01_full12s_gt_overlay.mp4", "aist/gBR_sBM_c01_d04_mBR0_ch03_first3s.mp4",
)
HELD_OUT = ("solo/male_white_shirt_solo_11s.mp4", "solo/studio_bw_female_solo_10s.mp4",
            "solo/bathroom_solo_take1_18s.mp4")
REAL_CUTS = (("aist/gBR_sBM_c01_d04_mBR0_ch01_first3s.mp4", "aist/gBR_sBM_c01_d04_mBR0_ch01_full12s_gt_overlay.mp4", 0.0),
             ("pairs/feelsreal_dancerA_trim_aligned.mp4", "pairs/feelsreal_dancerA.mp4", 3.03))
TOLERANCE_S = 0.3


def rotate_y(world: np.ndarray, degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    out = world.copy()
    x, z = world[..., 0], world[..., 2]
    out[..., 0] = c * x + s * z
    out[..., 2] = -s * x + c * z
    return out


def disturbed_window(world: np.ndarray, t: np.ndarray, start_s: float, length_s: float, mirror: bool,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A window of a pose track as another recording of it might give it (see the module doc)."""
    tempo = rng.uniform(0.9, 1.1)                      # the query plays `tempo` times as fast
    fps = 30.0
    n = int(round(length_s / tempo * fps))
    src_t = start_s + np.arange(n) / fps * tempo       # source times of the query's frames
    rows = np.clip(np.searchsorted(t, src_t), 0, len(t) - 1)
    w = world[rows].copy()
    w = rotate_y(w, rng.uniform(-30, 30))
    w[..., :3] *= rng.uniform(0.85, 1.15)
    w[..., :3] += rng.normal(0, 0.015, w[..., :3].shape).astype(np.float32)
    if mirror:
        w = mirror_world(w)
    return w.astype(np.float32), (np.arange(n) / fps).astype(np.float32)


def accuracy(cache_dir: str, windows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    perfs = {}
    for rel in (*LIBRARY, *HELD_OUT, *(q for q, _, _ in REAL_CUTS)):
        if (SHARED_VIDEOS / rel).is_file():
            perfs[rel] = load_or_extract(SHARED_VIDEOS / rel, cache_dir=cache_dir, masks=False)
    routines = [routine_from_track(perfs[r].world, perfs[r].t, sha256=perfs[r].source.sha256, file_name=r)
                for r in LIBRARY if r in perfs]
    print(f"library: {len(routines)} clips, {sum(r.duration_s for r in routines):.0f} s; no-match cost "
          f"{NO_MATCH_COST}")
    rows = []
    pos_costs, neg_costs = [], []
    for rel in LIBRARY:
        p = perfs.get(rel)
        if p is None or p.t[-1] < 8.0:
            continue
        for _ in range(windows):
            for mirror in (False, True):
                length = rng.uniform(4.0, 8.0)
                start = rng.uniform(p.t[0], p.t[-1] - length)
                w, wt = disturbed_window(p.world, p.t, start, length, mirror, rng)
                res = find_routine(w, wt, routines, top=5)
                best = res.nearest[0]
                err = best.teacher_s[0] - start
                found = best.clip == rel and abs(err) <= TOLERANCE_S and not res.no_match
                rows.append((rel, mirror, found, best.mirror == mirror, err if best.clip == rel else None))
                pos_costs.append(best.cost)
    neg_found = []
    for rel in HELD_OUT:
        p = perfs.get(rel)
        if p is None:
            continue
        for _ in range(windows):
            for mirror in (False, True):
                length = rng.uniform(4.0, 8.0)
                start = rng.uniform(p.t[0], p.t[-1] - length)
                w, wt = disturbed_window(p.world, p.t, start, length, mirror, rng)
                res = find_routine(w, wt, routines, top=5)
                neg_found.append(res.no_match)
                neg_costs.append(res.nearest[0].cost)
    n = len(rows)
    found = sum(r[2] for r in rows)
    print(f"\npositives: {found}/{n} found in the right clip within +-{TOLERANCE_S} s "
          f"({100 * found / n:.1f} %); mirror right in {sum(r[3] for r in rows)}/{n}")
    for mirror in (False, True):
        sub = [r for r in rows if r[1] == mirror]
        print(f"  {'mirrored' if mirror else 'as danced'}: {sum(r[2] for r in sub)}/{len(sub)}")
    errs = [abs(r[4]) for r in rows if r[4] is not None]
    print(f"  |start error| when the clip is right: median {np.median(errs):.2f} s, max {max(errs):.2f} s")
    print("| clip | windows | found | as danced | mirrored |")
    print("|---|---|---|---|---|")
    for rel in LIBRARY:
        sub = [r for r in rows if r[0] == rel]
        if sub:
            print(f"| {rel} | {len(sub)} | {sum(r[2] for r in sub)} | {sum(r[2] for r in sub if not r[1])} | "
                  f"{sum(r[2] for r in sub if r[1])} |")
    print(f"negatives (dances not in the library): {sum(neg_found)}/{len(neg_found)} reported as no match")
    print(f"best-match cost: positives {fmt_stats(pos_costs)}; negatives {fmt_stats(neg_costs)} (min / median / max)")
    print("\nreal cuts (their own video and pose extraction):")
    for query, source, true_start in REAL_CUTS:
        if query not in perfs:
            print(f"  {query}: missing")
            continue
        q = perfs[query]
        res = find_routine(q.world, q.t, routines, top=3)
        best = res.nearest[0]
        ok = best.clip == source and abs(best.teacher_s[0] - true_start) <= TOLERANCE_S and not res.no_match
        print(f"  {query} -> {best.clip} {best.teacher_s[0]:.2f}-{best.teacher_s[1]:.2f} s (true start "
              f"{true_start:.2f}), cost {best.cost:.3f}: {'found' if ok else 'MISSED'}")


def speed(n_routines: int, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def smooth_walk(n: int) -> np.ndarray:
        x = np.cumsum(rng.normal(0, 0.05, (n, 36)), axis=0)
        return (x - x.mean(0)).astype(np.float32)
    routines = [Routine(sha256=f"{k:064x}", file_name=f"gen{k}.mp4", routine=None, dancer=None, style=None, t0=0.0,
                        features=smooth_walk(600)) for k in range(n_routines)]
    from tests.factories import dance_clip
    query = dance_clip(240, seed=seed)                       # 8 s at 30 frames/s
    t = (np.arange(240) / 30.0).astype(np.float32)
    find_routine(query, t, routines[:2])                     # warm-up: numba compiled / loaded
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        find_routine(query, t, routines)
        times.append(time.perf_counter() - t0)
    print(f"\nspeed: {n_routines} routines x 60 s, one 8-s query, as danced and mirrored: {fmt_stats(times)} s "
          "(min / median / max of 5)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=6, help="windows per clip (each also mirrored)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache-dir", default=str(REPO / "cache" / "bench"), help="pose cache of the shared clips")
    ap.add_argument("--routines", type=int, default=100)
    ap.add_argument("--skip-accuracy", action="store_true")
    args = ap.parse_args()
    for line in machine_lines():
        print(line)
    if not args.skip_accuracy:
        accuracy(args.cache_dir, args.windows, args.seed)
    speed(args.routines, args.seed)


if __name__ == "__main__":
    main()
