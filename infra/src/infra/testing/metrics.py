"""Reading a process's metrics as Prometheus does: over HTTP, parsed by prometheus_client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


@dataclass(frozen=True)
class Scrape:
    samples: list[Sample]

    def value(self, name: str, **labels: str) -> float | None:
        """The one sample named `name` whose labels include `labels`; None when there is none."""
        found = [s.value for s in self._matching(name, labels)]
        assert len(found) <= 1, f"{len(found)} samples of {name} match {labels}"
        return found[0] if found else None

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples named `name` whose labels include `labels` (0 for none)."""
        return sum(s.value for s in self._matching(name, labels))

    def _matching(self, name: str, labels: dict[str, str]) -> list[Sample]:
        return [s for s in self.samples if s.name == name and labels.items() <= s.labels.items()]


async def scrape(url: str) -> Scrape:
    import httpx

    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.get(url)
    answer.raise_for_status()
    assert answer.headers["content-type"].startswith("text/plain"), answer.headers
    families = text_string_to_metric_families(answer.text)
    return Scrape([sample for family in families for sample in family.samples])


def metrics_url(heartbeat: Path) -> str | None:
    """Where the process that writes `heartbeat` serves its metrics, once it says so."""
    try:
        record = json.loads(heartbeat.read_text())
    except (OSError, ValueError):
        return None
    url = record.get("metrics_url")
    return str(url) if url else None
