"""Shared by the bench scripts: machine facts, child processes with their peak memory, statistics.

Every figure a bench script prints comes with the date, the machine and the exact command, so a
line in BENCHMARKS.md can be traced back to a run.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO.parent / "shared" / "data" / "videos"


def machine_lines(packages: tuple[str, ...] = ("numpy", "mediapipe", "av", "h5py", "numba")) -> list[str]:
    """Date, CPU model, core count, load average, Python and package versions, the command line."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = ["?"]
    versions = ", ".join(f"{p} {md.version(p)}" for p in packages)
    return [
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {cpu}; nproc {os.cpu_count()} ({usable} usable); load avg {' '.join(load)}",
        f"python {platform.python_version()}, {versions}",
        f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}",
    ]


@dataclass(frozen=True)
class ChildRun:
    """One finished child process."""

    wall_s: float          # wall-clock seconds from start to exit
    peak_rss_mb: float     # the child's peak resident memory, MiB (ru_maxrss)
    cpu_s: float           # the child's user + system CPU seconds (all its threads); NaN if not measured
    returncode: int
    stdout: str
    stderr: str


#: Runs one command and reports its peak RSS and CPU time: RUSAGE_CHILDREN of a process with a
#: single child is exactly that child's ru_maxrss (KiB on Linux) and CPU seconds, printed after a
#: marker on stderr.
_LAUNCHER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print('\\n@@peak_rss_kb', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)")
_MARKER = "@@peak_rss_kb"


def run_child(cmd: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
              timeout_s: float = 3600, rss: bool = True) -> ChildRun:
    """Run a command to completion; its wall time and (with `rss`) its own peak RSS.

    Measuring RSS goes through a small launcher process (~20 ms); `rss=False` runs the command
    directly, for the tightest wall-clock figures, and reports NaN memory.
    """
    launcher = [sys.executable, "-c", _LAUNCHER] if rss else []
    started = time.perf_counter()
    proc = subprocess.run([*launcher, *cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s)
    wall = time.perf_counter() - started
    err, _, tail = proc.stderr.rpartition(_MARKER)
    fields = tail.split()
    peak_kb = float(fields[0]) if fields else float("nan")
    cpu_s = float(fields[1]) if len(fields) > 1 else float("nan")
    return ChildRun(wall, peak_kb / 1024.0, cpu_s, proc.returncode, proc.stdout, err.rstrip("\n"))


def stats(values: list[float]) -> tuple[float, float, float]:
    """(min, median, max)."""
    return min(values), statistics.median(values), max(values)


def fmt_stats(values: list[float], digits: int = 2) -> str:
    lo, mid, hi = stats(values)
    return f"{lo:.{digits}f} / {mid:.{digits}f} / {hi:.{digits}f}"


def python_for(root: Path) -> str:
    """The interpreter to run `python -m engine` from a source tree (its .venv, else ours)."""
    candidate = root / ".venv" / "bin" / "python"
    return str(candidate) if candidate.is_file() else sys.executable


def quiet_env() -> dict[str, str]:
    """Environment for child runs: no LLM, no native log chatter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.pop("ENGINE_NATIVE_LOGS", None)
    return env


def letterbox(rgb, size: tuple[int, int]):
    """Fit an (H, W, 3) uint8 frame inside `size` (width, height) on black, aspect kept, centred."""
    import cv2
    import numpy as np

    w, h = size
    scale = min(w / rgb.shape[1], h / rgb.shape[0])
    nw, nh = max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))
    out = np.zeros((h, w, 3), np.uint8)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def tiny_clips(workdir: Path, seconds: float = 5.0) -> tuple[Path, Path]:
    """The built-in sample pair (engine.demo) cut to its first `seconds`: inputs for --tiny runs.

    Made once per `workdir` and reused; needs no shared footage.
    """
    sys.path.insert(0, str(REPO))
    from engine.demo import make_demo
    from engine.io.encode import write_mp4
    from engine.io.video import audio, frames, probe

    workdir.mkdir(parents=True, exist_ok=True)
    out = (workdir / "tiny_teacher.mp4", workdir / "tiny_student.mp4")
    if all(p.is_file() for p in out):
        return out
    demo = workdir / "demo"
    if not (demo / "student.mp4").is_file():
        make_demo(demo)
    for role, target in zip(("teacher", "student"), out):
        src = demo / f"{role}.mp4"
        fps = probe(src).fps
        sr = 16000
        sound = audio(src, sr=sr)
        kept = (rgb for t, rgb in frames(src, fps=fps) if t < seconds)
        write_mp4(target, kept, fps, audio=None if sound is None else sound[: int(seconds * sr)], sr=sr)
    return out
