"""Create a corpus: its id derives from its slug, so a taken slug is a stream conflict."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from contracts import CorpusCreated, CreateCorpus, Metadata, corpus_stream
from contracts.errors import ResourceConflict, WrongExpectedVersion
from gateway.application.ports import refused_if_unrecordable
from infra.eventstore import NO_STREAM, EventStore


def corpus_id_for(slug: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://recto.dev/corpora/{slug}")


async def create_corpus(store: EventStore, command: CreateCorpus, *, actor: str) -> UUID:
    corpus_id = corpus_id_for(command.slug)
    event = CorpusCreated(
        corpus_id=corpus_id, slug=command.slug, title=command.title, profile=command.profile
    )
    try:
        with refused_if_unrecordable():
            await store.append(
                corpus_stream(corpus_id),
                [event],
                expected_version=NO_STREAM,
                metadata=Metadata(actor=actor),
            )
    except WrongExpectedVersion:
        raise ResourceConflict(f"a corpus with slug {command.slug!r} already exists") from None
    return corpus_id
