"""The dashboard in a real browser: `streamlit run app.py` driven by headless Debian Chromium.

A first visit shows the built-in sample comparison; then the two callme404 clips are dropped on
the zones (third-party footage from ../shared, never copied here) and the test waits for their
result: the score, the warp-path chart, the per-joint charts, and a side-by-side video the
browser can actually play. Screenshots go to $SCREENSHOT_DIR (default: a temporary folder),
never into the repository.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.conftest import footage, needs_footage
from tests.e2e.conftest import full_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_footage]

TEACHER = "pairs/callme404_teacher_douyin.mp4"
STUDENT = "pairs/callme404_student_studio.mp4"
#: Seconds: the sample comparison on a first visit, the uploaded pair's result, the video.
SAMPLES_S, RESULT_S, VIDEO_S = 300, 400, 180
FRESH = ':not([data-stale="true"])'  # Streamlit marks elements of the previous run as stale


@pytest.fixture(scope="module")
def page(persistent_page):
    return persistent_page


def chart_titles(page) -> list[str]:
    return page.evaluate(f"""() => [...document.querySelectorAll(
        '[data-testid="stElementContainer"]{FRESH} [data-testid="stPlotlyChart"] .gtitle')].map(e => e.textContent)""")


def wait_for_result(page, heading: str, timeout_s: float) -> None:
    """Until this run's heading, score and all four charts are drawn (not left over from a previous run)."""
    page.get_by_role("heading", name=heading).wait_for(timeout=timeout_s * 1000)
    page.wait_for_function(
        f"""() => document.querySelectorAll(
            '[data-testid="stElementContainer"]{FRESH} [data-testid="stPlotlyChart"] .main-svg').length >= 4""",
        timeout=timeout_s * 1000)


def score_text(page) -> str:
    return page.locator(f'[data-testid="stElementContainer"]{FRESH} [data-testid="stMetricValue"]').first.inner_text()


def test_samples_then_dropped_callme404_pair(page, server, screenshot_dir):
    timings: dict[str, float] = {}
    url = server["url"]
    media_failures: list[str] = []
    page.on("response", lambda r: media_failures.append(f"{r.status} {r.url}")
            if "/media/" in r.url and r.status >= 400 else None)

    started = time.monotonic()
    page.goto(url)
    wait_for_result(page, "Result: sample_teacher.mp4 (teacher) vs sample_student.mp4 (student)", SAMPLES_S)
    timings["first_visit_samples_s"] = time.monotonic() - started
    assert re.fullmatch(r"\d+ / 100", score_text(page).strip())
    full_screenshot(page, screenshot_dir / "01_first_visit_samples.png")

    zones = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    assert zones.count() == 2
    started = time.monotonic()
    zones.nth(0).set_input_files(str(footage(TEACHER)))
    page.get_by_text(Path(TEACHER).name).first.wait_for(timeout=60_000)       # the teacher's chip
    zones.nth(1).set_input_files(str(footage(STUDENT)))
    # Extraction progress: a bar per clip with frames done and time left.
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    progress = page.locator('[data-testid="stProgress"]').first.inner_text()
    heading = f"Result: {Path(TEACHER).name} (teacher) vs {Path(STUDENT).name} (student)"
    wait_for_result(page, heading, RESULT_S)
    timings["upload_to_result_s"] = time.monotonic() - started
    assert re.search(r"frame \d+/\d+|loaded from cache|starting|done", progress), progress

    value = score_text(page).strip()
    assert re.fullmatch(r"\d+ / 100", value), value
    titles = chart_titles(page)
    assert any(t.startswith("Time alignment") for t in titles), titles
    assert any(t.startswith("Per-joint scores") for t in titles), titles
    assert any(t.startswith("Joint scores over time") for t in titles), titles
    # The warp path is drawn as a line over the heatmap.
    warp = page.locator(f'[data-testid="stElementContainer"]{FRESH} [data-testid="stPlotlyChart"]',
                        has_text="Time alignment")
    assert warp.locator(".heatmaplayer image, .hm image").count() + warp.locator(".scatterlayer .trace").count() >= 2
    full_screenshot(page, screenshot_dir / "02_callme404_result.png")

    # The side-by-side video, once drawn, must be playable by this browser (H.264 served intact).
    fresh_video = f'[data-testid="stElementContainer"]{FRESH} video'
    page.wait_for_function(f"""() => [...document.querySelectorAll('{fresh_video}')]
                                  .some(v => v.currentSrc.includes('/media/'))""", timeout=VIDEO_S * 1000)
    playable = page.evaluate(f"""async () => {{
        const v = document.querySelector('{fresh_video}');
        if (v.readyState < 1) await new Promise(r => {{ v.addEventListener('loadedmetadata', r, {{once: true}});
                                                     v.addEventListener('error', r, {{once: true}}); }});
        return {{w: v.videoWidth, h: v.videoHeight, duration: v.duration, error: v.error && v.error.code}};
    }}""")
    timings["upload_to_video_s"] = time.monotonic() - started
    # Two portrait clips side by side: about square; the callme404 pair shares about 18 s of dancing.
    assert playable["error"] is None and playable["w"] > 0 and playable["h"] > 0, playable
    assert 10 < playable["duration"] < 22, playable
    # The originals are HEVC, which browsers do not all play: the page says so instead of a broken player.
    assert page.get_by_text("encoded as HEVC").count() == 2
    page.locator("video").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "03_side_by_side_video.png"))
    full_screenshot(page, screenshot_dir / "04_callme404_full_with_video.png")

    (screenshot_dir / "timings.json").write_text(json.dumps(timings, indent=1))
    print(f"\nbrowser timings: {json.dumps({k: round(v, 1) for k, v in timings.items()})}; "
          f"screenshots in {screenshot_dir}")
    assert not media_failures, media_failures
    # Nothing of ours failed on the server (tracebacks there would name app.py, ui/ or engine/).
    log = server["log"].read_text()
    assert not re.search(r'File ".*/(app\.py|ui/|engine/)', log), log[-3000:]
