"""Benchmark: the Library page with 1,000 clips and 5,000 comparisons (generated).

Usage::

    .venv/bin/python bench/bench_library.py [--clips 1000] [--comparisons 5000] [--repeats 5]
        [--url SQLALCHEMY_URL] [--db-dir DIR]

Fills a new library database (default: SQLite in a temporary folder; --url for another, e.g. a
PostgreSQL database, which must be empty) with generated clips (labelled with 10 routines and 40
dancers) and comparisons (each with a report JSON of 300 timeline points, about the size of a real
one's), then times, after one untimed warm-up:

* ``queries``: what one page run asks the database: label values, the clips list (with counts),
  all comparisons (newest first) and one dancer's history;
* ``page``: one whole run of app_pages/2_Library.py under streamlit.testing.v1.AppTest (the script's
  work and all of its elements; the browser's drawing is not included);
* ``open report``: get_report of one comparison.

min / median / max over --repeats. The target is the page within 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, fmt_stats, machine_lines  # noqa: E402

sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from engine.core.settings import COMPONENTS  # noqa: E402
from engine.library import LOCAL_ADMIN, ClipFilter, Library  # noqa: E402
from engine.library._connect import write_transaction  # noqa: E402
from engine.library._schema import clips, comparisons  # noqa: E402

JOINTS = ("left_elbow", "right_elbow", "left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee",
          "right_knee", "neck", "torso")


def fake_report(rng: random.Random, teacher: dict, student: dict, overall: float, points: int = 300) -> dict:
    comps = {c: round(min(100.0, max(0.0, overall + rng.uniform(-15, 15))), 1) for c in COMPONENTS}
    return {
        "report_version": 1,
        "teacher": {"file": teacher["file_name"], "sha256": teacher["sha256"], "fps": 30.0, "duration_s": 20.0,
                    "frames_analyzed": 600, "detected_ratio": 0.95, "active_s": [0.2, 19.8]},
        "student": {"file": student["file_name"], "sha256": student["sha256"], "fps": 30.0, "duration_s": 20.0,
                    "frames_analyzed": 600, "detected_ratio": 0.93, "active_s": [0.1, 19.7]},
        "sync": {"method": "audio", "offset_s": 0.4, "confidence": 0.9},
        "mirror": False,
        "alignment": {"pairs_s": [[round(i * 0.066, 2), round(i * 0.066, 2)] for i in range(points)], "cost": 0.1,
                      "backend": "exact"},
        "scores": {"overall": overall, "scale": "", "components": comps,
                   "joints": {j: round(rng.uniform(30, 100), 1) for j in JOINTS}},
        "timeline": [{"teacher_s": round(i * 0.066, 2), "student_s": round(i * 0.066, 2),
                      "score": round(rng.uniform(40, 100), 1)} for i in range(points)],
        "beats_s": [],
        "moments": [{"teacher_s": [3.0, 3.5], "student_s": [2.6, 3.1], "kind": "form", "joint": "left_elbow",
                     "error_deg": 30.0, "late_s": None, "teacher_count": None, "detail": "left arm lower"}] * 5,
        "feedback": {"source": "rules", "text": "Keep going."},
    }


def fill(lib: Library, n_clips: int, n_comparisons: int, seed: int = 0) -> None:
    """Bulk-insert generated rows (one transaction each table; the API's per-row path is what the
    tests cover)."""
    import json

    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    clip_rows = []
    for i in range(n_clips):
        clip_rows.append({
            "id": i + 1, "sha256": f"{i:064x}", "file_name": f"clip_{i:04d}.mp4", "duration_s": 20.0, "fps": 30.0,
            "frames": 600, "detected_ratio": 0.95, "extractor_fingerprint": "bench", "cache_file": None,
            "video_path": None, "video_owned": False, "routine": f"Routine {i % 10}", "dancer": f"Dancer {i % 40}",
            "style": ("salsa", "hip-hop", "ballet", "k-pop")[i % 4], "tags": "bench",
            "added_at": t0 + timedelta(minutes=i)})
    cmp_rows = []
    for k in range(n_comparisons):
        t, s = clip_rows[rng.randrange(10)], clip_rows[10 + rng.randrange(n_clips - 10)]
        overall = round(rng.uniform(40, 95), 1)
        report = fake_report(rng, t, s, overall)
        cmp_rows.append({
            "teacher_id": t["id"], "student_id": s["id"], "settings_fingerprint": "bench", "overall": overall,
            "components": report["scores"]["components"], "joints": report["scores"]["joints"],
            "sync_method": "audio", "sync_offset_s": 0.4, "mirror": False, "moments_count": 5,
            "report": json.dumps(report, separators=(",", ":")), "created_at": t0 + timedelta(hours=k),
            "source": ("upload", "live", "cli")[k % 3]})
    with write_transaction(lib._engine) as conn:   # noqa: SLF001 (bench only: bulk load)
        conn.execute(insert(clips), clip_rows)
        conn.execute(insert(comparisons), cmp_rows)


def time_it(fn, repeats: int) -> list[float]:
    fn()   # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--comparisons", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--url", help="an empty database (default: SQLite in --db-dir or a temporary folder)")
    ap.add_argument("--db-dir", help="folder of the SQLite file (default: a new temporary folder)")
    args = ap.parse_args()
    folder = Path(args.db_dir or tempfile.mkdtemp(prefix="bench-library-"))
    url = args.url or f"sqlite:///{folder / 'library.db'}"
    lib = Library(url, user=LOCAL_ADMIN)
    if lib.counts() != (0, 0):
        print(f"error: {url} is not empty", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    fill(lib, args.clips, args.comparisons)
    fill_s = time.perf_counter() - t0
    n_clips, n_cmp = lib.counts()

    def queries() -> None:
        lib.label_values()
        lib.list_clips(ClipFilter())
        lib.list_comparisons()
        lib.history("Routine 3", "Dancer 13")

    q = time_it(queries, args.repeats)
    r = time_it(lambda: lib.get_report(n_cmp // 2), args.repeats)

    from streamlit.testing.v1 import AppTest

    os.environ["DANCE_DB_URL"] = url
    at = AppTest.from_file(str(REPO / "app_pages" / "2_Library.py"), default_timeout=120)

    def page() -> None:
        at.run()
        if at.exception or at.error:
            raise SystemExit(f"the page failed: {at.exception or [e.value for e in at.error]}")

    p = time_it(page, args.repeats)
    size = folder / "library.db"
    for line in machine_lines(("sqlalchemy", "streamlit", "pandas")):
        print(line)
    print(f"database: {url.split('@')[-1]}; {n_clips} clips, {n_cmp} comparisons; filled in {fill_s:.1f} s"
          + (f"; file {size.stat().st_size / 1e6:.0f} MB" if size.is_file() else ""))
    print(f"queries of one page run: {fmt_stats(q)}")
    print(f"page run (AppTest):      {fmt_stats(p)}")
    print(f"open one stored report:  {fmt_stats(r)}")
    print(f"page within 1 s: {'yes' if max(p) <= 1.0 else 'NO'} (max {max(p):.3f} s)")
    lib.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
