"""Stable ids: the same manuscript, canvas and position always give the same page.

Folio labels are not unique ("NP", "[blank]" recur), so they never enter an id.
"""

from __future__ import annotations

from uuid import UUID, uuid5

PAGE_NAMESPACE = UUID("6f0c8f0e-9d7a-5c55-a8c2-2f1d7f6a0e51")
MEMBER_NAMESPACE = UUID("a3b9e2d4-41c6-5f0e-9b8e-7d2c5e4f1a60")


def page_id(manuscript_id: UUID, canvas_id: str, index: int) -> UUID:
    return uuid5(PAGE_NAMESPACE, f"{manuscript_id}\n{canvas_id}\n{index}")


def member_manuscript_id(collection_manuscript_id: UUID, member_url: str) -> UUID:
    """The manuscript a collection member becomes; stable, so a redelivered import is a no-op."""
    return uuid5(MEMBER_NAMESPACE, f"{collection_manuscript_id}\n{member_url}")
