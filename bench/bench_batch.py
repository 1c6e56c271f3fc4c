"""Throughput of `python -m engine batch` with 1 and 2 local workers and with 2 Dask workers, side by side;
peak memory per worker against clip length.

Usage::

    .venv/bin/python bench/bench_batch.py [--workdir DIR] [--long solo/red_skirt_folk_solo_70s_240p.mp4]

Throughput: the same clips (the two demo clips, solo/studio_bw_female_solo_10s.mp4 and
solo/male_white_shirt_solo_11s.mp4) are extracted from an empty cache by each setup in turn, in
one run: video seconds per wall second (the CLI's whole run: start-up, hashing, extraction,
library), and the ratio to 1 local worker. The Dask setup is a `dask scheduler` and two
`dask worker --nthreads 1` processes on 127.0.0.1 started by this script (their start-up is not
timed; the client's connection is). Local workers get DANCE_POSE_WORKERS = cores / workers, Dask
workers the default (every core), as a deployment would.

Memory: one local worker extracts a short clip (the demo teacher, 12 s) and then a long one
(--long, 70 s), each from an empty cache; the peak RSS of the largest process of each run (the
worker) is printed. The masks stream to disk, so it should not grow with the clip.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, machine_lines, quiet_env, run_child  # noqa: E402

sys.path.insert(0, str(REPO))

CLIPS = ("solo/studio_bw_female_solo_10s.mp4", "solo/male_white_shirt_solo_11s.mp4")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(logs: Path) -> tuple[str, list[subprocess.Popen]]:
    dask = str(Path(sys.executable).parent / "dask")
    env = {**quiet_env(), "PYTHONPATH": str(REPO)}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address",
                               f"127.0.0.1:{_free_port()}", "--no-show"], env=env, stdout=open(logs / "s.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)]
    for i in (1, 2):
        procs.append(subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                       "--no-nanny", "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}"],
                                      env=env, stdout=open(logs / f"w{i}.log", "wb"), stderr=subprocess.STDOUT,
                                      start_new_session=True))
    from distributed import Client

    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout=5, set_as_default=False) as c:
                c.wait_for_workers(2, timeout=60)
            return address, procs
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def worker_peaks_mb(address: str) -> list[float]:
    import resource

    from distributed import Client

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with Client(address, timeout=10, set_as_default=False) as c:
        return sorted(c.run(peak).values())


def stop(procs: list[subprocess.Popen]) -> None:
    import signal

    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def batch(paths: list[Path], cache: Path, *args: str, pose_workers: int | None = None):
    shutil.rmtree(cache, ignore_errors=True)
    env = {**quiet_env(), "DANCE_CACHE_DIR": str(cache)}
    if pose_workers is not None:
        env["DANCE_POSE_WORKERS"] = str(pose_workers)
    env.pop("DANCE_DASK_SCHEDULER", None)
    run = run_child([sys.executable, "-m", "engine", "batch", *map(str, paths), "--quiet", *args], env=env)
    if run.returncode != 0:
        raise SystemExit(f"batch {args} failed ({run.returncode}): {run.stderr[-2000:]}")
    return run, json.loads(run.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--long", default="solo/red_skirt_folk_solo_70s_240p.mp4")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true")
    ap.add_argument("--pose-workers", type=int, default=None,
                    help="DANCE_POSE_WORKERS for the memory runs (1: one pose graph at a time, so only the "
                         "clip's length differs; default: the worker's share of the cores)")
    args = ap.parse_args()
    for line in machine_lines(("numpy", "mediapipe", "av", "dask", "distributed")):
        print(line)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    from engine.demo import make_demo

    make_demo(work / "demo")
    paths = [work / "demo" / "teacher.mp4", work / "demo" / "student.mp4", *(SHARED_VIDEOS / c for c in CLIPS)]
    paths = [p for p in paths if p.is_file()]
    if not args.memory_only:
        throughput(paths, work)
    if args.skip_memory:
        return
    print(f"\nmemory against clip length (1 local worker, empty cache each time, DANCE_POSE_WORKERS "
          f"{args.pose_workers or 'default'}):")
    for clip in (work / "demo" / "teacher.mp4", SHARED_VIDEOS / args.long):
        if not clip.is_file():
            print(f"  {clip}: missing")
            continue
        run, out = batch([clip], work / "cache-mem", "--workers", "1", pose_workers=args.pose_workers)
        print(f"  {clip.name}: {out['video_s_extracted']:.1f} s of video, {out['frames_extracted']} frames: peak RSS "
              f"{run.peak_rss_mb:.0f} MiB (largest process), wall {run.wall_s:.1f} s", flush=True)


def throughput(paths: list[Path], work: Path) -> None:
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    address, procs = start_cluster(logs)
    rows = []
    try:
        for name, extra in (("1 local worker", ["--workers", "1"]), ("2 local workers", ["--workers", "2"]),
                            ("2 Dask workers", ["--scheduler", address])):
            run, out = batch(paths, work / "cache", *extra)
            video_s = out["video_s_extracted"]
            peak = worker_peaks_mb(address) if "Dask" in name else [run.peak_rss_mb]
            rows.append((name, video_s, run.wall_s, video_s / run.wall_s, peak))
            print(f"{name}: {video_s:.1f} s of video in {run.wall_s:.1f} s wall -> {video_s / run.wall_s:.2f} "
                  f"video s / wall s; peak RSS {', '.join(f'{p:.0f}' for p in peak)} MiB", flush=True)
    finally:
        stop(procs)
    base = rows[0][3]
    print("\n| setup | video s | wall s | video s / wall s | vs 1 local worker | peak RSS per worker (MiB) |")
    print("|---|---|---|---|---|---|")
    for name, video_s, wall, tput, peak in rows:
        print(f"| {name} | {video_s:.1f} | {wall:.1f} | {tput:.2f} | {tput / base:.2f}x | "
              f"{', '.join(f'{p:.0f}' for p in peak)} |")


if __name__ == "__main__":
    main()
