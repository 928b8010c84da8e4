"""Watching a manifest: which canvases of a re-read manifest are not registered yet."""

from __future__ import annotations

from collections.abc import Iterable

from ingest.domain.manifest import Canvas, Manifest


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
