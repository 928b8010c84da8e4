"""Create, change and revoke API keys: check, decide, record the event with the acting key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from contracts import ApiKeyCreated, ApiKeyGrantsChanged, ApiKeyRevoked
from contracts.errors import (
    InvalidRequest,
    ResourceConflict,
    ResourceNotFound,
    WrongExpectedVersion,
)
from gateway.domain import keys
from gateway.domain.keys import GrantChanges, Grants, KeyRecord

KeyEvent = ApiKeyCreated | ApiKeyGrantsChanged | ApiKeyRevoked
ATTEMPTS = 5
"""A change races another one on the same key (or a new id collides) at most this often."""


class KeyRegistry(Protocol):
    async def get(self, key_id: str) -> KeyRecord | None: ...
    async def all(self) -> list[KeyRecord]: ...
    async def unknown_corpora(self, corpora: Sequence[UUID]) -> list[UUID]:
        """Those of `corpora` that no `corpus.created` event names."""
        ...

    async def record(self, event: KeyEvent, *, expected_version: int, actor: str) -> KeyRecord:
        """Append the event and update the key table in one transaction, so that every
        replica sees the change as soon as it is recorded."""
        ...


@dataclass(frozen=True)
class CreatedKey:
    key: KeyRecord
    secret: str


async def create_key(registry: KeyRegistry, name: str, grants: Grants, *, actor: str) -> CreatedKey:
    await _check_corpora(registry, grants.corpora or ())
    for _ in range(ATTEMPTS):
        secret = keys.new_secret()
        event = keys.create(name, grants, secret, _now())
        try:
            key = await registry.record(event, expected_version=0, actor=actor)
        except WrongExpectedVersion:
            continue  # another key has this id: draw another
        return CreatedKey(key, secret.secret)
    raise RuntimeError(f"no free key id after {ATTEMPTS} draws")


async def change_key_grants(
    registry: KeyRegistry, key_id: str, changes: GrantChanges, *, actor: str
) -> KeyRecord:
    await _check_corpora(registry, changes.named_corpora)

    def decide(key: KeyRecord) -> ApiKeyGrantsChanged | None:
        return keys.change_grants(key, changes.applied_to(key.grants), _now())

    return await _change(registry, key_id, decide, actor)


async def revoke_key(
    registry: KeyRegistry, key_id: str, *, actor: str, reason: str | None = None
) -> KeyRecord:
    def decide(key: KeyRecord) -> ApiKeyRevoked | None:
        return keys.revoke(key, reason)

    return await _change(registry, key_id, decide, actor)


async def find_key(registry: KeyRegistry, key_id: str) -> KeyRecord:
    key = await registry.get(key_id)
    if key is None:
        raise ResourceNotFound(f"no API key {key_id}")
    return key


async def _change(
    registry: KeyRegistry,
    key_id: str,
    decide: Callable[[KeyRecord], KeyEvent | None],
    actor: str,
) -> KeyRecord:
    for _ in range(ATTEMPTS):
        key = await find_key(registry, key_id)
        event = decide(key)
        if event is None:
            return key
        try:
            return await registry.record(event, expected_version=key.version, actor=actor)
        except WrongExpectedVersion:
            continue  # changed meanwhile: decide again on what it is now
    raise ResourceConflict(f"key {key_id} kept changing while this change was decided: retry")


async def _check_corpora(registry: KeyRegistry, corpora: Sequence[UUID]) -> None:
    if not corpora:
        return
    unknown = await registry.unknown_corpora(corpora)
    if unknown:
        raise InvalidRequest(
            "a key can only be granted corpora that exist",
            problems=[f"no corpus {corpus_id}" for corpus_id in unknown],
        )


def _now() -> datetime:
    return datetime.now(UTC)
