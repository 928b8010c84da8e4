"""Watching a manifest: which canvases of a re-read manifest are not registered yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from contracts import IiifSource, ManuscriptImportRequested, PageRegistered
from ingest.domain.manifest import Canvas, Manifest
from ingest.domain.registration import register_canvases


def new_canvases(
    registered_canvas_ids: Iterable[str], manifest: Manifest
) -> list[tuple[int, Canvas]]:
    """Image canvases absent from `registered_canvas_ids`, with their index in the manifest.

    The index counts image canvases only, as registration does, so a page keeps the index it
    would have had had it been there at the first import.
    """
    known = set(registered_canvas_ids)
    return [
        (index, canvas)
        for index, canvas in enumerate(manifest.image_canvases)
        if canvas.id not in known
    ]


@dataclass(frozen=True)
class WatchedManifest:
    """A manuscript whose manifest is re-read, with what the last reading left behind."""

    manuscript_id: UUID
    corpus_id: UUID
    job_id: UUID
    url: str
    interval_seconds: int
    canvas_ids: frozenset[str] = frozenset()
    next_index: int = 0
    """The index the next new page gets: one past the highest registered so far."""
    etag: str | None = None
    last_modified: str | None = None

    def conditional_headers(self) -> dict[str, str]:
        """Ask the server to answer 304 when nothing changed since the last reading."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def import_request(self) -> ManuscriptImportRequested:
        return ManuscriptImportRequested(
            manuscript_id=self.manuscript_id,
            corpus_id=self.corpus_id,
            job_id=self.job_id,
            source=IiifSource.model_validate(
                {"url": self.url, "watch_interval_seconds": self.interval_seconds}
            ),
        )


def pages_to_register(watched: WatchedManifest, manifest: Manifest) -> list[PageRegistered]:
    """`page.registered` for the canvases not seen before, only.

    Their indexes continue the manuscript, in manifest order: a canvas inserted before known
    ones cannot take an index another page already holds. Page ids stay stable because they
    derive from the manuscript, the canvas and that index.
    """
    fresh = new_canvases(watched.canvas_ids, manifest)
    numbered = [(watched.next_index + n, canvas) for n, (_, canvas) in enumerate(fresh)]
    return register_canvases(watched.import_request(), numbered)
