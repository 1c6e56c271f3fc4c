"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests (engine and UI).

Usage::

    with fake_openai_server("ok", text="Nice work.") as (base_url, requests):
        config = LLMConfig(api_key="sk-test-123", base_url=base_url, timeout_s=2.0)
        ...
        requests[0]["body"]["messages"]   # what the client sent

Modes
-----
ok            200 with a chat.completion whose message is `text`
empty         200 with an empty message
error500      500 server error
unauthorized  401 invalid_api_key (the error text quotes the key it got, as OpenAI's partly does,
              so tests can check the key never reaches a notice)
ratelimit     429 rate limit
slow          waits `delay_s` before answering `ok` (use a client timeout shorter than that)

Both ``/v1/chat/completions`` and ``/chat/completions`` answer; anything else is a 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "empty", "error500", "unauthorized", "ratelimit", "slow")
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
DEFAULT_TEXT = "Lovely work overall; keep your left elbow lifted at 0:04.2."
#: How long "slow" waits before answering, seconds (the context exit cuts it short).
DEFAULT_DELAY_S = 5.0
#: How long the context exit waits for the server thread, seconds.
JOIN_TIMEOUT_S = 5.0


def _completion(text: str, model: str) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


def _error(message: str, kind: str, code: str | None) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # noqa: ARG002
        # A client that timed out and hung up is expected here; nothing to report.
        pass


@contextmanager
def fake_openai_server(mode: str = "ok", text: str = DEFAULT_TEXT, *,
                       delay_s: float = DEFAULT_DELAY_S) -> Iterator[tuple[str, list[dict]]]:
    """Serve fake chat completions in a thread for the duration of the block.

    Parameters
    ----------
    mode : one of MODES
    text : the answer in "ok" and "slow" modes
    delay_s : how long "slow" waits, seconds

    Yields
    ------
    (base_url, requests)
        base_url like "http://127.0.0.1:PORT/v1"; requests is a list, filled as requests arrive,
        of {"path": str, "authorization": str | None, "body": parsed JSON or None}.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    recorded: list[dict] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass  # keep test output clean

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            auth = self.headers.get("Authorization")
            recorded.append({"path": self.path, "authorization": auth, "body": body})
            if self.path not in CHAT_PATHS:
                self._send(404, _error(f"no route {self.path}", "invalid_request_error", None))
                return
            model = (body or {}).get("model", "fake-model")
            if mode == "ok":
                self._send(200, _completion(text, model))
            elif mode == "empty":
                self._send(200, _completion("", model))
            elif mode == "error500":
                self._send(500, _error("The server had an error while processing your request.",
                                       "server_error", None))
            elif mode == "unauthorized":
                key = (auth or "").removeprefix("Bearer ")
                self._send(401, _error(f"Incorrect API key provided: {key}.", "invalid_request_error",
                                       "invalid_api_key"))
            elif mode == "ratelimit":
                self._send(429, _error("Rate limit reached.", "requests", "rate_limit_exceeded"))
            elif mode == "slow":
                if stop.wait(delay_s):
                    return  # the block ended: the client is long gone
                self._send(200, _completion(text, model))

    server = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"fake-openai-{mode}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", recorded
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(JOIN_TIMEOUT_S)
