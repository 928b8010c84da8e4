"""A real S3-protocol server for tests: moto's standalone server on a free loopback port."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

ACCESS_KEY = "recto-test"
SECRET_KEY = "recto-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def create_bucket(self) -> str:
        """A new, empty bucket: every test gets its own."""
        import boto3

        name = f"recto-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        ).create_bucket(Bucket=name)
        return name

    def environment(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """`RECTO_*` variables that point a service's artifact store at `bucket`."""
        return {
            "RECTO_ARTIFACT_STORE": "s3",
            "RECTO_S3_BUCKET": bucket,
            "RECTO_S3_PREFIX": prefix,
            "RECTO_S3_ENDPOINT": self.endpoint,
            "RECTO_S3_REGION": REGION,
            "RECTO_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "RECTO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "RECTO_S3_ALLOW_HTTP": "true",
        }


@contextlib.contextmanager
def moto_s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    # One access-log line per request drowns a failing test's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()
