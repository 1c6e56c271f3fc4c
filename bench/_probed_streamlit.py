"""`streamlit run ...` with a probe that logs, per browser session, when the server took each
message from the page and when it wrote each message to the page's websocket.

Why: timing the pages from a Playwright client on the same 2 cores measures the browser and
the client too (a message the server wrote could reach the client's event handler up to 30 s
later under 8 sessions). This log is the server's own side of the conversation.

    python bench/_probed_streamlit.py run app.py --server.port ...   (log: $DANCE_PROBE_LOG)

Log lines: ``<monotonic s> <session id> recv|sent <message type>``. (Every hop from a page's
script run to the socket goes through the server's event loop, so a gap here is the server's,
whichever of its threads caused it.) Bench only: it wraps
Streamlit 1.60's `Runtime.connect_session`, `Runtime.handle_backmsg` and the Starlette
websocket client's `write_forward_msg` / `_sender` (checked at start; a different Streamlit
stops here with a message rather than logging nothing).
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time


def install(log_path: str) -> None:
    from streamlit.runtime.runtime import Runtime
    from streamlit.web.server.starlette import starlette_websocket as ws

    client_class = ws.StarletteSessionClient
    for owner, name in ((Runtime, "connect_session"), (Runtime, "handle_backmsg"),
                        (client_class, "write_forward_msg"), (client_class, "_sender")):
        if not callable(getattr(owner, name, None)):
            raise SystemExit(f"_probed_streamlit: this Streamlit has no {owner.__name__}.{name}; update the probe")

    out = open(log_path, "a", buffering=1)      # noqa: SIM115 (open for the server's life)
    lock = threading.Lock()
    session_of: dict[int, str] = {}             # id(client) -> session id
    kinds: dict[int, collections.deque] = collections.defaultdict(collections.deque)

    def log(session: str, direction: str, kind: str) -> None:
        with lock:
            out.write(f"{time.monotonic():.4f} {session} {direction} {kind}\n")

    connect, handle, write = Runtime.connect_session, Runtime.handle_backmsg, client_class.write_forward_msg

    def connect_session(self, client, *args, **kwargs):
        session = connect(self, client, *args, **kwargs)
        session_of[id(client)] = session
        return session

    def handle_backmsg(self, session_id, msg):
        log(session_id, "recv", msg.WhichOneof("type") or "none")
        return handle(self, session_id, msg)

    def write_forward_msg(self, msg):
        write(self, msg)     # raises when the client is gone: then nothing is queued or noted
        kinds[id(self)].append(msg.WhichOneof("type") or "none")   # same order as the send queue

    async def _sender(self):
        from starlette.websockets import WebSocketDisconnect

        try:
            while True:
                payload = await self._send_queue.get()
                await self._websocket.send_bytes(payload)
                queued = kinds[id(self)]
                log(session_of.get(id(self), "?"), "sent", queued.popleft() if queued else "?")
        except WebSocketDisconnect:
            pass
        except Exception:    # as Streamlit's own sender: logged, and the client is closed
            ws._LOGGER.exception("Error sending websocket payload")
        finally:
            self._closed.set()

    Runtime.connect_session, Runtime.handle_backmsg = connect_session, handle_backmsg
    client_class.write_forward_msg, client_class._sender = write_forward_msg, _sender


def sample_stacks(log_path: str, every_s: float = 0.1, depth: int = 5) -> None:
    """Every `every_s`, write each thread's innermost `depth` frames (``<monotonic s> <thread>
    file:line:function < ...``) to `log_path`, from a daemon thread. A sample that comes late
    (the sampler waited for the GIL too) shows in its time stamp."""
    import traceback

    out = open(log_path, "a", buffering=1 << 16)   # noqa: SIM115 (open for the server's life)

    def run() -> None:
        while True:
            time.sleep(every_s)
            now = time.monotonic()
            names = {t.ident: t.name for t in threading.enumerate()}
            lines = []
            for ident, frame in sys._current_frames().items():
                stack = traceback.extract_stack(frame)[-depth:]
                where = " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in reversed(stack))
                lines.append(f"{now:.4f} {str(names.get(ident, ident)).replace(' ', '_')[:40]} {where}\n")
            out.writelines(lines)
            out.flush()

    threading.Thread(target=run, name="probe-sampler", daemon=True).start()


if __name__ == "__main__":
    install(os.environ["DANCE_PROBE_LOG"])
    if os.environ.get("DANCE_PROBE_STACKS"):
        sample_stacks(os.environ["DANCE_PROBE_STACKS"])
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    main()
