"""API keys: create (the secret is answered once), list, change grants, revoke. Admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from contracts import KeyName, Scope
from contracts.errors import InvalidRequest
from gateway.application.keys import change_key_grants, create_key, find_key, revoke_key
from gateway.domain.keys import GrantChanges, Grants, KeyRecord, KeyStatus
from gateway.entrypoints.problems import PROBLEM_RESPONSES
from gateway.entrypoints.security import Context, KeyManager
from gateway.entrypoints.text_guard import no_nul_characters

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(no_nul_characters)],
)
KeyIdPath = Annotated[str, Path(pattern=r"^[0-9a-z-]{1,40}$", description="the key's id")]
Scopes = Annotated[list[Scope], Field(min_length=1, max_length=3)]
Corpora = Annotated[list[UUID], Field(max_length=1000)]


class KeyIn(BaseModel):
    name: KeyName
    scopes: Scopes
    corpora: Corpora | None = Field(default=None, description="null: every corpus")
    expires_at: AwareDatetime | None = Field(default=None, description="null: never")

    model_config = {"extra": "forbid"}


class KeyPatch(BaseModel):
    """Only the fields given change; `corpora: null` grants every corpus."""

    scopes: Scopes | None = None
    corpora: Corpora | None = None
    expires_at: AwareDatetime | None = None

    model_config = {"extra": "forbid"}


class KeyOut(BaseModel):
    id: str
    name: str
    status: KeyStatus
    scopes: list[Scope]
    corpora: list[UUID] | None
    expires_at: datetime | None
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="written every few seconds, not live")


class CreatedKeyOut(KeyOut):
    secret: str = Field(description="shown this once: only its sha256 is kept")


class KeysOut(BaseModel):
    items: list[KeyOut]


def key_view(key: KeyRecord) -> dict[str, Any]:
    return {
        "id": key.key_id,
        "name": key.name,
        "status": key.status(datetime.now(UTC)),
        "scopes": list(key.grants.scopes),
        "corpora": list(key.grants.corpora) if key.grants.corpora is not None else None,
        "expires_at": key.grants.expires_at,
        "created_at": key.created_at,
        "created_by": key.created_by,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
    }


@router.post("", status_code=201, response_model=CreatedKeyOut)
async def post_key(
    body: KeyIn, response: Response, context: Context, principal: KeyManager
) -> CreatedKeyOut:
    grants = Grants.of(body.scopes, body.corpora, body.expires_at)
    created = await create_key(context.key_registry, body.name, grants, actor=principal.actor)
    response.headers["Location"] = f"/v1/keys/{created.key.key_id}"
    response.headers["Cache-Control"] = "no-store"
    return CreatedKeyOut(**key_view(created.key), secret=created.secret)


@router.get("", response_model=KeysOut)
async def list_keys(context: Context, _: KeyManager) -> KeysOut:
    keys = await context.key_registry.all()
    return KeysOut(items=[KeyOut(**key_view(key)) for key in keys])


@router.get("/{key_id}", response_model=KeyOut)
async def get_key(key_id: KeyIdPath, context: Context, _: KeyManager) -> KeyOut:
    return KeyOut(**key_view(await find_key(context.key_registry, key_id)))


@router.patch(
    "/{key_id}",
    response_model=KeyOut,
    responses={409: PROBLEM_RESPONSES[404] | {"description": "the key was revoked"}},
)
async def patch_key(
    key_id: KeyIdPath, body: KeyPatch, context: Context, principal: KeyManager
) -> KeyOut:
    given = body.model_fields_set
    if body.scopes is None and "scopes" in given:
        raise InvalidRequest("scopes may be changed, not removed: a key needs at least one")
    changes = GrantChanges(**{field: getattr(body, field) for field in given})
    key = await change_key_grants(context.key_registry, key_id, changes, actor=principal.actor)
    return KeyOut(**key_view(key))


@router.delete("/{key_id}", response_model=KeyOut)
async def delete_key(
    key_id: KeyIdPath,
    context: Context,
    principal: KeyManager,
    reason: Annotated[str | None, Query(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
) -> KeyOut:
    """Revoke the key: from the answer on, no replica accepts it. Revoking twice is harmless."""
    key = await revoke_key(context.key_registry, key_id, actor=principal.actor, reason=reason)
    return KeyOut(**key_view(key))
