"""What the exporter's handlers need from the outside, passed in explicitly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from contracts import PageRegistered
from exporter.domain.urls import GatewayUrls
from infra.artifacts import ArtifactStore
from infra.eventstore import EventStore

RegistrationLoader = Callable[[UUID], Awaitable[PageRegistered | None]]


@dataclass(frozen=True)
class ExportPorts:
    """`registration` loads a page's `page.registered` (canvas id and size for annotations);
    without it, annotations target the gateway's canvas in the image's own pixel space."""

    artifacts: ArtifactStore
    urls: GatewayUrls
    registration: RegistrationLoader | None = None


@dataclass(frozen=True)
class DueManuscript:
    """A manuscript whose pages are all terminal and whose export is missing or stale.

    `last_change` is the latest page event that changed what its export would contain.
    """

    manuscript_id: UUID
    last_change: UUID
    page_ids: Sequence[UUID]


@dataclass(frozen=True)
class ManuscriptExportPorts:
    store: EventStore
    artifacts: ArtifactStore
    urls: GatewayUrls
