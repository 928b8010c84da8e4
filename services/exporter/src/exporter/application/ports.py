"""What the exporter's handlers need from the outside, passed in explicitly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from contracts import PageRegistered
from exporter.domain.urls import GatewayUrls
from infra.artifacts import ArtifactStore

RegistrationLoader = Callable[[UUID], Awaitable[PageRegistered | None]]


@dataclass(frozen=True)
class ExportPorts:
    """`registration` loads a page's `page.registered` (canvas id and size for annotations);
    without it, annotations target the gateway's canvas in the image's own pixel space."""

    artifacts: ArtifactStore
    urls: GatewayUrls
    registration: RegistrationLoader | None = None
