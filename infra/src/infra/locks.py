"""Every PostgreSQL advisory lock key Recto takes, in one place so no two can collide.

Services share one database; a key reused by two purposes makes one wait on the other forever
(the relay holds its lock for as long as it runs).
"""

from __future__ import annotations

from enum import IntEnum


class AdvisoryLock(IntEnum):
    EVENT_STORE_MIGRATIONS = 7263741
    RELAY = 7263742
    INGEST_MIGRATIONS = 7263743
    WATCH_SCHEDULER = 7263744
    EXPORTER_MIGRATIONS = 7263745
    MANUSCRIPT_EXPORT = 7263746
    """The first of two keys; the second is the manuscript id's hash."""
    GATEWAY_MIGRATIONS = 7263747
    STALL_SWEEPER = 7263748
    """Held by the one gateway replica that re-requests stalled pages."""
    VLM_CACHE_TABLE = 7263749
    """Taken by an analyzer replica while it creates the VLM cache's table."""
