"""Walk a IIIF collection and everything it reaches, within one import's limits.

A refusal (a member that is one of its ancestors, collections nested past the depth limit,
more documents or pages than one import may bring) fails the whole import with its reason and
records nothing else: a partial tree would leave a job that looks done with part of what was
asked. Every limit is checked before the fetches it would cause, so a collection that lists
itself costs one fetch. A document reached twice without a cycle is imported once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from pydantic import ValidationError

from contracts import IiifSource, ManuscriptImported, ManuscriptImportRequested, manuscript_stream
from contracts.errors import (
    CollectionCycle,
    CollectionTooDeep,
    FetchError,
    ImportTooLarge,
    IngestError,
    ManifestWithoutImages,
    RectoError,
)
from ingest.application.manuscript_events import Emitted, failed, manifest_events
from ingest.application.ports import Fetched, IngestPorts
from ingest.domain.document_keys import document_key, document_keys
from ingest.domain.manifest import Collection, CollectionMember, Manifest
from ingest.domain.page_ids import member_manuscript_id
from ingest.domain.registration import refusal_reason
from ingest.formats.iiif.documents import parse_document

Document = tuple[Fetched, Manifest | Collection]


@dataclass(frozen=True)
class Ancestor:
    reference: str
    keys: frozenset[str]


async def walk_collection(
    event: ManuscriptImportRequested,
    collection: Collection,
    keys: frozenset[str],
    ports: IngestPorts,
) -> Emitted:
    """The events of the whole import, or its one failure when a limit refuses it."""
    reference = str(event.source.url) if isinstance(event.source, IiifSource) else collection.id
    walk = _Walk(ports, seen=set(keys))
    try:
        await walk.collection(event, collection, (Ancestor(reference, keys),))
    except (CollectionCycle, CollectionTooDeep, ImportTooLarge) as refusal:
        return [failed(event, refusal)]
    return walk.emitted


@dataclass
class _Walk:
    ports: IngestPorts
    seen: set[str]
    documents: int = 1  # the first collection, already fetched
    pages: int = 0
    emitted: Emitted = field(default_factory=list)

    async def collection(
        self,
        request: ManuscriptImportRequested,
        collection: Collection,
        ancestors: tuple[Ancestor, ...],
    ) -> None:
        if not collection.members:
            self.emitted.append(
                failed(request, ManifestWithoutImages("the collection has no members"))
            )
            return
        here = ancestors[-1]
        children, unusable, repeated = self._children(request, collection, ancestors)
        limits = self.ports.settings.limits
        if self.documents + len(children) > limits.max_documents:
            raise ImportTooLarge(
                f"import too large: {here.reference} lists {len(children)} more documents after "
                f"{self.documents} fetched; one import may fetch at most {limits.max_documents} "
                "manifests and collections (RECTO_IMPORT_MAX_DOCUMENTS)"
            )
        self.documents += len(children)
        self.emitted.append(
            (
                manuscript_stream(request.manuscript_id),
                _collection_imported(request, collection, unusable, repeated),
            )
        )
        results = await self._fetch_all([_url(child) for _, child in children])
        for (member, child), result in zip(children, results, strict=True):
            self.emitted.append((manuscript_stream(child.manuscript_id), child))
            if isinstance(result, RectoError):
                self.emitted.append(failed(child, result))
                continue
            fetched, document = result
            if isinstance(document, Collection):
                await self._nested(child, member, fetched, document, ancestors)
                continue
            self.emitted += manifest_events(child, document, limits, self.pages)
            if refusal_reason(document) is None:
                self.pages += len(document.image_canvases)

    def _children(
        self,
        request: ManuscriptImportRequested,
        collection: Collection,
        ancestors: tuple[Ancestor, ...],
    ) -> tuple[list[tuple[CollectionMember, ManuscriptImportRequested]], list[str], list[str]]:
        """The members to fetch, with their import requests; the unusable and repeated ones."""
        # A watched collection is watched through its members, each with the same interval.
        source = request.source
        watch = source.watch_interval_seconds if isinstance(source, IiifSource) else None
        children, unusable, repeated = [], [], []
        for member in collection.members:
            key = document_key(member.url)
            _refuse_cycle(ancestors, member.url, frozenset({key}))
            if key in self.seen:
                repeated.append(member.url)
                continue
            try:
                member_source = IiifSource.model_validate(
                    {"url": member.url, "watch_interval_seconds": watch}
                )
            except ValidationError:
                unusable.append(member.url)
                continue
            self.seen.add(key)
            child = ManuscriptImportRequested(
                manuscript_id=member_manuscript_id(request.manuscript_id, member.url),
                corpus_id=request.corpus_id,
                job_id=request.job_id,
                source=member_source,
            )
            children.append((member, child))
        return children, unusable, repeated

    async def _nested(
        self,
        request: ManuscriptImportRequested,
        member: CollectionMember,
        fetched: Fetched,
        collection: Collection,
        ancestors: tuple[Ancestor, ...],
    ) -> None:
        keys = document_keys(member.url, fetched.url, collection.id)
        # A redirect or a declared id may reveal what the member's URL did not.
        _refuse_cycle(ancestors, member.url, keys)
        depth, limit = len(ancestors), self.ports.settings.limits.max_depth
        if depth > limit:
            raise CollectionTooDeep(
                f"collection too deep: {member.url} is nested {depth} levels below "
                f"{ancestors[0].reference}; at most {limit} (RECTO_IMPORT_MAX_DEPTH)"
            )
        self.seen |= keys
        await self.collection(request, collection, (*ancestors, Ancestor(member.url, keys)))

    async def _fetch_all(self, urls: list[str]) -> list[Document | RectoError]:
        results: list[Document | RectoError] = [FetchError("not fetched")] * len(urls)
        limiter = anyio.CapacityLimiter(self.ports.settings.limits.concurrency)
        max_bytes = self.ports.settings.max_manifest_bytes

        async def fetch(index: int, url: str) -> None:
            async with limiter:
                try:
                    fetched = await self.ports.fetcher.get(url, max_bytes=max_bytes)
                    results[index] = (fetched, parse_document(fetched.body))
                except (FetchError, IngestError) as error:
                    results[index] = error

        async with anyio.create_task_group() as group:
            for index, url in enumerate(urls):
                group.start_soon(fetch, index, url)
        return results


def _url(request: ManuscriptImportRequested) -> str:
    assert isinstance(request.source, IiifSource)
    return str(request.source.url)


def _refuse_cycle(ancestors: tuple[Ancestor, ...], member: str, keys: frozenset[str]) -> None:
    lister = ancestors[-1].reference
    for ancestor in ancestors:
        if keys & ancestor.keys:
            if ancestor is ancestors[-1]:
                which = "itself"
            elif ancestor.reference == member:
                which = "an ancestor"
            else:
                which = f"an ancestor ({ancestor.reference})"
            raise CollectionCycle(f"collection cycle: {lister} lists {member}, which is {which}")


def _collection_imported(
    request: ManuscriptImportRequested,
    collection: Collection,
    unusable: list[str],
    repeated: list[str],
) -> ManuscriptImported:
    kinds = {m.kind for m in collection.members}
    imported = len(collection.members) - len(unusable) - len(repeated)
    return ManuscriptImported(
        manuscript_id=request.manuscript_id,
        corpus_id=request.corpus_id,
        label=collection.label,
        manifest_id=collection.id or None,
        iiif_version=collection.iiif_version,
        page_count=0,
        metadata=list(collection.metadata),
        structure=list(collection.structure),
        members=[m.url for m in collection.members if m.url not in unusable],
        notes=[
            f"collection of {imported} members ({', '.join(sorted(kinds))})",
            *(f"member skipped, not an http(s) URL: {url}" for url in unusable),
            *(f"member already imported elsewhere in this import: {url}" for url in repeated),
        ],
    )
