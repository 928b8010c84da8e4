"""The whole stack with its artifacts in an S3 bucket: every service in its own process, a real
S3-protocol server on loopback, nothing written to the services' local disks, and the gateway
handing out presigned URLs instead of streaming bytes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.artifact_stores import artifact_store
from infra.settings import Settings
from infra.testing.s3 import S3Server, moto_s3_server
from recto.client import GatewayClient
from recto.sample.iiif_server import serving
from recto.stack import running_stack

from .scale_kit import (
    STACK_ENV,
    exported_events,
    exports_per_page,
    null_plan,
    small_pages,
    wait_for_job,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
PAGES = 6


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    with moto_s3_server() as server:
        yield server


def answer_when_ready(client: GatewayClient, path: str, timeout: float = 120) -> httpx.Response:
    """The manuscript's exports follow its last page: 404 until the exporter has made them."""
    deadline = time.monotonic() + timeout
    while (answer := client.http.get(path, follow_redirects=False)).status_code == 404:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return answer


def test_a_manuscript_goes_through_the_stack_with_artifacts_in_s3(
    tmp_path: Path, s3_server: S3Server
) -> None:
    bucket = s3_server.create_bucket()
    s3 = s3_server.environment(bucket, prefix="artifacts/")
    environment = {**STACK_ENV, **s3, "RECTO_ARTIFACT_DELIVERY": "redirect"}
    state_dir = tmp_path / "state"
    with running_stack(state_dir, analyzers=1, extra_env=environment) as stack:
        client = GatewayClient(stack.gateway_url)
        try:
            corpus_id = client.ensure_corpus("s3", "Artifacts in a bucket")
            with serving(small_pages(PAGES, "s3"), "In a bucket") as manifest_url:
                accepted = client.import_manifest(corpus_id, manifest_url, null_plan())
                job = wait_for_job(client, str(accepted["job_id"]), timeout=300)
            assert job["status"] == "done", job
            exported = exported_events(stack.database_url)
            # The gateway redirects to the bucket; the presigned URL serves the ALTO.
            page = exported[0]
            answer = client.http.get(f"/pages/{page.page_id}/alto", follow_redirects=False)
            assert answer.status_code == 307, answer.text
            location = answer.headers["location"]
            assert location.startswith(f"{s3_server.endpoint}/{bucket}/artifacts/")
            alto = httpx.get(location)
            assert alto.status_code == 200
            assert b"<alto" in alto.content
            # The manuscript's bundle, made by the exporter from images ingest stored.
            manuscript_id = accepted["manuscript_id"]
            bundle = answer_when_ready(client, f"/manuscripts/{manuscript_id}/bundle.zip")
            assert bundle.status_code == 307, bundle.text
            assert httpx.get(bundle.headers["location"]).content.startswith(b"PK")
            assert len(exported) == PAGES
            assert exports_per_page(stack.database_url) == {e.page_id: 1 for e in exported}
        finally:
            client.close()

    # Every export is in the bucket, and no service kept an artifact on its own disk.
    store = artifact_store(Settings(**{k.removeprefix("RECTO_").lower(): v for k, v in s3.items()}))
    assert all(store.exists(ref) for e in exported for ref in e.formats.values())
    assert not (state_dir / "artifacts").exists()
