"""The `as_of` query parameter, shared by every endpoint that can read the past."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from contracts.errors import InvalidRequest
from gateway.domain.as_of import AsOf, MalformedAsOf, parse_as_of

AS_OF_HELP = (
    "read the state at this point of the event log: a global position (as listed by "
    "`/v1/pages/{id}/versions` or `/v1/events`) or an ISO 8601 instant; exports are the "
    "artifacts recorded then, byte for byte"
)


def as_of_query(
    as_of: Annotated[str | None, Query(max_length=64, description=AS_OF_HELP)] = None,
) -> AsOf | None:
    if as_of is None:
        return None
    try:
        return parse_as_of(as_of)
    except MalformedAsOf as error:
        raise InvalidRequest(str(error)) from None


AsOfParam = Annotated[AsOf | None, Depends(as_of_query)]
