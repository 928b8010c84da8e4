"""The AsyncAPI 3 document of Recto's event subjects, beside the OpenAPI one.

It is generated from the contracts by `make schemas` (`infra.asyncapi`) into the gateway's
package, because the published schemas it reads are sources, not part of an installed gateway.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

DOCUMENT = Path(__file__).resolve().parent.parent / "asyncapi.json"

router = APIRouter(include_in_schema=False)


@cache
def _document() -> bytes:
    return DOCUMENT.read_bytes()


@router.get("/asyncapi.json")
async def asyncapi() -> Response:
    return Response(_document(), media_type="application/json")
