"""Shared fixtures of the browser tests: Debian Chromium, a `streamlit run app.py` server on a free
localhost port (the session's pose cache), and a screenshots folder ($SCREENSHOT_DIR or a
temporary one, never the repository)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
#: Seconds for the server to answer its health check.
SERVER_START_S = 60


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def full_screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its own container, so grow the viewport to fit it."""
    height = page.evaluate("""() => Math.max(document.body.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
            .map(e => e.scrollHeight))""")
    size = page.viewport_size or VIEWPORT
    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def open_options(page, box, *, tries: int = 5, wait_s: float = 10.0) -> list[str]:
    """Open the select box `box` (a Playwright locator) and return its options' texts.

    A rerun of the page (a job's progress, a cache filling) closes an open list or replaces the
    box under the click, so the list is opened again (after Escape) until its options are drawn.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries):
        box.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=wait_s * 1000)
            return page.get_by_role("option").all_inner_texts()
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    pytest.fail(f"the list {box} showed no options after {tries} tries of {wait_s:.0f} s")


@pytest.fixture(scope="module")
def browser_path() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (looked at $CHROMIUM, /usr/bin/chromium, PATH); install Debian's 'chromium'")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    return path


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def streamlit_server(log_path: Path, env: dict[str, str], *, port: int | None = None, host: str = "127.0.0.1",
                     extra_args: tuple[str, ...] = ()) -> Iterator[dict]:
    """`streamlit run app.py` on `port` (default: a free one) of 127.0.0.1, its output in
    `log_path`; yields {"url": "http://<host>:<port>", "log": log_path} once its health check
    answers, and stops it afterwards."""
    port = free_port() if port is None else port
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           *extra_args]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield {"url": f"http://{host}:{port}", "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def server_env(**extra: str) -> dict[str, str]:
    """This process's environment without the LLM's keys (no test talks to a model), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server(browser_path, session_cache, tmp_path_factory):
    """`streamlit run app.py` on a free localhost port, with the session's pose cache."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(log_path, server_env(DANCE_CACHE_DIR=str(session_cache))) as srv:
        yield srv


@pytest.fixture(scope="module")
def persistent_page(browser_path, server, tmp_path_factory):
    """One Chromium page (a persistent profile, VIEWPORT) kept for a whole test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=browser_path, headless=True,
            args=CHROMIUM_ARGS, viewport=VIEWPORT)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
