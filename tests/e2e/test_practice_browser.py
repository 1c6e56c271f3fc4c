"""The practice tools in a real browser (headless Debian Chromium), on the built-in sample clips.

* Compare page, "Practice a moment": a moment is chosen and 0.5x; both players must loop that
  span at half speed in step (playbackRate, loop, currentTime advancing at half the wall clock,
  wrapping, the two within a frame or two of each other); "Mirror the teacher" must flip the
  teacher's picture (the same paused frame photographed before and after is its mirror image)
  and only the teacher's.
* Live practice, "Practise a section": a 2-s section at 0.5x, three repetitions, with Chromium's
  fake camera playing the sample teacher's own section three times at half speed (a y4m made
  here); the reference clock must loop inside the section and the page must end with three
  repetition scores.

Screenshots go to $SCREENSHOT_DIR (default: a temporary folder).
"""

from __future__ import annotations

import re
import statistics
import time
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.demo import TEACHER_FILE, make_demo
from engine.io.video import frames
from tests.e2e.conftest import CHROMIUM_ARGS, full_screenshot, open_options

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Seconds: the sample comparison on a first visit (samples made and analysed); practice clips drawn.
SAMPLES_S, CLIPS_S = 600, 120
#: The players' position may differ by this much (two frames at 30 fps), seconds.
IN_STEP_S = 0.07
#: The section practised live: reference seconds, speed, repetitions; the page's countdown (raised
#: from its default 3 s: on a cold server the pose model loads during it, which took up to 20 s at
#: load average 25 here) and the stream's start-up until the first frame reaches the server, seconds
#: (on the long side: the live score forgives a late dancer more than an early one).
SECTION, SPEED, LOOPS = (2.0, 4.0), 0.5, 3
DEFAULT_COUNTDOWN_S, COUNTDOWN_S, STARTUP_S = 3, 8, 1.5
CAMERA_W, CAMERA_H, CAMERA_FPS = 640, 480, 20
STREAM_S = 90
IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
DANCING = re.compile(r"Dancing: ([\d.]+) s into the reference")
REPETITION = re.compile(r"Repetition (\d) of (\d): (\d+)")


def player_frame(page, *, rate: float, mirrored: bool, timeout_s: float = CLIPS_S):
    """The practice player's iframe once it plays at `rate` with the mirror as asked."""
    deadline = time.monotonic() + timeout_s
    probe = """() => { const t = document.getElementById('teacher'), s = document.getElementById('student');
        return t && s ? [t.playbackRate, t.dataset.mirrored, t.readyState, s.readyState, t.paused] : null; }"""
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                got = frame.evaluate(probe)
            except Exception:  # noqa: BLE001, S112 (a frame that went away with the last rerun)
                continue
            if got and got[0] == rate and got[1] == str(mirrored).lower() and min(got[2:4]) >= 3 and not got[4]:
                return frame
        time.sleep(0.25)
    pytest.fail(f"no practice player at {rate}x (mirrored: {mirrored}) within {timeout_s} s")


def sample_players(frame, seconds: float) -> list[dict]:
    """Both players' state every 100 ms for `seconds` of wall-clock time."""
    return frame.evaluate("""async (ms) => {
        const t = document.getElementById('teacher'), s = document.getElementById('student');
        const out = [], t0 = performance.now();
        while (performance.now() - t0 < ms) {
            out.push({wall: (performance.now() - t0) / 1000, t: t.currentTime, s: s.currentTime, rate: [t.playbackRate,
                      s.playbackRate], loop: [t.loop, s.loop], paused: [t.paused, s.paused], duration: t.duration});
            await new Promise(r => setTimeout(r, 100));
        }
        return out; }""", int(seconds * 1000))


def freeze_at(frame, fraction: float) -> None:
    """Pause both players and show the frame at `fraction` of the loop."""
    frame.evaluate("""async (f) => {
        const vs = [document.getElementById('teacher'), document.getElementById('student')];
        for (const v of vs) v.pause();
        await Promise.all(vs.map(v => new Promise(r => { v.addEventListener('seeked', r, {once: true});
                                                          v.currentTime = f * v.duration; })));
        await new Promise(r => setTimeout(r, 300)); }""", fraction)


def picture(frame, element_id: str, path: Path) -> np.ndarray:
    frame.locator(f"#{element_id}").screenshot(path=str(path))
    return cv2.imread(str(path)).astype(np.float32)


def test_practice_a_moment_loops_at_half_speed_in_step_and_mirrors(browser_path, server, screenshot_dir):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server["url"])
            page.get_by_role("heading", name="Practice a moment").wait_for(timeout=SAMPLES_S * 1000)
            # Choose a moment: a form moment (a limb off) if the samples have one, else the first.
            names = open_options(page, page.locator(".st-key-practice_moment"))
            chosen = next((n for n in names if "form:" in n), names[0])
            page.get_by_role("option").filter(has_text=chosen).first.click()
            page.locator(".st-key-practice_speed").get_by_text("0.5x", exact=True).click()
            frame = player_frame(page, rate=0.5, mirrored=False)
            caption = page.get_by_text(re.compile(r"^Teacher [\d.]+-[\d.]+ s, student")).inner_text()
            loop_s = frame.evaluate("() => document.getElementById('teacher').duration")
            samples = sample_players(frame, 2.4 * loop_s / 0.5)       # a little over two loops at half speed
            page.locator("iframe[title='st.iframe']").last.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "practice_01_moment_half_speed.png"))

            freeze_at(frame, 0.5)
            plain = picture(frame, "teacher", screenshot_dir / "practice_02_teacher.png")
            student_plain = picture(frame, "student", screenshot_dir / "practice_02_student.png")
            page.locator(".st-key-practice_mirror").get_by_text("Mirror the teacher").click()
            frame = player_frame(page, rate=0.5, mirrored=True)
            transforms = frame.evaluate("""() => ['teacher', 'student'].map(
                id => getComputedStyle(document.getElementById(id)).transform)""")
            freeze_at(frame, 0.5)
            mirrored = picture(frame, "teacher", screenshot_dir / "practice_03_teacher_mirrored.png")
            student_after = picture(frame, "student", screenshot_dir / "practice_03_student.png")
            page.locator("iframe[title='st.iframe']").last.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "practice_04_mirrored.png"))
            full_screenshot(page, screenshot_dir / "practice_05_compare_page.png")
        finally:
            browser.close()

    # Half speed, looping, both players.
    assert all(s["rate"] == [0.5, 0.5] and s["loop"] == [True, True] for s in samples), samples[:3]
    assert not any(any(s["paused"]) for s in samples), samples[:3]
    steps = [(b["t"] - a["t"]) / (b["wall"] - a["wall"]) for a, b in pairwise(samples) if b["t"] > a["t"]]
    wraps = [b for a, b in pairwise(samples) if b["t"] < a["t"] - 0.5 * loop_s]
    assert 0.4 < statistics.median(steps) < 0.6, steps                  # media seconds per wall second
    assert len(wraps) >= 2, [round(s["t"], 2) for s in samples]         # it went round (twice)
    # In step: the student's player shows the same frame number as the teacher's (both clips hold
    # the span's frames in the same order), away from the instant of a wrap.
    away = [s for s in samples if 0.1 < s["t"] < loop_s - 0.1]
    in_step = [abs(s["t"] - s["s"]) < IN_STEP_S for s in away]
    assert sum(in_step) >= 0.9 * len(away), [(round(s["t"], 3), round(s["s"], 3)) for s in away]
    # The span is the chosen moment's (its caption) and one loop is its length at 1x.
    t0, t1 = map(float, re.match(r"Teacher ([\d.]+)-([\d.]+) s", caption).groups())
    assert abs(loop_s - (t1 - t0) - 1 / 30) < 0.05, (caption, loop_s)
    # The mirror flips the teacher's picture only.
    assert transforms[0].startswith("matrix(-1, 0, 0, 1") and transforms[1] == "none", transforms
    flipped_diff = float(np.abs(mirrored - plain[:, ::-1]).mean())
    same_diff = float(np.abs(mirrored - plain).mean())
    print(f"\npractice: {chosen}; {caption}; loop {loop_s:.2f} s; median rate {statistics.median(steps):.3f}; "
          f"mirrored vs flipped {flipped_diff:.2f}, vs unflipped {same_diff:.2f}")
    assert flipped_diff < 2.0 and same_diff > max(1.0, 2 * flipped_diff), (flipped_diff, same_diff)
    assert float(np.abs(student_after - student_plain).mean()) < 4.0
    log = server["log"].read_text()
    assert not re.search(r'File ".*/(app\.py|app_pages/|ui/|engine/)', log), log[-3000:]


def write_section_camera(src: Path, out: Path) -> int:
    """A y4m camera file that dances the section of `src` LOOPS times at SPEED, after its first frame
    held for the countdown and the stream's start-up. Returns the frame count."""
    section = [rgb for t, rgb in frames(src, fps=CAMERA_FPS) if SECTION[0] - 1e-6 <= t < SECTION[1] - 1e-6]
    hold = int((COUNTDOWN_S + STARTUP_S) * CAMERA_FPS)
    repeat = round(1 / SPEED)
    sequence = [section[0]] * hold + [f for _ in range(LOOPS) for f in section for _ in range(repeat)]
    sequence += [section[-1]] * (4 * CAMERA_FPS)                  # stand still after the last repetition
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{CAMERA_W} H{CAMERA_H} F{CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in sequence:
            rgb = cv2.resize(rgb, (CAMERA_W, CAMERA_H), interpolation=cv2.INTER_AREA)
            f.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return len(sequence)


def test_live_section_practice_loops_three_times_and_shows_three_scores(browser_path, server, screenshot_dir,
                                                                           tmp_path):
    from playwright.sync_api import sync_playwright

    make_demo(tmp_path / "samples")                 # the same sample clips the page makes (deterministic)
    camera = tmp_path / "section.y4m"
    n = write_section_camera(tmp_path / "samples" / TEACHER_FILE, camera)
    assert n == int((COUNTDOWN_S + STARTUP_S + 4) * CAMERA_FPS) + LOOPS * int(CAMERA_FPS * (SECTION[1] - SECTION[0])
                                                                             / SPEED)

    seen_t: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=[
            *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{server['url']}/Live_practice")
            page.locator(".st-key-live_status").get_by_text("Live score").wait_for(timeout=SAMPLES_S * 1000)
            page.get_by_text(re.compile(r"s of dancing; you will see its video")).wait_for(timeout=SAMPLES_S * 1000)
            slider = page.locator('.st-key-live_countdown input[type="range"]')
            slider.focus()
            for _ in range(COUNTDOWN_S - DEFAULT_COUNTDOWN_S):
                slider.press("ArrowRight")
            page.wait_for_timeout(1500)
            assert slider.get_attribute("value") == str(COUNTDOWN_S)
            page.locator(".st-key-live_section").get_by_text("Practise a section").click()
            for key, value in (("live_section_end", SECTION[1]), ("live_section_start", SECTION[0])):
                box = page.locator(f".st-key-{key} input")
                box.wait_for(timeout=30_000)
                box.fill(f"{value:.2f}")
                box.press("Enter")
                page.wait_for_timeout(800)
            page.locator(".st-key-live_section_speed").get_by_text(f"{SPEED:g}x", exact=True).click()
            page.get_by_text(re.compile(rf"{LOOPS} × 2.0 s of the reference at {SPEED:g}x")).wait_for(timeout=30_000)
            page.screenshot(path=str(screenshot_dir / "section_01_controls.png"))

            frame = page.frame_locator(IFRAME)
            frame.get_by_role("button", name="Start").click()
            deadline = time.monotonic() + STREAM_S
            shot = False
            text = ""
            while time.monotonic() < deadline:
                text = page.locator(".st-key-live_status").inner_text()
                m = DANCING.search(text)
                if m:
                    seen_t.append(float(m.group(1)))
                    if not shot and "Repetition 2 of 3" in text:
                        frame.locator("video").screenshot(path=str(screenshot_dir / "section_02_video.png"))
                        page.screenshot(path=str(screenshot_dir / "section_03_page.png"))
                        shot = True
                if "each repetition's score is below" in text:
                    break
                time.sleep(0.3)
            else:
                pytest.fail(f"the section did not finish within {STREAM_S} s; last status: {text}")
            page.wait_for_timeout(1500)
            text = page.locator(".st-key-live_status").inner_text()
            full_screenshot(page, screenshot_dir / "section_04_finished.png")
        finally:
            browser.close()

    reps = [(int(i), int(k), int(v)) for i, k, v in REPETITION.findall(text)]
    print(f"\nsection practice: repetitions {reps}; reference times seen {seen_t}")
    assert [(i, k) for i, k, _ in reps] == [(1, 3), (2, 3), (3, 3)], text
    # The camera dances the section itself, but only roughly in step with the server's clock (the
    # stream's start-up varies: measured 45 / 61 / 64 and 0 / 0 / 66 on a loaded machine, 90-97 in
    # step offline): every repetition is scored, and at least one is recognised as the section.
    assert all(0 <= v <= 100 for _, _, v in reps) and max(v for _, _, v in reps) >= 50, reps
    # The reference clock stayed inside the section; where the status was redrawn often enough to
    # see it, it went round. (On a machine loaded far beyond its cores the twice-a-second status
    # can freeze for the whole section, as in one run at load average 23; the three repetition
    # scores above still show that each repetition was danced and scored.)
    assert seen_t and all(SECTION[0] - 0.05 <= t <= SECTION[1] + 0.05 for t in seen_t), seen_t
    if len(set(seen_t)) >= 8:
        assert sum(b < a - 0.5 for a, b in pairwise(seen_t)) >= 1, seen_t
    log = server["log"].read_text()
    assert not re.search(r'File ".*/(app\.py|app_pages/|ui/|engine/)', log), log[-3000:]
