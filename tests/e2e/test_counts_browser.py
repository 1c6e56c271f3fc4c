"""The sidebar's pages and the dance counts in a real browser (`streamlit run app.py`, headless Chromium).

The built-in sample clips only (no third-party footage): their music is a 120 BPM beat whose
first beat, at 0 s, opens a bar, so every moment has a count and the timeline has count lines.
Screenshots go to $SCREENSHOT_DIR (default: a temporary folder), never into the repository.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import full_screenshot, open_options

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Seconds for the sample comparison on a first visit, and for another page to draw.
SAMPLES_S, PAGE_S = 400, 90
FRESH = ':not([data-stale="true"])'
NAV = '[data-testid="stSidebarNavLink"]'


@pytest.fixture(scope="module")
def page(persistent_page):
    return persistent_page


def nav_names(page) -> list[str]:
    """The sidebar's page names, top to bottom (without the icons' ligature text)."""
    return page.evaluate(f"""() => [...document.querySelectorAll('{NAV}')].map(a => {{
        const c = a.cloneNode(true);
        c.querySelectorAll('[data-testid="stIconMaterial"]').forEach(i => i.remove());
        return c.textContent.trim(); }})""")


def test_sidebar_names_the_pages_and_the_sample_moments_speak_in_counts(page, server, screenshot_dir):
    url = server["url"]
    # Nothing a page shows may make the visitor's browser ask anyone but this server (a page icon
    # from Google's fonts was one such request).
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:", "about:")) else outside.append(r.url))
    # A fresh server's first visit straight to another page: still the app's own page list.
    page.goto(f"{url}/Library")
    page.get_by_role("heading", name="Library").first.wait_for(timeout=PAGE_S * 1000)
    assert nav_names(page) == ["Compare", "Live practice", "Library"]
    page.screenshot(path=str(screenshot_dir / "nav_library_first_visit.png"))

    page.goto(url)
    page.get_by_role("heading", name="Result: sample_teacher.mp4 (teacher) vs sample_student.mp4 (student)") \
        .wait_for(timeout=SAMPLES_S * 1000)
    page.wait_for_function(f"""() => document.querySelectorAll(
        '[data-testid="stElementContainer"]{FRESH} [data-testid="stPlotlyChart"] .main-svg').length >= 4""",
                           timeout=SAMPLES_S * 1000)
    assert nav_names(page) == ["Compare", "Live practice", "Library"]

    # The caption under "Score over time", the coaching paragraph and the moments list.
    page.get_by_text(re.compile(r"teacher's dance counts \(120 BPM")).first.wait_for(timeout=10_000)
    feedback = page.locator("p", has_text="Feedback (rule-based):").first.inner_text()
    assert re.search(r"at \d:\d\d\.\d \(8-count \d, count \d", feedback), feedback
    chart = page.locator(f'[data-testid="stElementContainer"]{FRESH} [data-testid="stPlotlyChart"]',
                         has_text="Score over time")
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "counts_timeline.png"))
    # 8-count labels at the foot of the score axis (one per 4 s of 120 BPM music, the compared
    # span is about 11 s of it), one line per beat.
    assert chart.locator("text.annotation-text").filter(has_text=re.compile(r"^8-count \d$")).count() >= 2
    assert chart.locator(".shapelayer path").count() >= 20
    options = open_options(page, page.locator('[data-testid="stSelectbox"]').filter(has_text="Jump to a moment"))
    page.keyboard.press("Escape")
    moments = [o for o in options if o.startswith("#")]
    assert moments and all(re.search(r"\(student, 8-count \d, count \d", o) for o in moments), options
    full_screenshot(page, screenshot_dir / "counts_compare_page.png")

    # The other pages keep their paths, and the sidebar takes the dancer back to Compare.
    page.goto(f"{url}/Live_practice")
    page.get_by_role("heading", name="Live practice").wait_for(timeout=PAGE_S * 1000)
    assert nav_names(page) == ["Compare", "Live practice", "Library"]
    page.screenshot(path=str(screenshot_dir / "nav_live_practice.png"))
    page.locator(NAV).filter(has_text="Compare").click()
    page.get_by_role("heading", name="Dance compare").wait_for(timeout=PAGE_S * 1000)
    assert page.url.rstrip("/") == url
    log = server["log"].read_text()
    assert not re.search(r'File ".*/(app\.py|app_pages/|ui/|engine/)', log), log[-3000:]
    assert outside == []
