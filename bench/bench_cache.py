"""Benchmark: loading a cached clip, and the cache's size per minute of video.

Usage::

    .venv/bin/python bench/bench_cache.py [--repeats 20] [--cache-dir DIR] [--tiny]

The 70 s clip (solo/red_skirt_folk_solo_70s_240p.mp4) is extracted into --cache-dir once
(default: a folder in the temp dir, reused by later runs); then, in this process:

* ``store.load``: read and validate the HDF5 file (every array, masks decompressed);
* ``load_or_extract``: what a comparison pays on a hit (content hash of the video + load);

min / median / max over --repeats, after one untimed read (the OS file cache is warm, as it is
for a user comparing again). Then the file's size, per minute of video, split into masks and
landmarks, and the load time of the same data stored with other mask codecs (gzip 1, gzip 4 =
the cache's, lzf, none) for the record. --tiny uses 5 s of the built-in sample clip.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED_VIDEOS, fmt_stats, machine_lines, tiny_clips  # noqa: E402

sys.path.insert(0, str(REPO))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from engine.core.settings import ExtractSettings  # noqa: E402
from engine.io import store  # noqa: E402
from engine.io.extract import sha256_file  # noqa: E402
from engine.io.pose import model_name  # noqa: E402

LONG = SHARED_VIDEOS / "solo" / "red_skirt_folk_solo_70s_240p.mp4"
TARGET_LOAD_S = 0.2
CODECS = {"gzip 1": {"compression": "gzip", "compression_opts": 1}, "gzip 4": {"compression": "gzip", "compression_opts": 4},
          "lzf": {"compression": "lzf"}, "none": {}}


def timed(fn, repeats: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def codec_rows(masks: np.ndarray, workdir: Path, repeats: int) -> list[tuple[str, float, list[float]]]:
    """(codec, MiB on disk, read seconds) for the masks alone under each codec."""
    rows = []
    for name, opts in CODECS.items():
        path = workdir / f"masks-{name.replace(' ', '')}.h5"
        with h5py.File(path, "w") as f:
            f.create_dataset("mask", data=masks, chunks=(store.MASK_CHUNK_FRAMES, *masks.shape[1:]), **opts)

        def read(path=path):
            with h5py.File(path, "r") as f:
                return f["mask"][()]
        rows.append((name, path.stat().st_size / 2**20, timed(read, repeats)))
        path.unlink()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "dance-bench" / "cache")
    ap.add_argument("--tiny", action="store_true", help="5 s of the sample clip: checks the script runs")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dance-bench")
    args = ap.parse_args(argv)

    if args.tiny:
        clip = tiny_clips(args.workdir)[0]
        args.repeats = min(args.repeats, 3)
    elif LONG.is_file():
        clip = LONG
    else:
        print(f"error: {LONG} is missing; run with --tiny or put ../shared beside the repository", file=sys.stderr)
        return 2
    print("Cache benchmark: load time and size of a cached clip")
    for line in machine_lines(("numpy", "h5py")):
        print(line)
    settings = ExtractSettings()
    perf = store.load_or_extract(clip, cache_dir=args.cache_dir, settings=settings)
    path = store.cache_path(args.cache_dir, sha256_file(clip), settings.fingerprint(model_name(settings.model_complexity)))
    minutes = perf.source.duration_s / 60.0
    print(f"clip: {clip.name}, {perf.source.duration_s:.1f} s, {perf.n_frames} frames; cache file {path.name}\n")

    load_s = timed(lambda: store.load(path), args.repeats)
    hit_s = timed(lambda: store.load_or_extract(clip, cache_dir=args.cache_dir, settings=settings), args.repeats)
    print(f"{'operation':<28} {'min / median / max s':>24}")
    print(f"{'store.load':<28} {fmt_stats(load_s, 3):>24}")
    print(f"{'load_or_extract (cache hit)':<28} {fmt_stats(hit_s, 3):>24}")

    with h5py.File(path, "r") as f:
        stored = {k: f[k].id.get_storage_size() for k in f}
    size = path.stat().st_size
    masks = stored.pop("mask")
    print(f"\ncache file: {size / 2**20:.2f} MiB = {size / 2**20 / minutes:.2f} MiB per minute of video "
          f"(masks {masks / 2**20 / minutes:.2f}, landmarks and the rest {sum(stored.values()) / 2**20 / minutes:.2f}; "
          f"uncompressed masks would be {perf.mask.nbytes / 2**20 / minutes:.1f} MiB/min)")

    print(f"\n{'mask codec':<10} {'MiB/min':>8} {'read masks s (min / median / max)':>36}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, mib, times in codec_rows(perf.mask, Path(tmp), args.repeats):
            print(f"{name:<10} {mib / minutes:>8.2f} {fmt_stats(times, 3):>36}")
    ok = np.median(hit_s) < TARGET_LOAD_S
    print(f"\ncache hit median {np.median(hit_s):.3f} s (target < {TARGET_LOAD_S} s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
