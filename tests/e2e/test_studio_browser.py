"""Hosted for a studio, in a real browser: sign-in through a real OpenID Connect provider
(`oidc-provider-mock` on localhost), then who sees what.

A teacher has shared the routine "Salsa 1" (their clip teacher_routine.mp4) with everyone; the
students Ana and Ben each made an attempt at it (recorded through the library as each of them,
as the pages do). Headless Chromium signs in as each of the three in its own browser context:

- a visitor who is not signed in sees only the sign-in page, on every page and direct URL;
- Ana sees her attempt and the shared routine, never Ben's clip, scores, report or download
  (on the page, nor by opening ``?report=ID`` for every id there is, nor by guessing media URLs
  from his clip's hash); the same for Ben;
- the teacher opens both attempts.

Screenshots go to $SCREENSHOT_DIR (default: a temporary folder).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.library import EVERYONE, LOCAL_ADMIN, ClipInfo, Library, User
from tests.e2e.conftest import (
    CHROMIUM_ARGS,
    free_port,
    full_screenshot,
    open_options,
    server_env,
    streamlit_server,
)
from tests.engine.library.conftest import make_report

pytestmark = [pytest.mark.browser]

TEACHER = User("teacher@studio.example", "teacher")
ANA = User("ana@studio.example", "student")
BEN = User("ben@studio.example", "student")
ROUTINE = "Salsa 1"
SHAS = {"teacher": "7e" * 32, "ana": "a1" * 32, "ben": "b2" * 32}
FILES = {who: f"{who}_{'routine' if who == 'teacher' else 'attempt'}.mp4" for who in SHAS}
SCORES = {"ana": 61.0, "ben": 83.0}
#: Seconds to wait for a page to show what a step expects.
STEP_S = 60


@pytest.fixture(scope="module")
def provider():
    """A real OpenID Connect provider on localhost with the three users (the teacher's ID token
    says role = teacher)."""
    oidc = pytest.importorskip("oidc_provider_mock", reason="oidc-provider-mock is not installed")
    users = [oidc.User(sub=TEACHER.id, claims={"email": TEACHER.id, "role": "teacher"}),
             oidc.User(sub=ANA.id, claims={"email": ANA.id}),
             oidc.User(sub=BEN.id, claims={"email": BEN.id})]
    with oidc.run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> dict:
    """The library: the teacher's shared routine and one attempt by each student, each recorded
    as its user; their videos stored under hashed names in per-session upload folders."""
    root = tmp_path_factory.mktemp("studio")
    cache = root / "cache"
    url = f"sqlite:///{root / 'library.db'}"
    ids: dict[str, int] = {}
    with Library(url, user=LOCAL_ADMIN) as admin:
        infos = {}
        for who, sha in SHAS.items():
            video = cache / "uploads" / f"session-{who}" / f"{sha}.mp4"
            video.parent.mkdir(parents=True)
            video.write_bytes(f"VIDEO-OF-{who}".encode() * 50)
            infos[who] = ClipInfo(sha256=sha, file_name=FILES[who], duration_s=10.0, video_path=str(video),
                                  video_owned=True)
        teacher = admin.as_user(TEACHER)
        teacher.record_clip(infos["teacher"])
        teacher.set_labels(SHAS["teacher"], routine=ROUTINE, dancer="Teacher")
        teacher.share_routine(ROUTINE, EVERYONE)
        for who, user in (("ana", ANA), ("ben", BEN)):
            lib = admin.as_user(user)
            report = make_report(teacher=SHAS["teacher"], student=SHAS[who], overall=SCORES[who],
                                 teacher_file=FILES["teacher"], student_file=FILES[who])
            ids[who] = lib.record_comparison(report, source="upload", clips_info=[infos["teacher"], infos[who]])
            lib.set_labels(SHAS[who], routine=ROUTINE, dancer=who.capitalize())
    return {"url": url, "cache": cache, "ids": ids}


@pytest.fixture(scope="module")
def studio_server(browser_path, provider, studio, tmp_path_factory):
    """`streamlit run app.py` with sign-in configured: a secrets file naming the provider, given
    with ``--secrets.files`` (the repository's own .streamlit/ is never written)."""
    port = free_port()
    folder = tmp_path_factory.mktemp("studio-server")
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "e2e-cookie-secret-{os.getpid()}-0123456789"
client_id = "dance-e2e"
client_secret = "dance-e2e-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[studio]
role_claim = "role"
max_jobs = 2
""")
    env = server_env(DANCE_CACHE_DIR=str(studio["cache"]), DANCE_DB_URL=studio["url"])
    # localhost, not 127.0.0.1: the provider redirects back to the redirect_uri's host.
    with streamlit_server(folder / "server.log", env, port=port, host="localhost",
                          extra_args=("--secrets.files", str(secrets))) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(browser_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _settle(page) -> None:
    """Until the script run has finished (no running indicator) and the page is drawn."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=STEP_S * 1000)
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
        || !/Running/i.test(document.querySelector('[data-testid="stStatusWidget"]').innerText)""",
                           timeout=STEP_S * 1000)
    page.wait_for_timeout(700)


def sign_in(browser, server: dict, user: User):
    """A new browser context signed in as `user` through the provider's own page; its page."""
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    page.goto(server["url"])
    page.get_by_role("button", name="Sign in").click(timeout=STEP_S * 1000)
    page.wait_for_url(re.compile(r".*/oauth2/authorize.*"), timeout=STEP_S * 1000)
    page.get_by_role("button", name=user.id, exact=True).click()
    page.get_by_text(f"Signed in as {user.id} ({user.role})").wait_for(timeout=STEP_S * 1000)
    return context, page


def open_library(page, server: dict, report: int | None = None) -> str:
    page.goto(f"{server['url']}/Library" + ("" if report is None else f"?report={report}"))
    page.get_by_role("heading", name="Library").first.wait_for(timeout=STEP_S * 1000)
    _settle(page)
    return _main_text(page)


def test_a_visitor_must_sign_in_first(browser, studio_server, studio, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    try:
        for path in ("", "/Library", f"/Library?report={studio['ids']['ana']}", "/Live_practice"):
            page.goto(studio_server["url"] + path)
            page.get_by_role("button", name="Sign in").wait_for(timeout=STEP_S * 1000)
            text = _main_text(page)
            assert "sign in" in text.lower()
            assert not any(name in text for name in FILES.values()), path
        page.screenshot(path=str(screenshot_dir / "studio-sign-in.png"))
    finally:
        context.close()


@pytest.mark.parametrize("me, other", [("ana", "ben"), ("ben", "ana")])
def test_a_student_sees_only_their_own_and_the_shared_routine(browser, studio_server, studio, screenshot_dir: Path,
                                                             me: str, other: str) -> None:
    user = {"ana": ANA, "ben": BEN}[me]
    context, page = sign_in(browser, studio_server, user)
    try:
        open_library(page, studio_server)
        page.wait_for_selector('[data-testid="stDataFrame"] canvas', timeout=STEP_S * 1000)
        page.get_by_text("comparison(s)").first.wait_for(timeout=STEP_S * 1000)   # the tables are drawn
        text = _main_text(page)
        full_screenshot(page, screenshot_dir / f"studio-library-{me}.png")
        assert f"Shared with you: {ROUTINE} by {TEACHER.id}" in text
        # Their own clip and the shared one; their own attempt; the other's name nowhere.
        # (the built-in sample clips the Compare page, where sign-in lands, analyses are nobody's clips)
        assert re.search(r"\b2 clip\(s\)", text) and "1 comparison(s)" in text, text
        assert FILES[other] not in text and other.capitalize() not in text and SHAS[other][:8] not in text
        options = open_options(page, page.get_by_test_id("stSelectbox").filter(has_text="Dancer").last)
        assert options == [me.capitalize(), "Teacher"], options
        page.keyboard.press("Escape")

        # Their own report by its address: opened, with its download.
        text = open_library(page, studio_server, studio["ids"][me])
        assert f"{FILES[me]} (student) vs {FILES['teacher']} (teacher)" in text
        with page.expect_download(timeout=STEP_S * 1000) as got:
            page.get_by_role("button", name="Report (JSON)").click()
        downloaded = json.loads(Path(got.value.path()).read_text())
        assert downloaded["student"]["sha256"] == SHAS[me] and downloaded["scores"]["overall"] == SCORES[me]

        # Every comparison id there is, by address: only their own opens; the other's is "no comparison".
        for cid in range(1, max(studio["ids"].values()) + 3):
            if cid == studio["ids"][me]:
                continue
            text = open_library(page, studio_server, cid)
            assert f"no comparison {cid} in the library" in text, cid
            assert FILES[other] not in text and page.get_by_role("button", name="Report (JSON)").count() == 0
        full_screenshot(page, screenshot_dir / f"studio-guess-{me}.png")

        # The other's video and pose files by their hash, as media or static URLs: never served.
        for path in (f"/media/{SHAS[other]}.mp4", f"/media/{SHAS[other]}", f"/app/static/{SHAS[other]}.mp4",
                     f"/uploads/session-{other}/{SHAS[other]}.mp4"):
            body = page.request.get(studio_server["url"] + path).body()
            assert f"VIDEO-OF-{other}".encode() not in body, path
    finally:
        context.close()


def test_the_teacher_sees_both_attempts(browser, studio_server, studio, screenshot_dir: Path) -> None:
    context, page = sign_in(browser, studio_server, TEACHER)
    try:
        open_library(page, studio_server)
        page.get_by_text("comparison(s)").first.wait_for(timeout=STEP_S * 1000)   # the tables are drawn
        text = _main_text(page)
        assert f"Shared: {ROUTINE} with everyone" in text
        # Their routine clip (not the built-in samples the Compare page analyses); both students' attempts.
        assert re.search(r"\b1 clip\(s\)", text) and "2 comparison(s)" in text, text
        options = open_options(page, page.get_by_test_id("stSelectbox").filter(has_text="Dancer").last)
        assert options == ["Ana", "Ben", "Teacher"], options   # progress of each
        page.keyboard.press("Escape")
        full_screenshot(page, screenshot_dir / "studio-library-teacher.png")
        for who in ("ana", "ben"):
            text = open_library(page, studio_server, studio["ids"][who])
            assert f"{FILES[who]} (student) vs {FILES['teacher']} (teacher)" in text
            download = page.get_by_role("button", name="Report (JSON)")
            download.first.wait_for(timeout=STEP_S * 1000)       # drawn after the report's heading
            assert download.count() == 1
    finally:
        context.close()
