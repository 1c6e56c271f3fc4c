"""One clip's extraction on the Dask cluster of ``DANCE_DASK_SCHEDULER``, for the dashboard.

`load_or_extract_on_cluster` takes what `engine.io.store.load_or_extract` takes and returns the
same `Performance`: a cache hit is read here; a miss is one `extract_video` task on the cluster,
whose worker writes the cache file (atomically) into the shared cache folder, which is then read
here. So a hosted app's web process decodes no video and runs no pose model. The cluster's workers
must see the upload folder and the cache folder at the same paths as the web process.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.batch._task import extract_video
from engine.batch.runner import ENV_SCHEDULER, _check_cluster, connect
from engine.core.errors import EngineError, VideoError
from engine.core.performance import Performance
from engine.core.progress import Progress
from engine.core.settings import ExtractSettings


def cluster_address() -> str | None:
    """The scheduler named by ``DANCE_DASK_SCHEDULER``, or None (extract in this process)."""
    return os.environ.get(ENV_SCHEDULER, "").strip() or None


def load_or_extract_on_cluster(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str],
                               settings: ExtractSettings = ExtractSettings(), display_name: str | None = None,
                               progress: Progress | None = None, masks: bool = True,
                               scheduler: str | None = None, **_local_only) -> Performance:
    """`store.load_or_extract`, with the extraction of a miss done on the Dask cluster at `scheduler`
    (default ``DANCE_DASK_SCHEDULER``). Arguments only a local extraction uses (``extractor``) are ignored."""
    from engine.io.extract import sha256_file
    from engine.io.store import cache_path, fingerprint, load

    address = scheduler or cluster_address()
    if address is None:
        raise EngineError(f"no Dask scheduler: set {ENV_SCHEDULER}")
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise VideoError(f"{name}: no such file.")
    target = cache_path(cache_dir, sha256_file(path), fingerprint(settings))
    if not target.is_file():
        if progress is not None:
            progress(0.05, f"{name}: extracting on the cluster ({address})")
        client = connect(address)
        try:
            _check_cluster(client, address)
            outcome = client.submit(extract_video, str(path.resolve()), str(Path(cache_dir).resolve()), settings,
                                    pure=False).result()
        finally:
            client.close()
        if not outcome.ok:
            raise EngineError(outcome.error.replace(path.name, name))
    perf = load(target, masks=masks, display_name=name)
    if progress is not None:
        progress(1.0, f"{name}: done")
    return perf
