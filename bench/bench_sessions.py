"""Many people practising at once: N concurrent browser sessions through upload -> result, and a
short clip queued behind a long one.

1. **Sessions** (``--sessions 1,4,8``): one `streamlit run app.py` server (its own cache and
   library), one headless Chromium with N separate contexts (N people). Every session drops the
   sample teacher (the same routine for all: one shared extraction) and its own student clip
   (`engine.demo.make_demo` with seed k: N different students), all at once, and waits for the
   result heading. Per N: median and p95 seconds from the drop to the result; the longest any
   page waited for the server (`server_waits`, from the server's own log of its websocket
   traffic: from a message the page sent to the server's answer, and between the server's
   messages while a script run for that page is in progress), beside the longest gap between
   server messages as the page's client saw them (which also counts the browser's and the
   measuring client's own time on these 2 cores) and the slowest upload request; errors shown on
   the pages; the server's peak resident memory (VmHWM). N = 1 runs first in the
   same run: the baseline for the ratios.
2. **Short behind long** (``--fairness``): with one pose worker, a long clip (3 segments) is being
   extracted when a 2.6-s clip arrives; how long until the short one's first frames are tracked
   and until it is done, with the fair pose pool (`engine.core.fair.FairExecutor`), with a
   first-in first-out pool (the one before it), and through the pages' own path (extraction jobs
   sent to the pose process, `ui.job_view.shared_pose_process`) side by side, against one
   segment's time.

    .venv/bin/python bench/bench_sessions.py --sessions 1,4,8 [--seconds 6] [--browser-nice 19] [--fairness]

``--browser-nice 19`` runs Chromium at that niceness, and its autogroups too (see
`BrowsersKeptNice`): the pages then take only the CPU the server leaves, as browsers on the
dancers' own computers would.

Needs /usr/bin/chromium (sessions) and ../shared/data/videos (fairness). Prints lines for
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import Future
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, machine_lines, quiet_env  # noqa: E402

sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULT_TIMEOUT_S = 1800
#: A dropped clip's chip must show within this many seconds, else it is dropped again (up to DROP_TRIES).
CHIP_S, DROP_TRIES = 60, 3
#: --settle: drop the clips only once the first visit's side-by-side video is drawn too.
SETTLE = False
#: --browser-nice: the browser's niceness (0: the server's priority, as the pages compete for the
#: same 2 cores; 19: the pages take only what the server leaves, closer to browsers on their own
#: computers).
BROWSER_NICE = 0


class BrowsersKeptNice:
    """While open, every Chromium process's autogroup is kept at BROWSER_NICE (checked every
    0.5 s, so renderers started later are caught too).

    Linux with `kernel.sched_autogroup_enabled` (this machine) shares the CPU first between
    autogroups (one per session) and only then by niceness inside each; Chromium starts its
    helpers (zygotes, renderers) in sessions of their own. A niceness alone therefore leaves the
    browsers an equal share beside the server's whole group (the server, its job children and the
    pose process together); the autogroup's own nice value is what makes them yield."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="browsers-kept-nice", daemon=True)
        self.groups: set[str] = set()

    def __enter__(self) -> BrowsersKeptNice:
        if BROWSER_NICE and Path("/proc/self/autogroup").exists():
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for proc in Path("/proc").iterdir():
                try:
                    if not proc.name.isdigit() or "chromium" not in os.readlink(proc / "exe"):
                        continue
                    group = (proc / "autogroup").read_text().split()
                    if group[-1] != str(BROWSER_NICE):
                        (proc / "autogroup").write_text(str(BROWSER_NICE))
                    self.groups.add(group[0])
                except OSError:          # ended meanwhile, or not ours
                    continue


def browser_executable(workdir: Path) -> str:
    """Chromium, or a launcher that runs it at BROWSER_NICE (see also BrowsersKeptNice)."""
    if not BROWSER_NICE:
        return CHROMIUM
    launcher = workdir / f"chromium-nice{BROWSER_NICE}"
    launcher.write_text(f'#!/bin/sh\nexec nice -n {BROWSER_NICE} {CHROMIUM} "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)


# --- 1. concurrent sessions -----------------------------------------------------------------

def student_clips(workdir: Path, n: int, seconds: float | None) -> tuple[Path, list[Path]]:
    """The sample teacher and n different sample students (seeds 0..n-1), cut to `seconds`."""
    from engine.demo import make_demo
    from engine.io.encode import write_mp4
    from engine.io.video import audio, frames, probe

    def cut(src: Path, dst: Path) -> Path:
        if seconds is None:
            return src
        if not dst.is_file():
            fps, sr = probe(src).fps, 16000
            sound = audio(src, sr=sr)
            write_mp4(dst, (rgb for t, rgb in frames(src, fps=fps) if t < seconds), fps,
                      audio=None if sound is None else sound[: int(seconds * sr)], sr=sr)
        return dst

    students = []
    for k in range(n):
        folder = workdir / f"demo{k}"
        if not (folder / "student.mp4").is_file():
            make_demo(folder, seed=k)
        students.append(cut(folder / "student.mp4", workdir / f"student{k}.mp4"))
    return cut(workdir / "demo0" / "teacher.mp4", workdir / "teacher.mp4"), students


def start_server(cache: Path, port: int, probe_log: Path) -> subprocess.Popen:
    """`streamlit run app.py` on `port`, logging its websocket traffic to `probe_log`."""
    env = quiet_env() | {"DANCE_CACHE_DIR": str(cache), "DANCE_DB_URL": f"sqlite:///{cache / 'library.db'}",
                         "DANCE_PROBE_LOG": str(probe_log)}
    cmd = [sys.executable, str(Path(__file__).with_name("_probed_streamlit.py")), "run", "app.py",
           "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024
    return float("nan")


def children_peak_rss_mb(pid: int) -> tuple[int, float]:
    """The server's child processes (`ui.child_processes`, the spawn helper): how many, and the sum
    of their peak resident memories (an upper bound of their peak together), MiB."""
    kids = [int(k) for task in Path(f"/proc/{pid}/task").iterdir()
            for k in (task / "children").read_text().split()]
    peaks = []
    for kid in kids:
        try:
            peaks.append(peak_rss_mb(kid))
        except OSError:   # ended meanwhile
            pass
    return len(peaks), sum(peaks)


def server_waits(probe_log: Path, t0: float, t1: float) -> dict:
    """The longest the server kept any page waiting between t0 and t1 (monotonic s), from the
    server's own log (`_probed_streamlit.py`: when it took each message and wrote each answer).

    Per session, two waits count: from a message the page sent that asks for an answer (a rerun
    for a dropped clip, a request for upload URLs) to the server's next message to that page,
    and the gaps between the server's messages while one of its script runs for the page is in
    progress (from its `new_session` to its `script_finished`). The browser's own time (drawing,
    uploading) and the measuring client's are not in it.

    Returns {"server_wait_s": the longest wait, "at_s": when it began (s after t0), "what": which
    kind it was}.
    """
    sessions: dict[str, list[tuple[float, str, str]]] = {}
    for line in probe_log.read_text().splitlines():
        t, session, direction, kind = line.split()
        if t0 <= float(t) <= t1:
            sessions.setdefault(session, []).append((float(t), direction, kind))
    waits: list[tuple[float, float, str]] = [(0.0, 0.0, "-")]      # (wait, began, what was awaited)
    for events in sessions.values():
        asked: tuple[float, str] | None = None
        running, last = False, None
        for t, direction, kind in events:
            if direction == "recv":
                if kind in ("rerun_script", "file_urls_request") and asked is None:
                    asked = (t, kind)
                continue
            if asked is not None:
                waits.append((t - asked[0], asked[0] - t0, f"answer to {asked[1]}"))
                asked = None
            if running and last is not None:
                waits.append((t - last, last - t0, f"inside a run, before {kind}"))
            last = t
            if kind == "new_session":
                running = True
            elif kind == "script_finished":
                running = False
        if asked is not None:        # never answered within the window
            waits.append((t1 - asked[0], asked[0] - t0, f"no answer to {asked[1]}"))
    wait, at, what = max(waits)
    return {"server_wait_s": wait, "at_s": at, "what": what}


def longest_quiet_gap(received: list[float], t0: float, t1: float) -> float:
    """The longest time (s) between t0 and t1 in which the page's client saw no server message:
    the server's waits plus the browser's and the measuring client's own time."""
    times = [t0, *(t for t in received if t0 <= t <= t1), t1]
    return max(b - a for a, b in zip(times, times[1:]))


async def drop(page, zone, clip: Path) -> int:
    """Drop `clip` on `zone` until its chip shows (a drop while the page redraws the zone can be
    lost, as for a person, who drops it again); returns how many extra drops it took."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for extra in range(DROP_TRIES):
        await zone.set_input_files(str(clip))
        try:
            await page.get_by_text(clip.name).first.wait_for(timeout=CHIP_S * 1000)
            return extra
        except PlaywrightTimeout:
            continue
    raise RuntimeError(f"{clip.name} never showed as dropped after {DROP_TRIES} drops")


async def one_session(browser, url: str, teacher: Path, student: Path, ready: list, start: asyncio.Event) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(600_000)     # a loaded 2-core machine: slow, which is what is measured
    page = await context.new_page()
    received: list[float] = []
    uploads: list[float] = []

    page.on("websocket", lambda ws: ws.on("framereceived", lambda _payload: received.append(time.monotonic())))
    upload_problems: list[str] = []     # what went wrong with upload requests, for a lost drop's error
    page.on("requestfinished", lambda r: uploads.append(r.timing["responseEnd"] - r.timing["requestStart"])
            if "upload_file" in r.url and r.timing.get("responseEnd", -1) >= 0 else None)
    page.on("requestfailed", lambda r: upload_problems.append(f"{r.method} failed: {r.failure}")
            if "upload_file" in r.url else None)
    page.on("response", lambda r: upload_problems.append(f"{r.request.method} HTTP {r.status}")
            if "upload_file" in r.url and r.status >= 400 else None)
    await page.goto(url)
    await page.get_by_role("heading", name="Dance compare").wait_for(timeout=300_000)
    # The first visit draws the samples' comparison; wait until that run is over.
    await page.get_by_role("heading", name="Result:").first.wait_for(timeout=RESULT_TIMEOUT_S * 1000)
    if SETTLE:   # also wait for the samples' side-by-side video (its render job) to be drawn
        await page.locator("video").first.wait_for(timeout=RESULT_TIMEOUT_S * 1000)
    ready.append(page)
    await start.wait()
    zones = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    dropped = time.monotonic()
    heading = page.get_by_role("heading", name=f"Result: {teacher.name} (teacher) vs {student.name} (student)")
    error, redrops = None, 0
    try:
        redrops = await drop(page, zones.nth(0), teacher) + await drop(page, zones.nth(1), student)
        await heading.wait_for(timeout=RESULT_TIMEOUT_S * 1000)
    except Exception as exc:  # noqa: BLE001 (a session that fails is counted, not fatal)
        shown = " | ".join(await page.locator('[data-testid="stFileUploader"]').all_inner_texts())
        error = (f"no result: {type(exc).__name__}: {exc}"[:200]
                 + f"; upload requests: {upload_problems or 'no failure seen'}; uploaders show: {shown[:300]!r}")
    done = time.monotonic()
    alerts = await page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    if alerts and error is None:
        error = alerts[0][:200]
    await context.close()
    return {"dropped": dropped, "done": done, "result_s": done - dropped,
            "any_gap_s": longest_quiet_gap(received, dropped, done),
            "upload_ms": max(uploads, default=float("nan")), "redrops": redrops, "error": error}


async def sessions_round(url: str, teacher: Path, students: list[Path], executable: str = CHROMIUM) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        start, ready = asyncio.Event(), []
        tasks = [asyncio.create_task(one_session(browser, url, teacher, s, ready, start)) for s in students]
        # When every page has drawn its first visit (the samples), drop the clips everywhere at once.
        while len(ready) < len(tasks) and not any(t.done() for t in tasks):
            await asyncio.sleep(0.2)
        start.set()
        results = await asyncio.gather(*tasks)
        await browser.close()
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def bench_sessions(ns: list[int], seconds: float | None, workdir: Path | None) -> None:
    from tests.e2e.conftest import free_port

    work = workdir or Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    work.mkdir(parents=True, exist_ok=True)
    teacher, students = student_clips(work / "clips", sum(ns), seconds)
    print(f"clips: the sample teacher + {len(students)} different sample students (seeds)"
          + (f", cut to {seconds:g} s" if seconds else " (12 s)"))
    print("| sessions | median s to result | p95 s | longest server wait s | longest quiet gap s "
          "(browser's own time included) | slowest upload ms | errors | server peak RSS MiB | "
          "its children's peak RSS MiB (sum, count) |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = None
    cache = work / f"cache-{time.time_ns()}"   # the rounds share it: samples and teacher extracted once
    for i, n in enumerate(ns):
        port = free_port()
        probe_log = work / f"probe-{time.time_ns()}.log"
        proc = start_server(cache, port, probe_log)    # a fresh server per round (its own peak memory)
        try:
            # Every round's students are new (their own seeds): each round extracts all its students.
            first = sum(ns[:i])
            with BrowsersKeptNice() as kept_nice:
                results = asyncio.run(sessions_round(f"http://127.0.0.1:{port}", teacher, students[first:first + n],
                                                     browser_executable(work)))
            rss = peak_rss_mb(proc.pid)
            n_kids, kids_rss = children_peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
        waits = server_waits(probe_log, min(r["dropped"] for r in results), max(r["done"] for r in results))
        times = [r["result_s"] for r in results]
        med = statistics.median(times)
        base = base or med
        errors = [r["error"] for r in results if r["error"]]
        print(f"| {n} | {med:.1f} (x{med / base:.2f}) | {p95(times):.1f} | "
              f"{waits['server_wait_s']:.2f} | {max(r['any_gap_s'] for r in results):.2f} | "
              f"{max(r['upload_ms'] for r in results):.0f} | {len(errors)} | {rss:.0f} | {kids_rss:.0f} ({n_kids}) |")
        print(f"  (the longest server wait, {waits['what']}, began {waits['at_s']:.1f} s after the first drop; "
              f"the slowest result came {max(times):.1f} s after its drop)")
        for e in errors:
            print(f"  error: {e}")
        if kept_nice.groups:
            print(f"  (the browser's {len(kept_nice.groups)} autogroups were kept at nice {BROWSER_NICE})")
        if sum(r["redrops"] for r in results):
            print(f"  {sum(r['redrops'] for r in results)} drop(s) were lost (no chip within {CHIP_S} s) and made again")


# --- 2. a short clip behind a long one --------------------------------------------------------

class FifoPool:
    """The pose pool before this change: first in, first out (same submit signature)."""

    def __init__(self, workers: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=workers)

    def submit(self, _group, fn, *args, **kwargs) -> Future:
        return self._pool.submit(fn, *args, **kwargs)


class Recorded:
    """A pose pool that notes when each task was submitted, started and ended (seconds since t0)."""

    def __init__(self, pool, t0: float) -> None:
        self.pool, self.t0, self.tasks = pool, t0, []   # [submitted, started, ended]

    def submit(self, group, fn, *args, **kwargs) -> Future:
        times = [time.monotonic() - self.t0, None, None]
        self.tasks.append(times)

        def run(*a, **k):
            times[1] = time.monotonic() - self.t0
            try:
                return fn(*a, **k)
            finally:
                times[2] = time.monotonic() - self.t0
        return self.pool.submit(group, run, *args, **kwargs)


def short_behind_long(pool, long: Path, short: Path) -> dict:
    from engine.io import extract as ex

    t0 = time.monotonic()
    ex._pool = recorded = Recorded(pool, t0)
    marks: dict[str, float] = {}

    def progress_of(name: str):
        def report(_fraction: float, _message: str) -> None:
            marks.setdefault(f"{name}_first", time.monotonic() - t0)
        return report

    def run_long() -> None:
        ex.extract(long, progress=progress_of("long"))
        marks["long_done"] = time.monotonic() - t0

    thread = threading.Thread(target=run_long)
    thread.start()
    while "long_first" not in marks:     # the long clip's segments are running and queued
        time.sleep(0.05)
    marks["short_submitted"] = time.monotonic() - t0
    ex.extract(short, progress=progress_of("short"))
    marks["short_done"] = time.monotonic() - t0
    thread.join()
    short_task = next(t for t in recorded.tasks if t[0] >= marks["short_submitted"])
    marks["short_started"] = short_task[1]
    marks["segment_max"] = max(t[2] - t[1] for t in recorded.tasks if t is not short_task)
    return marks


def short_behind_long_in_pose_process(long: Path, short: Path) -> dict:
    """The pages' own path: both clips' extraction jobs (`ui.jobs.Jobs`, queued elsewhere) sent to
    one pose process (`ui.child_processes.ThreadedChild`, as `ui.job_view.shared_pose_process`)
    with one pose graph; a clip's tracking counts as started at its first "frame" message (its
    10th frame tracked)."""
    from engine.io import store
    from ui.child_processes import ThreadedChild
    from ui.job_view import POSE_PRELOAD
    from ui.jobs import Jobs, extraction_function

    before = os.environ.get("DANCE_POSE_WORKERS")
    os.environ["DANCE_POSE_WORKERS"] = "1"      # the child reads it when it starts
    child = ThreadedChild(preload=POSE_PRELOAD, name="bench-poses")
    try:
        child.call(os.getpid)                   # started, MediaPipe imported: not part of the times
        run = extraction_function(store.load_or_extract, child)
        jobs, cache = Jobs(max_workers=1), tempfile.mkdtemp(prefix="bench-fair-")

        def until_tracking(job) -> float:
            while "frame" not in job.message and not job.done:
                time.sleep(0.02)
            return time.monotonic() - t0

        t0 = time.monotonic()
        long_job = jobs.submit("long", run, long, cache_dir=cache, masks=False, owner="a", queued_elsewhere=True)
        marks = {"long_first": until_tracking(long_job), "short_submitted": time.monotonic() - t0}
        short_job = jobs.submit("short", run, short, cache_dir=cache, masks=False, owner="b", queued_elsewhere=True)
        marks["short_started"] = until_tracking(short_job)
        short_job.future.result()
        marks["short_done"] = time.monotonic() - t0
        long_job.future.result()
        marks["long_done"] = time.monotonic() - t0
    finally:
        child.shutdown()
        if before is None:
            os.environ.pop("DANCE_POSE_WORKERS", None)
        else:
            os.environ["DANCE_POSE_WORKERS"] = before
    return marks


def bench_fairness() -> None:
    from engine.core.fair import FairExecutor
    from engine.io.extract import SEGMENT_S, plan_segments
    from engine.io.video import probe

    long = SHARED_VIDEOS / "pairs" / "feelsreal_dancerA.mp4"
    short = SHARED_VIDEOS / "aist" / "aist_c01_dancerB_clipA_3s.mp4"
    n_seg = len(plan_segments(probe(long).duration_s, 30.0))
    print(f"long: {long.name} ({probe(long).duration_s:.1f} s, {n_seg} segments of ~{SEGMENT_S:.0f} s), "
          f"short: {short.name} ({probe(short).duration_s:.1f} s); one pose worker")
    print("| pool | short: submit -> its segment starts s | short: submit -> done s | long done s | "
          "longest long segment s |")
    print("|---|---|---|---|---|")
    rows = {}
    for name, pool in (("FIFO (before)", FifoPool(1)), ("fair (now)", FairExecutor(1, name="bench"))):
        m = rows[name] = short_behind_long(pool, long, short)
        print(f"| {name} | {m['short_started'] - m['short_submitted']:.1f} | "
              f"{m['short_done'] - m['short_submitted']:.1f} | {m['long_done']:.1f} | {m['segment_max']:.1f} |")
    m = rows["pages: pose process"] = short_behind_long_in_pose_process(long, short)
    # Its segments are not seen from outside the child: their mean is the long clip's tracking
    # time (first frames to done) less the short clip's, over the segments.
    m["segment_max"] = (m["long_done"] - m["long_first"] - (m["short_done"] - m["short_started"])) / n_seg
    print(f"| fair, in the pages' pose process (now) | {m['short_started'] - m['short_submitted']:.1f} | "
          f"{m['short_done'] - m['short_submitted']:.1f} | {m['long_done']:.1f} | {m['segment_max']:.1f} (mean) |")
    fifo = rows["FIFO (before)"]
    for name, m in (("the fair pool", rows["fair (now)"]), ("the pose process", rows["pages: pose process"])):
        wait_fifo, waited = (r["short_started"] - r["short_submitted"] for r in (fifo, m))
        print(f"with {name} the short clip's tracking started {waited:.1f} s after it arrived vs {wait_fifo:.1f} s "
              f"first-in first-out (x{waited / wait_fifo:.2f}); within one segment of the long clip "
              f"({m['segment_max']:.1f} s): {'yes' if waited <= m['segment_max'] else 'NO'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="1,4,8", help="comma-separated session counts (default 1,4,8)")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run Chromium at this niceness (0-19; default 0: the pages compete with the server)")
    ap.add_argument("--seconds", type=float, default=None, help="cut the sample clips to this many seconds")
    ap.add_argument("--fairness", action="store_true", help="also time a short clip behind a long one")
    ap.add_argument("--no-sessions", action="store_true", help="skip the browser sessions")
    ap.add_argument("--settle", action="store_true", help="drop only after the samples' video is drawn")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the rendered clips here (reused next time)")
    args = ap.parse_args()
    os.environ.setdefault("DANCE_POSE_WORKERS", "2")
    global SETTLE, BROWSER_NICE
    SETTLE, BROWSER_NICE = args.settle, args.browser_nice
    for line in machine_lines(("streamlit", "playwright", "mediapipe")):
        print(line)
    if not args.no_sessions:
        bench_sessions([int(n) for n in args.sessions.split(",")], args.seconds, args.workdir)
    if args.fairness:
        bench_fairness()


if __name__ == "__main__":
    main()
