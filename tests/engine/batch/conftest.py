"""Fixtures of the batch tests: the demo clips plus a bad file, and a real Dask cluster on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def batch_clips(tmp_path_factory) -> Path:
    """A folder with the two demo clips and `bad.mp4`, a text file named like a video."""
    from engine.demo import make_demo

    folder = tmp_path_factory.mktemp("batch-clips")
    make_demo(folder)
    (folder / "truth.json").unlink()
    (folder / "bad.mp4").write_text("this is not a video\n")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate each process's group (SIGTERM, then SIGKILL after 10 s)."""
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes (one thread each, no nanny, so each worker
    is the process started here) on 127.0.0.1 at free ports. Yields (address, worker pids)."""
    dask = BIN / "dask"
    if not dask.is_file():
        pytest.skip(f"{dask} is missing: install requirements.txt (dask, distributed)")
    logs = tmp_path_factory.mktemp("dask-logs")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "wb")
        p = subprocess.Popen([str(dask), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=logs)
        log.close()
        procs.append(p)
        return p

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--dashboard-address", f"127.0.0.1:{_free_port()}", "--no-show")
        workers = [start(f"worker{i}", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                         "--no-dashboard", "--name", f"w{i}", "--memory-limit", "0")
                   for i in (1, 2)]
        from distributed import Client

        deadline = time.monotonic() + 90
        while True:   # the scheduler needs a moment before it accepts connections
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    text = "\n".join(f.read_text(errors="replace")[-2000:] for f in sorted(logs.glob("*.log")))
                    pytest.fail(f"the Dask cluster did not start:\n{text}")
                time.sleep(1)
        yield address, {p.pid for p in workers}
    finally:
        _stop(procs)
