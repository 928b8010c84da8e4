"""TesseractEngine: tesserocr's result iterator → `PageAnalysis` in master pixels.

Creating a `PyTessBaseAPI` loads the traineddata (hundreds of ms), so one API per language
set is kept for the life of the process. Tesseract is not thread-safe and the analyzer runs
one recognition at a time per process: a lock serialises every use.

Tesseract sizes its expectations of text by the image's resolution, and estimates one from
the page when none is known — a guess that costs several points of CER on some prints. The
resolution the source declares (the page's `resolution`, else the image's own tags) is handed
to it; only when nothing credible is declared does Tesseract estimate.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import tesserocr

from analyzer.adapters import tessdata
from analyzer.adapters.tesseract_layout import read_layout
from analyzer.application.ports import PageInput
from analyzer.domain.geometry import Scaling
from analyzer.formats.images import credible, declared_resolution
from contracts import EngineInfo, EngineStep, PageAnalysis, PageImage
from contracts.errors import EngineFailed


class TesseractEngine:
    name = "tesseract"

    def __init__(
        self, tessdata_path: Path | None = None, default_languages: tuple[str, ...] = ("eng",)
    ) -> None:
        self.tessdata = tessdata_path or tessdata.tessdata_path()
        self.default_languages = list(default_languages)
        self.version = tesserocr.tesseract_version().split()[1]
        self._apis: dict[str, tesserocr.PyTessBaseAPI] = {}
        self._lock = threading.Lock()

    async def analyze(self, page: PageInput, step: EngineStep, prompt: str | None) -> PageAnalysis:
        languages = step.languages or self.default_languages
        return await anyio.to_thread.run_sync(self.analyze_sync, page, languages)

    def analyze_sync(self, page: PageInput, languages: list[str]) -> PageAnalysis:
        started = time.perf_counter()
        language_set = "+".join(languages)
        resolution = credible(page.resolution) or credible(declared_resolution(page.image))
        # Leptonica decodes the original bytes, as the tesseract CLI does: handing tesserocr a
        # PIL image makes it re-encode JPEGs (lossy) and drop the resolution.
        with tempfile.NamedTemporaryFile(prefix="recto-page-") as file:
            file.write(page.image)
            file.flush()
            with self._lock:
                api = self._api(language_set)
                try:
                    api.SetImageFile(file.name)
                except RuntimeError as error:
                    raise EngineFailed(f"tesseract cannot read the page image: {error}") from None
                if resolution is not None:
                    api.SetSourceResolution(round(resolution))
                if not api.Recognize():
                    raise EngineFailed(f"tesseract could not recognise page {page.page_id}")
                layout = read_layout(api.GetIterator(), Scaling(page.derivative, page.master))
                api.Clear()
        return PageAnalysis(
            image=PageImage(
                width=page.master.width, height=page.master.height, sha256=page.master_sha256
            ),
            regions=layout.regions,
            reading_order=[region.id for region in layout.regions],
            languages=languages,
            engine=EngineInfo(
                name=self.name,
                version=self.version,
                model=language_set,
                parameters={
                    "psm": int(tesserocr.PSM.AUTO),
                    "oem": int(tesserocr.OEM.DEFAULT),
                    # "estimated": nothing credible was declared, Tesseract judged the page.
                    "ppi": round(resolution) if resolution is not None else "estimated",
                },
            ),
            created_at=datetime.now(UTC),
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def _api(self, language_set: str) -> tesserocr.PyTessBaseAPI:
        if language_set not in self._apis:
            missing = set(language_set.split("+")) - tessdata.installed_languages(self.tessdata)
            if missing:
                raise EngineFailed(
                    f"no Tesseract language data for {sorted(missing)} in {self.tessdata}"
                )
            self._apis[language_set] = tesserocr.PyTessBaseAPI(
                path=str(self.tessdata), lang=language_set, psm=tesserocr.PSM.AUTO
            )
        return self._apis[language_set]

    def close(self) -> None:
        with self._lock:
            for api in self._apis.values():
                api.End()
            self._apis.clear()
