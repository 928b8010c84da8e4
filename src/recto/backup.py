"""`recto backup` and `recto restore`: the event log as a file of gzip-compressed JSON lines.

The first line is a header (format, version, counts); then one line per event in log order,
with its original position; then one line per artifact the events reference
(`{"artifact": sha256}`): the bytes stay in the artifact store, to be copied beside it.
Both directions stream: memory does not grow with the log.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import asyncpg

from contracts.errors import RectoError
from infra.artifacts import FileArtifactStore
from infra.eventstore import RawEvent, asyncpg_dsn
from infra.eventstore.backup import LogSummary, log_snapshot, restore_log

FORMAT = "recto-event-log"
VERSION = 1


class NotABackup(RectoError):
    code = "not-a-backup"


def _event_line(event: RawEvent) -> str:
    # `data` and `metadata` are PostgreSQL's own JSON text: copied, never parsed.
    return (
        f'{{"position":{event.position},"event_id":"{event.event_id}",'
        f'"stream_id":{json.dumps(event.stream_id)},"stream_version":{event.stream_version},'
        f'"type":{json.dumps(event.type)},"schema_version":{event.schema_version},'
        f'"recorded_at":"{event.recorded_at.isoformat()}",'
        f'"metadata":{event.metadata},"data":{event.data}}}\n'
    )


async def write_backup(database_url: str, path: Path) -> LogSummary:
    """Write the log to `path` (through a temporary file: never half a backup under its name)."""
    partial = path.with_name(f".{path.name}.partial")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with gzip.open(partial, "wt", encoding="utf-8") as out:
            async with log_snapshot(connection) as snapshot:
                summary = await snapshot.summary()
                header = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": datetime.now(UTC).isoformat(),
                    "events": summary.events,
                    "artifacts": summary.artifacts,
                    "last_position": summary.last_position,
                }
                out.write(json.dumps(header) + "\n")
                async for event in snapshot.events():
                    out.write(_event_line(event))
                async for sha256 in snapshot.artifacts():
                    out.write(json.dumps({"artifact": sha256}) + "\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        await connection.close()
    return summary


@dataclass
class Restored:
    events: int = 0
    last_position: int = 0
    artifacts: int = 0
    missing: list[str] = field(default_factory=list)
    """Referenced artifacts absent from the artifact store."""


class _BackupReader:
    """Reads a backup line by line, checking its header and its counts."""

    def __init__(self, file: IO[str], name: str) -> None:
        self.name = name
        self._lines = self._parse(file)
        self.header = self._header()
        self._first_artifact: dict[str, Any] | None = None
        self.events_read = 0

    def _parse(self, file: IO[str]) -> Iterator[dict[str, Any]]:
        try:
            for line in file:
                parsed = json.loads(line)
                if not isinstance(parsed, dict):
                    raise ValueError(f"a line is not a JSON object: {line[:80]}")
                yield parsed
        except (EOFError, OSError, ValueError) as error:
            raise NotABackup(f"{self.name} is damaged or not a Recto backup: {error}") from error

    def _header(self) -> dict[str, Any]:
        header = next(self._lines, None)
        if header is None or header.get("format") != FORMAT:
            raise NotABackup(f"{self.name} is not a Recto backup (no {FORMAT} header)")
        if header.get("version") != VERSION:
            raise NotABackup(
                f"{self.name} is a version {header.get('version')} backup;"
                f" this Recto reads version {VERSION}"
            )
        return header

    async def events(self) -> AsyncIterator[RawEvent]:
        for line in self._lines:
            if "event_id" not in line:
                self._first_artifact = line
                break
            self.events_read += 1
            yield RawEvent(
                position=int(line["position"]),
                event_id=UUID(line["event_id"]),
                stream_id=line["stream_id"],
                stream_version=int(line["stream_version"]),
                type=line["type"],
                schema_version=int(line["schema_version"]),
                data=json.dumps(line["data"], ensure_ascii=False),
                metadata=json.dumps(line["metadata"], ensure_ascii=False),
                recorded_at=datetime.fromisoformat(line["recorded_at"]),
            )
        _check_count(self.name, "events", self.events_read, self.header)

    def artifacts(self) -> Iterator[str]:
        """The referenced artifacts, once `events` has been read to its end."""
        read = 0
        if self._first_artifact is not None:
            read += 1
            yield str(self._first_artifact["artifact"])
        for line in self._lines:
            read += 1
            yield str(line["artifact"])
        _check_count(self.name, "artifacts", read, self.header)


def _check_count(name: str, what: str, read: int, header: dict[str, Any]) -> None:
    if read != int(header[what]):
        raise NotABackup(f"{name} holds {read} {what} where its header says {header[what]}")


async def restore_backup(database_url: str, path: Path, artifacts_root: Path) -> Restored:
    """Load the backup at `path` into the empty event store of `database_url`."""
    restored = Restored()
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with gzip.open(path, "rt", encoding="utf-8") as file:
            reader = _BackupReader(file, str(path))
            restored.last_position = await restore_log(
                connection, reader.events(), count=int(reader.header["events"])
            )
            restored.events = reader.events_read
            store = FileArtifactStore(artifacts_root)
            for sha256 in reader.artifacts():
                restored.artifacts += 1
                if not store.exists(sha256):
                    restored.missing.append(sha256)
    finally:
        await connection.close()
    return restored
