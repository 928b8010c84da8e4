"""A whole manuscript's transcriptions from one zip (a Transkribus or eScriptorium export).

Each PAGE or ALTO file in the archive is matched to a page (`domain.page_matching`) and
requested as an import of that page, exactly as a single upload is; files that are not
transcriptions (METS, images) or that match no page are reported, not imported.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from uuid import UUID

import anyio

from contracts import PageRegistered, page_stream
from contracts.errors import InvalidRequest, RequestTooLarge
from gateway.application.editions import Recorded, request_transcription_import
from gateway.domain.page_matching import FileNames, Match, PageNames, match_files
from gateway.domain.transcription_files import (
    MEDIA_TYPES,
    NotATranscription,
    NotWellFormed,
    TranscriptionHead,
    read_head,
)
from infra.artifacts import ArtifactStore
from infra.eventstore import EventStore

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class ImportedFile:
    match: Match
    recorded: Recorded


@dataclass
class ManuscriptImport:
    imported: list[ImportedFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """File -> why it was not imported."""


def read_archive(data: bytes, max_file_bytes: int) -> dict[str, bytes]:
    """The archive's XML files by path; refuses what is not a zip or would inflate too far."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise InvalidRequest(f"the upload is not a zip archive: {error}") from None
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_ENTRIES:
        raise RequestTooLarge(f"the archive holds {len(entries)} files, over {MAX_ENTRIES}")
    files = {}
    for info in entries:
        name = info.filename
        if not name.lower().endswith(".xml") or "__MACOSX" in name or "\x00" in name:
            continue
        with archive.open(info) as member:
            content = member.read(max_file_bytes + 1)  # never trust the declared size
        if len(content) > max_file_bytes:
            raise RequestTooLarge(f"{name} is over the {max_file_bytes} bytes a file may have")
        files[name] = content
    return files


async def import_manuscript_transcriptions(
    store: EventStore,
    artifacts: ArtifactStore,
    page_ids: list[UUID],
    files: dict[str, bytes],
    *,
    actor: str,
    reason: str,
) -> ManuscriptImport:
    result = ManuscriptImport()
    heads: dict[str, TranscriptionHead] = {}
    for path, content in files.items():
        try:
            heads[path] = read_head(content)
        except (NotWellFormed, NotATranscription) as error:
            result.skipped[path] = str(error)
    pages = [await _page_names(store, page_id) for page_id in page_ids]
    matches, unmatched = match_files(
        [FileNames(path, head.image_name) for path, head in heads.items()],
        [page for page in pages if page is not None],
    )
    result.skipped.update(dict.fromkeys(unmatched, "no page of the manuscript matches it"))
    for match in matches:
        head = heads[match.path]
        source = await anyio.to_thread.run_sync(
            artifacts.put, files[match.path], MEDIA_TYPES[head.format]
        )
        recorded = await request_transcription_import(
            store,
            match.page_id,
            source=source,
            source_format=head.format,
            filename=match.path,
            expected_version=None,
            reason=reason,
            actor=actor,
        )
        result.imported.append(ImportedFile(match, recorded))
    return result


async def _page_names(store: EventStore, page_id: UUID) -> PageNames | None:
    for recorded in await store.read_stream(page_stream(page_id)):
        event = recorded.data
        if isinstance(event, PageRegistered):
            names = [event.image_url, event.label, event.canvas_id]
            return PageNames(page_id, event.index, tuple(n for n in names if n))
    return None
