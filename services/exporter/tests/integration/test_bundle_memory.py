"""A 500-page bundle streams in bounded memory: measured in a fresh process, RSS included."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

PAGES = 500
IMAGE_BYTES = 1024 * 1024

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, random, sys
    from pathlib import Path
    from datetime import UTC, datetime
    from uuid import UUID

    import psutil

    from contracts import (Box, EngineInfo, ImageRef, Line, ManuscriptImported, PageAnalysis,
                           PageImage, PageRegistered, Region, Word)
    from exporter.application.bundle import stream_bundle
    from exporter.domain.manuscript import ManuscriptPage

    pages, image_bytes = int(sys.argv[1]), int(sys.argv[2])
    manuscript = UUID(int=1)
    master = ImageRef(sha256="0" * 64, media_type="image/jpeg", bytes=image_bytes, width=2000,
                      height=3000)

    def image_chunks(index):
        # Distinct, incompressible images made on the fly: nothing large exists anywhere.
        generator = random.Random(index)
        for _ in range(image_bytes // 65536):
            yield generator.randbytes(65536)

    def analysis(index):
        lines = []
        for n in range(12):
            words = [Word(id=f"w{n}_{k}", text=f"mot{index}_{k}", confidence=0.9,
                          bbox=Box(x=100 + 150 * k, y=100 + 80 * n, width=120, height=50))
                     for k in range(8)]
            lines.append(Line(id=f"l{n}", text=" ".join(w.text for w in words),
                              bbox=Box(x=100, y=100 + 80 * n, width=1170, height=50),
                              words=words))
        return PageAnalysis(image=PageImage(width=2000, height=3000),
                            regions=[Region(id="r", bbox=Box(x=90, y=90, width=1200, height=990),
                                            lines=lines)],
                            engine=EngineInfo(name="null"),
                            created_at=datetime(2024, 1, 1, tzinfo=UTC))

    def pages_lazily():
        for index in range(pages):
            registered = PageRegistered(page_id=UUID(int=1000 + index), manuscript_id=manuscript,
                                        corpus_id=UUID(int=2), index=index,
                                        image_url=f"https://example.org/{index}.jpg")
            yield ManuscriptPage(registered, analysis(index), master)

    def images(page):
        return lambda: image_chunks(page.registered.index)

    imported = ManuscriptImported(manuscript_id=manuscript, corpus_id=UUID(int=2),
                                  page_count=pages, label="big")
    before = psutil.Process().memory_info().rss
    size, digest = 0, hashlib.sha256()
    for chunk in stream_bundle(imported, pages_lazily(), "http://gw", images=images):
        size += len(chunk)
        digest.update(chunk)
    # VmHWM, not ru_maxrss: after fork+exec, ru_maxrss still counts the parent's pages.
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
    print(json.dumps({"bundle_bytes": size, "sha256": digest.hexdigest(), "rss_before": before,
                      "peak_rss": peak}))
    """
)


def test_a_500_page_bundle_streams_in_bounded_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PAGES), str(IMAGE_BYTES)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    bundle = figures["bundle_bytes"]
    assert bundle > PAGES * IMAGE_BYTES
    # The whole process, interpreter and libraries included, stays far below the bundle.
    assert figures["peak_rss"] < bundle / 4
    assert figures["peak_rss"] - figures["rss_before"] < 48 * 1024 * 1024
    print(
        f"bundle {bundle / 2**20:.0f} MiB, RSS before {figures['rss_before'] / 2**20:.0f} MiB, "
        f"peak {figures['peak_rss'] / 2**20:.0f} MiB"
    )
