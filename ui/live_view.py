"""Plumbing of the Live practice page that needs no Streamlit: the stream's frame hand-over, the
ICE servers, and the texts the page writes from a session's `LiveState` (its chart is
`engine.present.charts.live_score_figure`).

Frames reach `SessionSlot.callback` on streamlit-webrtc's worker thread, never on the script
thread, so nothing here calls `st.*`; the page reads `PracticeSession.state()` from a fragment.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

import av

from engine.present.charts import joint_label

if TYPE_CHECKING:
    from engine.live import LiveState, PracticeSession

logger = logging.getLogger("dance.live")

#: Environment variables of the ICE servers (none by default: localhost and a LAN need none).
ENV_STUN_URLS = "DANCE_STUN_URLS"
ENV_TURN_URLS = "DANCE_TURN_URL"
ENV_TURN_USERNAME = "DANCE_TURN_USERNAME"
ENV_TURN_CREDENTIAL = "DANCE_TURN_CREDENTIAL"


class IceConfigError(ValueError):
    """The STUN/TURN environment variables are set wrongly (the message says how to fix them)."""


def _urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


def rtc_configuration(environ: Mapping[str, str] = os.environ) -> dict:
    """The WebRTC configuration for both the browser and the server, from the environment.

    Without DANCE_STUN_URLS / DANCE_TURN_URL it is ``{"iceServers": []}``: no STUN or TURN
    server is contacted (streamlit-webrtc and aiortc would otherwise fall back to Google's
    public STUN server), which is all a browser on the same machine or LAN needs.

    DANCE_STUN_URLS: comma-separated ``stun:host:port`` URLs. DANCE_TURN_URL: comma-separated
    ``turn:host:port[?transport=udp|tcp]`` or ``turns:`` URLs, with DANCE_TURN_USERNAME and
    DANCE_TURN_CREDENTIAL (both required with a TURN URL).

    Raises
    ------
    IceConfigError
        A URL of the wrong scheme, or a TURN URL without its username and credential.
    """
    servers: list[dict] = []
    stun = _urls(environ.get(ENV_STUN_URLS))
    bad = [u for u in stun if not u.startswith(("stun:", "stuns:"))]
    if bad:
        raise IceConfigError(f"{ENV_STUN_URLS} must list stun: URLs (e.g. stun:stun.example.org:3478), got {bad}.")
    if stun:
        servers.append({"urls": stun})
    turn = _urls(environ.get(ENV_TURN_URLS))
    bad = [u for u in turn if not u.startswith(("turn:", "turns:"))]
    if bad:
        raise IceConfigError(f"{ENV_TURN_URLS} must list turn: or turns: URLs (e.g. turn:turn.example.org:3478), "
                             f"got {bad}.")
    if turn:
        username, credential = environ.get(ENV_TURN_USERNAME), environ.get(ENV_TURN_CREDENTIAL)
        if not username or not credential:
            raise IceConfigError(f"{ENV_TURN_URLS} is set, so {ENV_TURN_USERNAME} and {ENV_TURN_CREDENTIAL} must be "
                                 "set too (the TURN server's user name and password).")
        servers.append({"urls": turn, "username": username, "credential": credential})
    return {"iceServers": servers}


class SessionSlot:
    """Where the stream's frames go: the current `PracticeSession`, or nowhere (frames pass through).

    The page keeps one slot per browser session in `st.session_state` and passes `callback` as
    streamlit-webrtc's `video_frame_callback`. The slot, not the callback, holds the session,
    so a session made or finished in a later script run is picked up by the running stream.
    (`PracticeSession` itself is thread-safe: `process` on the stream's thread, `state`,
    `finish` and `close` on the page's.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: PracticeSession | None = None
        self._failed = False

    @property
    def session(self) -> PracticeSession | None:
        return self._session

    @property
    def failed(self) -> bool:
        """Whether processing raised (the stream then shows the raw camera; the log has the traceback)."""
        return self._failed

    def start(self, session: PracticeSession) -> None:
        """Send the next frames to `session`, closing the one there before."""
        with self._lock:
            old, self._session, self._failed = self._session, session, False
        if old is not None:
            old.close()

    def close(self) -> None:
        """Frames pass through from now on; the session is closed (a recording not finished is discarded)."""
        with self._lock:
            old, self._session = self._session, None
        if old is not None:
            old.close()

    def callback(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's `video_frame_callback` (its worker thread): the annotated frame.

        Frame dropping: with `async_processing=True` (the default) streamlit-webrtc 0.79 puts every
        incoming frame on a queue that its worker thread drains before each call, and calls this
        with the newest frame only (`AsyncMediaProcessTrack._worker_thread` ->
        `CallbackAttachableProcessor.recv_queued` -> `recv(frames[-1])`, in streamlit_webrtc's
        process.py and models.py); meanwhile the outgoing track repeats the latest annotated frame
        (`AsyncMediaProcessTrack.recv`). So when processing falls behind, frames are dropped, never
        queued: latency stays within one frame's processing time.
        """
        session = self._session
        if session is None or self._failed:
            return frame
        try:
            out = session.process(frame.to_ndarray(format="rgb24"), t=frame.time)   # capture time (RTP stamp)
        except Exception:  # noqa: BLE001 (an exception here would end the stream)
            logger.exception("live frame processing failed; frames now pass through unannotated")
            self._failed = True
            return frame
        return av.VideoFrame.from_ndarray(out, format="rgb24")


# --- what the page shows --------------------------------------------------------------------

def score_text(score: float | None) -> str:
    """The live score as the page writes it: "Live score: 87" (tests read this)."""
    return "Live score: –" if score is None else f"Live score: {score:.0f}"


def status_text(state: LiveState) -> str:
    """One line on where the attempt is."""
    if state.phase == "waiting":
        return "Starting: waiting for the first picture from the camera…"
    if state.phase == "countdown":
        return f"Get ready: the reference starts in {max(math.ceil(state.countdown_s), 1)} s…"
    if state.phase == "dancing":
        return f"Dancing: {state.ref_t:.1f} s into the reference."
    return "Finished: your attempt goes to the full comparison below."


def worst_joint_text(joint: str | None) -> str | None:
    return None if joint is None else f"Furthest from the reference now: **{joint_label(joint)}**"
