"""Exporter: milliseconds per page for each format, XSD validation included.

Pages are the ground truth of `corpora/ocr-gt` (ALTO and PAGE), imported as `PageAnalysis`.
For ALTO and PAGE the floor is lxml alone on the very same output: parse it, serialise it,
validate it against the same schema; the ratio says what building the document costs on top.
Prints a table and writes `bench/results/exporter_formats.json`. Never fails on time.

    uv run python bench/exporter_formats.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from uuid import UUID

from lxml import etree

from contracts import ManuscriptImported, PageAnalysis, PageRegistered
from exporter.application.bundle import stream_bundle
from exporter.application.manuscript import build_iiif_manifest, build_mets
from exporter.application.render import render_page
from exporter.domain.formats import PageFormat
from exporter.domain.manuscript import Manuscript, ManuscriptPage
from exporter.domain.urls import GatewayUrls
from exporter.formats import xsd
from exporter.formats.alto_reader import read_alto
from exporter.formats.page_reader import read_page
from infra.testing.corpora import corpora_root

RESULTS = Path(__file__).parent / "results" / "exporter_formats.json"
URLS = GatewayUrls("http://gateway.example")


def ground_truth() -> list[PageAnalysis]:
    root = corpora_root()
    if root is None:
        sys.exit("corpora not found: set RECTO_CORPORA to the shared corpora folder")
    pages = []
    for path in sorted((root / "ocr-gt").rglob("*.xml")):
        if path.name == "mets.xml":
            continue
        data = path.read_bytes()
        pages.append(read_alto(data) if b"standards/alto" in data[:2000] else read_page(data))
    return pages


def per_page_ms(work: Callable[[], object], pages: int, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000 / pages)
    return timings


def lxml_floor(documents: list[bytes], schema: xsd.Schema) -> Callable[[], None]:
    def work() -> None:
        for content in documents:
            tree = etree.fromstring(content)
            etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
            xsd.validate(schema, content)

    return work


def manuscript(pages: list[PageAnalysis]) -> Manuscript:
    imported = ManuscriptImported(
        manuscript_id=UUID(int=1),
        corpus_id=UUID(int=2),
        page_count=len(pages),
        label="ground truth",
    )
    return Manuscript(
        imported,
        [
            ManuscriptPage(
                PageRegistered(
                    page_id=UUID(int=100 + i),
                    manuscript_id=UUID(int=1),
                    corpus_id=UUID(int=2),
                    index=i,
                    image_url=f"https://images.example/{i}.jpg",
                ),
                analysis,
            )
            for i, analysis in enumerate(pages)
        ],
    )


def summary(values: list[float]) -> dict[str, object]:
    return {
        "median_ms": statistics.median(values),
        "min_ms": min(values),
        "max_ms": max(values),
        "runs": values,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = max(3, parser.parse_args().runs)
    pages = ground_truth()
    count = len(pages)
    # Warm up: schemas compile once per process, as in a running service.
    for fmt in PageFormat:
        render_page(fmt, pages[0], page_id=UUID(int=0), urls=URLS)
    build_mets(manuscript(pages[:1]), URLS.base_url)

    figures: dict[str, dict[str, object]] = {}
    for fmt in PageFormat:

        def work(fmt: PageFormat = fmt) -> None:
            for i, analysis in enumerate(pages):
                render_page(fmt, analysis, page_id=UUID(int=100 + i), urls=URLS)

        figures[fmt.value] = summary(per_page_ms(work, count, runs))
    for fmt, schema in ((PageFormat.ALTO, xsd.Schema.ALTO), (PageFormat.PAGE, xsd.Schema.PAGE)):
        documents = [render_page(fmt, a, page_id=UUID(int=0), urls=URLS).content for a in pages]
        figures[f"{fmt.value}_lxml_floor"] = summary(
            per_page_ms(lxml_floor(documents, schema), count, runs)
        )
    whole = manuscript(pages)
    figures["iiif_manifest"] = summary(
        per_page_ms(lambda: build_iiif_manifest(whole, URLS.base_url), count, runs)
    )
    figures["mets"] = summary(per_page_ms(lambda: build_mets(whole, URLS.base_url), count, runs))
    figures["bundle"] = summary(
        per_page_ms(
            lambda: sum(len(c) for c in stream_bundle(whole.imported, whole.pages, URLS.base_url)),
            count,
            runs,
        )
    )

    ratios = {
        name: figures[name]["median_ms"] / figures[f"{name}_lxml_floor"]["median_ms"]  # type: ignore[operator]
        for name in ("alto", "page")
    }
    rows = [("format", "median ms/page", "spread (min..max)")]
    for name, figure in figures.items():
        rows.append(
            (name, f"{figure['median_ms']:.2f}", f"{figure['min_ms']:.2f}..{figure['max_ms']:.2f}")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = sum(len(a.lines()) for a in pages)
    print(f"{count} ground-truth pages, {lines} lines, {runs} runs")
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
    for name, ratio in ratios.items():
        print(f"{name}: {ratio:.2f}x the lxml floor (parse + serialise + validate the same bytes)")

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "exporter_formats",
                "pages": count,
                "lines": lines,
                "words": sum(len(a.words()) for a in pages),
                "figures": figures,
                "ratio_over_lxml_floor": ratios,
                "measured_at": datetime.now(UTC).isoformat(),
                "machine": {
                    "nproc": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "platform": platform.platform(),
                    "versions": {
                        name: version(name) for name in ("lxml", "pydantic", "stream-zip")
                    },
                },
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
