"""Pages for the pipeline benchmarks (B5–B7) and the raw tesserocr loop they are held against."""

from __future__ import annotations

import io
import multiprocessing
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from analyzer.adapters.tessdata import tessdata_path
from analyzer.application.evaluation import languages_for
from analyzer.formats.ground_truth import find_ground_truth
from ingest.formats.pillow_normalizer import normalize_image
from recto.sample.iiif_server import serving
from recto.sample.pages import SamplePage

# As ingest: the analyzer reads a derivative of at most this many pixels on its long side.
DERIVATIVE_LONG_SIDE = 2400


@dataclass(frozen=True)
class OcrPage:
    """A real GT page: what the IIIF server serves, and the languages to read it with."""

    page: SamplePage
    languages: tuple[str, ...]


def small_pages(count: int, run: int) -> list[SamplePage]:
    """600×800 JPEGs, each distinct (a content-addressed store must not dedupe them away)."""
    font = ImageFont.load_default(size=28)
    pages = []
    for number in range(1, count + 1):
        image = Image.new("L", (600, 800), 250)
        draw = ImageDraw.Draw(image)
        draw.text((60, 60), f"Run {run}, folio {number}", fill=20, font=font)
        draw.rectangle((60, 140, 540, 740), outline=60)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        name = f"r{run}p{number:05d}"
        pages.append(SamplePage(name, f"f. {number}r", buffer.getvalue(), 600, 800))
    return pages


def warm_up_pages(pages: list[OcrPage], copies: int) -> list[OcrPage]:
    """`copies` of the smallest page of each language set, to load every language's data."""
    smallest: dict[tuple[str, ...], OcrPage] = {}
    for page in pages:
        known = smallest.get(page.languages)
        if known is None or len(page.page.data) < len(known.page.data):
            smallest[page.languages] = page
    return [
        OcrPage(replace(page.page, name=f"w{copy}{page.page.name}"), page.languages)
        for page in smallest.values()
        for copy in range(copies)
    ]


def ocr_pages(gt_dir: Path, repeat: int) -> list[OcrPage]:
    """The GT pages at derivative size, `repeat` times over.

    The sample IIIF server resizes on the bench's own cores; serving derivative-size pages
    spares the pipeline that work, which a real image server does elsewhere. Ingest asks an
    image service for at most 2400 px anyway, so Recto's own work is unchanged.
    """
    pages = []
    truths = find_ground_truth(gt_dir)
    for copy in range(repeat):
        for index, truth in enumerate(truths):
            derivative = normalize_image(
                truth.image.read_bytes(), long_side=DERIVATIVE_LONG_SIDE
            ).derivative
            page = SamplePage(
                f"c{copy}p{index:02d}",
                truth.image.stem,
                derivative.data,
                derivative.width,
                derivative.height,
            )
            pages.append(OcrPage(page, tuple(languages_for(truth.image))))
    return pages


def by_languages(pages: list[OcrPage]) -> dict[tuple[str, ...], list[SamplePage]]:
    """One import per language set, as `recto demo` does; pages keep their order."""
    groups: dict[tuple[str, ...], list[SamplePage]] = {}
    for page in pages:
        groups.setdefault(page.languages, []).append(page.page)
    return groups


# The raw side: worker processes, each with one warm PyTessBaseAPI per language set.
_apis: dict[str, Any] = {}


def _load_apis(language_sets: list[str]) -> None:
    import tesserocr

    for language_set in language_sets:
        _apis[language_set] = tesserocr.PyTessBaseAPI(path=str(tessdata_path()), lang=language_set)


def _recognise(task: tuple[int, str, str]) -> tuple[int, float]:
    index, image, language_set = task
    started = time.perf_counter()
    api = _apis[language_set]
    api.SetImageFile(image)
    api.GetUTF8Text()
    return index, time.perf_counter() - started


def _ready(_: int) -> int:
    time.sleep(0.3)  # long enough for every worker to take one: all have run their initializer
    return os.getpid()


class RawTesserocr:
    """A plain loop over tesserocr in `processes` processes: the floor B6 compares with."""

    def __init__(self, tasks: list[tuple[str, str]], processes: int) -> None:
        self.tasks = tasks
        self.processes = processes
        language_sets = sorted({language_set for _, language_set in tasks})
        # OMP_THREAD_LIMIT=1 is set before tesserocr loads, as the analyzer does.
        os.environ["OMP_THREAD_LIMIT"] = "1"
        context = multiprocessing.get_context("spawn")
        self.pool = context.Pool(processes, initializer=_load_apis, initargs=(language_sets,))
        self.pool.map(_ready, range(processes), chunksize=1)

    def run(self) -> float:
        """Seconds to recognise every task, pages handed out one at a time."""
        started = time.perf_counter()
        self.seconds_per_task()
        return time.perf_counter() - started

    def seconds_per_task(self) -> list[float]:
        """Each task's own recognition time, in the order of `tasks`."""
        numbered = [(index, *task) for index, task in enumerate(self.tasks)]
        seconds = [0.0] * len(self.tasks)
        for index, elapsed in self.pool.imap_unordered(_recognise, numbered, chunksize=1):
            seconds[index] = elapsed
        return seconds

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


def raw_tasks(manifest_url: str, pages: list[OcrPage], folder: Path) -> list[tuple[str, str]]:
    """The images the analyzer reads: each page as served, through ingest's normalizer."""
    import httpx

    base = manifest_url.removesuffix("/manifest.json")
    tasks = []
    for page in pages:
        served = httpx.get(f"{base}/image/{page.page.name}/full/max/0/default.jpg", timeout=30)
        served.raise_for_status()
        derivative = normalize_image(served.content, long_side=DERIVATIVE_LONG_SIDE).derivative
        path = folder / f"{page.page.name}.jpg"
        path.write_bytes(derivative.data)
        tasks.append((str(path), "+".join(page.languages)))
    return tasks


@dataclass(frozen=True)
class OcrWork:
    """The GT pages longest first, their derivatives on disk, and each one's raw seconds."""

    pages: list[OcrPage]
    tasks: list[tuple[str, str]]
    seconds: list[float]


def longest_first(pages: list[OcrPage], folder: Path) -> OcrWork:
    """Order pages by one raw pass, longest first, for the pipeline and the raw loop alike.

    With a dozen pages of 1 to 10 s, a makespan otherwise says more about which process drew
    the slowest page last than about throughput.
    """
    with serving([page.page for page in pages]) as url:
        tasks = raw_tasks(url, pages, folder)
    raw = RawTesserocr(tasks, 2)
    try:
        seconds = raw.seconds_per_task()
    finally:
        raw.close()
    order = sorted(range(len(pages)), key=lambda index: -seconds[index])
    return OcrWork(
        [pages[i] for i in order], [tasks[i] for i in order], [seconds[i] for i in order]
    )
