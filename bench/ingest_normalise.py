"""B9: normalizing a 4000×6000 JPEG with Recto's normalizer vs raw Pillow with `draft`.

Both sides do the same work: decode with DCT scaling, produce a 2400 px derivative and a
256 px thumbnail, encode both as JPEG. Prints a table and writes
`bench/results/ingest_normalise.json`. Never fails on time.

    uv run python bench/ingest_normalise.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import PIL
from PIL import Image, ImageDraw

from ingest.formats.pillow_normalizer import normalize_image

LONG_SIDE, THUMBNAIL = 2400, 256
RESULTS = Path(__file__).parent / "results" / "ingest_normalise.json"


def make_page(width: int = 4000, height: int = 6000) -> bytes:
    """A page-like JPEG: parchment ground, dark text-like strokes, as scans compress."""
    image = Image.new("RGB", (width, height), (232, 222, 198))
    draw = ImageDraw.Draw(image)
    for row in range(300, height - 300, 90):
        for column in range(300, width - 300, 160):
            draw.rectangle(
                (column, row, column + 110 + (row * column) % 37, row + 40), fill=(40, 30, 25)
            )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def raw_pillow(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    scale = LONG_SIDE / max(image.size)
    image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
    image.load()
    derivative = image.copy()
    derivative.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    thumbnail = derivative.copy()
    thumbnail.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    derivative.save(io.BytesIO(), "JPEG", quality=90)
    thumbnail.save(io.BytesIO(), "JPEG", quality=80)


def recto(data: bytes) -> None:
    normalize_image(data, long_side=LONG_SIDE, thumbnail_size=THUMBNAIL)


def timed(work: Callable[[bytes], None], data: bytes) -> float:
    started = time.perf_counter()
    work(data)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per side (>= 3)")
    runs = max(3, parser.parse_args().runs)
    data = make_page()
    raw_pillow(data), recto(data)  # warm caches and imports once
    samples: dict[str, list[float]] = {"pillow_draft": [], "recto": []}
    for _ in range(runs):  # interleaved, so drift on a shared machine hits both sides alike
        samples["pillow_draft"].append(timed(raw_pillow, data))
        samples["recto"].append(timed(recto, data))
    figures = {
        name: {"median_ms": statistics.median(v), "min_ms": min(v), "max_ms": max(v), "runs": v}
        for name, v in samples.items()
    }
    ratio = figures["recto"]["median_ms"] / figures["pillow_draft"]["median_ms"]
    print(
        f"B9 ingest normalisation, 4000x6000 JPEG ({len(data) / 1e6:.1f} MB)"
        f" -> {LONG_SIDE} px + {THUMBNAIL} px"
    )
    print(f"{'side':<14}{'median ms':>11}{'min':>9}{'max':>9}")
    for name, figure in figures.items():
        print(
            f"{name:<14}{figure['median_ms']:>11.1f}{figure['min_ms']:>9.1f}{figure['max_ms']:>9.1f}"
        )
    print(f"ratio recto / pillow_draft = {ratio:.2f} (goal <= 1.1)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "B9 ingest_normalise",
                "image": {"width": 4000, "height": 6000, "bytes": len(data)},
                "derivative_long_side": LONG_SIDE,
                "thumbnail": THUMBNAIL,
                "figures": figures,
                "ratio_recto_over_pillow_draft": ratio,
                "goal_ratio": 1.1,
                "versions": {"pillow": PIL.__version__, "python": sys.version.split()[0]},
                "machine": {"nproc": os.cpu_count(), "platform": platform.platform()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
