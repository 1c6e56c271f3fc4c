"""Work-arounds for library versions the app meets in the wild. Each one says when it can go.

`fix_media_gzip`: Streamlit 1.60's gzip middleware overrides Starlette's responders so that
audio/video are never compressed, by recording the response start and holding it back. Since
Starlette 1.5 the base responders exclude media themselves and *send* the start of an excluded
response at once; Streamlit's override swallows that start, so every /media/ response (each
st.video) fails with HTTP 500 "Expected ASGI message 'http.response.start'". Streamlit fixed it
upstream (streamlit/streamlit#16344, #16462). Remove this once requirements.txt pins a
Starlette that Streamlit 1.60 was tested with (1.3.x) or a Streamlit with that fix.
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
