"""Settings shared by every service, from `RECTO_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingSetting(SystemExit):
    """A setting a process cannot run without is unset: it exits saying which one."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTO_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql+asyncpg://…; unset: `recto up` starts one"
    )
    # PostgreSQL in production: pools, pooler, direct connection (ADR 0025, docs/scaling.md).
    database_direct_url: str | None = Field(
        default=None,
        description="PostgreSQL itself (or a session-mode pool) for LISTEN, session advisory "
        "locks and migrations, when RECTO_DATABASE_URL is a transaction-mode pooler; unset: "
        "RECTO_DATABASE_URL",
    )
    database_pool_min: int = Field(default=1, ge=0, description="connections a pool keeps open")
    database_pool_max: int | None = Field(
        default=None,
        ge=1,
        description="the process's query pool; unset: gateway 20, services 10, relay 3",
    )
    database_session_pool_max: int = Field(
        default=2, ge=1, description="direct connections for session locks, opened on demand"
    )
    database_statement_cache_size: int = Field(
        default=100,
        ge=0,
        description="asyncpg's prepared statements per connection; 0 behind PgBouncer in "
        "transaction mode older than 1.21 or without max_prepared_statements",
    )
    database_listen: bool = Field(
        default=True,
        description="LISTEN for append wake-ups on the direct URL; off: tailers poll every "
        "50-100 ms (for a setup with no session connection at all)",
    )
    nats_url: str | None = Field(default=None, description="nats://…; unset: `recto up` starts one")
    nats_prefix: str = Field(default="recto", description="subject prefix and stream name stem")
    artifacts: Path = Field(default=Path(".state/artifacts"))
    state_dir: Path = Field(default=Path(".state"))
    max_deliver: int = Field(default=5, ge=1)
    ack_wait_seconds: float = Field(
        default=10.0,
        gt=0,
        description="JetStream redelivers an unacknowledged message after this; running work "
        "sends in-progress acks every third of it, so only a crashed replica's work waits it out",
    )
    fetch_allow: str = Field(default="", description="hosts/CIDRs exempt from the SSRF guard")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the gateway's public base URL, written into IIIF ids and METS file links",
    )
    replica: str | None = Field(
        default=None, description="this process's id in health files; default <hostname>-<pid>"
    )
    heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="how often a process writes its health file"
    )
    nats_reconnect_wait_seconds: float = Field(
        default=0.5, gt=0, description="first wait before reconnecting to NATS; doubles, jittered"
    )
    nats_reconnect_wait_max_seconds: float = Field(
        default=5.0, gt=0, description="longest wait between NATS reconnection attempts"
    )
    nats_ping_interval_seconds: int = Field(
        default=20, ge=1, description="a silent NATS connection is found dead after ~3 of these"
    )
    outage_backoff_seconds: float = Field(
        default=0.5, gt=0, description="first wait before retrying after a connection error"
    )
    outage_backoff_max_seconds: float = Field(
        default=15.0, gt=0, description="longest wait between retries while a dependency is down"
    )
    probe_timeout_seconds: float = Field(
        default=2.0, gt=0, description="how long a health probe waits for the database"
    )
    publish_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long the relay waits for JetStream to ack a batch"
    )
    quiet_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often an idle tailer (relay, projections, feed) reads the log while "
        "PostgreSQL notifications wake it; without them it polls within 50-100 ms",
    )
    pull_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long a JetStream pull request waits for a message; after a NATS "
        "reconnection, consumption resumes within this",
    )
    listen_keepalive_seconds: float = Field(
        default=30.0, gt=0, description="how often the notification listener checks its connection"
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="serve the process's Prometheus metrics on this port; 0: a free port, "
        "written into the heartbeat file (several replicas on one host); unset: no metrics",
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="the metrics port's address; 0.0.0.0 in a container"
    )
    metrics_sample_seconds: float = Field(
        default=10.0, gt=0, description="how often consumer and relay lag are read for metrics"
    )
    log_level: str = "INFO"
    log_json: bool = True

    # Beyond one machine (ADR 0018, docs/scaling.md).
    artifact_store: Literal["file", "s3"] = Field(
        default="file", description="`file`: under RECTO_ARTIFACTS; `s3`: an S3-compatible bucket"
    )
    s3_bucket: str | None = Field(default=None, description="the artifacts' bucket (s3 store)")
    s3_prefix: str = Field(default="", description="key prefix inside the bucket, e.g. `recto/`")
    s3_endpoint: str | None = Field(
        default=None, description="MinIO, Ceph RGW, Garage…: their URL; unset: AWS S3"
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = Field(
        default=None, description="unset: the usual AWS_* variables or the pod's web identity"
    )
    s3_secret_access_key: SecretStr | None = None
    s3_allow_http: bool = Field(default=False, description="only for a loopback or test endpoint")
    s3_virtual_hosted: bool = Field(
        default=False, description="bucket in the host name (AWS); path-style otherwise"
    )
    nats_replicas: int = Field(
        default=1, ge=1, le=5, description="JetStream stream replicas: 3 on a 3-node cluster"
    )

    def required_database_url(self) -> str:
        """The database every service needs; one check, one message, wherever it is asked."""
        if not self.database_url:
            raise MissingSetting("RECTO_DATABASE_URL must be set (postgresql+asyncpg://…)")
        return self.database_url

    def direct_database_url(self) -> str:
        """Where sessions and migrations go: never through a transaction-mode pooler."""
        return self.database_direct_url or self.required_database_url()

    def required_nats_url(self) -> str:
        if not self.nats_url:
            raise MissingSetting("RECTO_NATS_URL must be set (nats://…, JetStream enabled)")
        return self.nats_url
