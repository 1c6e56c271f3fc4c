"""Work-arounds for library versions the app meets in the wild. Each one says when it can go.

`fix_media_gzip`: Streamlit 1.60's gzip middleware overrides Starlette's responders so that
audio/video are never compressed, by recording the response start and holding it back. Since
Starlette 1.5 the base responders exclude media themselves and *send* the start of an excluded
response at once; Streamlit's override swallows that start, so every /media/ response (each
st.video) fails with HTTP 500 "Expected ASGI message 'http.response.start'". Streamlit fixed it
upstream (streamlit/streamlit#16344, #16462). Remove this once requirements.txt pins a
Starlette that Streamlit 1.60 was tested with (1.3.x) or a Streamlit with that fix.

`keep_upload_answers`: when a script run starts, Streamlit 1.60 empties the session's outgoing
queue except for "lifecycle" messages. A `file_urls_response` (the upload URLs the browser asked
for when a clip was dropped) still waiting there is thrown away, the browser never uploads the
file, and its drop zone stays empty whatever is dropped on it next. It happens when a clip is
dropped while the page's previous rerun (e.g. the other clip's upload) is starting: seen in
`bench/bench_sessions.py` with 8 people (2 of 8 student clips lost in one round; the server's
log shows the request taken, a rerun started the same instant, and no answer ever sent). Remove
it once `tests/ui/test_helpers.py::test_upload_answers_survive_a_new_script_run` finds the
unpatched queue keeping the answer.
"""

from __future__ import annotations

import inspect
import logging

logger = logging.getLogger(__name__)


def fix_media_gzip() -> bool:
    """Give Streamlit's media-aware gzip responders back Starlette's own message handling.

    Only when the installed Starlette excludes video/* by content type itself (so nothing is
    lost). Idempotent. Returns whether the patch is in place.
    """
    try:
        from starlette.middleware import gzip as starlette_gzip
        from streamlit.web.server.starlette import starlette_gzip_middleware as st_gzip
    except ImportError:
        return False
    base_params = inspect.signature(starlette_gzip.IdentityResponder.__init__).parameters
    native_media = "exclude_content_types" in base_params and any(
        t.startswith("video/") for t in starlette_gzip.DEFAULT_EXCLUDED_CONTENT_TYPES)
    if not native_media:
        return False
    pairs = ((getattr(st_gzip, "_MediaAwareGZipResponder", None), starlette_gzip.GZipResponder),
             (getattr(st_gzip, "_MediaAwareIdentityResponder", None), starlette_gzip.IdentityResponder))
    for cls, base in pairs:
        if cls is not None and cls.__dict__.get("send_with_compression") not in (None, base.send_with_compression):
            cls.send_with_compression = base.send_with_compression
            logger.info("patched %s for media responses (see ui/compat.py)", cls.__name__)
    return True


def keep_upload_answers() -> bool:
    """Make a starting script run keep pending upload-URL answers in the session's outgoing queue.

    Wraps `ForwardMsgQueue.clear` for the interrupted-run case only (`retain_lifecycle_msgs`);
    `flush` (which sends the queue) is unchanged. Idempotent. Returns whether the patch is in place.
    """
    try:
        from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    except ImportError:
        return False
    clear = ForwardMsgQueue.clear
    if getattr(clear, "_keeps_upload_answers", False):
        return True

    def clear_keeping_upload_answers(self, retain_lifecycle_msgs: bool = False, *args, **kwargs) -> None:
        answers = ([m for m in self._queue if m.WhichOneof("type") == "file_urls_response"]
                   if retain_lifecycle_msgs else [])
        clear(self, retain_lifecycle_msgs, *args, **kwargs)
        kept = {id(m) for m in self._queue}
        self._queue[:0] = [m for m in answers if id(m) not in kept]   # sent first, as they were queued first

    clear_keeping_upload_answers._keeps_upload_answers = True
    clear_keeping_upload_answers._original = clear
    ForwardMsgQueue.clear = clear_keeping_upload_answers
    logger.info("patched ForwardMsgQueue.clear to keep upload-URL answers (see ui/compat.py)")
    return True
