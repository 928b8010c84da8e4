"""The gateway's own settings, from `RECTO_*` environment variables, beside the shared ones."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTO_", extra="ignore")

    gateway_host: str = Field(default="127.0.0.1", description="0.0.0.0 in a container")
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    auth: Literal["on", "off"] = Field(
        default="on", description="`off` only for the embedded demo: every request is admin"
    )
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    rate_limit_requests: int = Field(
        default=200, ge=1, description="commands per key and window, across every replica"
    )
    rate_limit_window_seconds: int = Field(default=10, ge=1, le=3600)
    key_usage_flush_seconds: float = Field(
        default=5.0, gt=0, description="how often keys' last use is written, in one statement"
    )
    upload_timeout_seconds: float = Field(
        default=900.0, gt=0, description="an upload's whole body must arrive within this time"
    )
    body_max_bytes: int = Field(
        default=1024 * 1024, gt=0, description="the largest JSON (or other non-upload) body"
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a non-upload body must arrive in full within this time"
    )
    header_max_bytes: int = Field(
        default=64 * 1024, ge=1024, description="request line and headers, together"
    )
    header_timeout_seconds: float = Field(
        default=15.0, gt=0, description="a connection must send its request's headers in time"
    )
    linger_seconds: float = Field(
        default=2.0,
        gt=0,
        description="a connection answered before its request arrived in full keeps reading "
        "(and discarding) this long, so the client reads the answer instead of a reset",
    )
    keep_alive_seconds: int = Field(default=5, ge=1, description="idle keep-alive connections")
    retry_after_seconds: int = Field(
        default=5, ge=1, description="`Retry-After` of the 503 answered while PostgreSQL is down"
    )
    ready_timeout_seconds: float = Field(
        default=2.0, gt=0, description="how long /readyz waits for each dependency"
    )
    nats_reconnect_seconds: float = Field(
        default=2.0, gt=0, description="pause between attempts to reach NATS"
    )
    feed_queue_events: int = Field(
        default=2000, ge=1, description="events buffered per feed client before it is dropped"
    )
    feed_heartbeat_seconds: float = Field(default=15.0, gt=0)
    feed_poll_seconds: float = Field(
        default=0.01, gt=0, description="the feed's first wait when the log is quiet; doubles"
    )
    ready_max_lag_events: int = Field(default=10_000, ge=0)
    completion_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="finished jobs are looked for when the read models move, and this often",
    )
    sweeper_stall_seconds: float = Field(
        default=900.0, gt=0, description="a page untouched this long has stalled"
    )
    sweeper_tick_seconds: float = Field(default=30.0, gt=0, description="how often to sweep")
    sweeper_max_attempts: int = Field(
        default=3, ge=0, description="re-requests of a stalled stage before it fails for good"
    )
    sweeper_batch_size: int = Field(default=500, ge=1, description="pages checked per sweep")
    public_url: str = "http://127.0.0.1:8000"
    edit_max_line_chars: int = Field(default=10_000, ge=1, description="characters in a line")
    edit_max_polygon_points: int = Field(default=500, ge=3, description="points in an outline")
    transcription_max_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="an imported PAGE or ALTO file"
    )
    search_max_query_chars: int = Field(default=256, ge=1, le=4096)
    search_rank_window: int = Field(
        default=500, ge=100, description="matches ranked at most; beyond, totals are bounds"
    )
    search_page_size: int = Field(default=50, ge=1, le=500, description="IIIF Content Search")
    autocomplete_terms: int = Field(default=20, ge=1, le=200)
    cors_origins: list[str] = Field(
        default=["*"], description="origins that may read IIIF resources from a browser"
    )
    artifact_delivery: Literal["stream", "redirect"] = Field(
        default="stream",
        description="stream artifacts, or redirect to a presigned URL where the store signs them",
    )
    artifact_url_seconds: int = Field(
        default=300, ge=1, le=7 * 24 * 3600, description="how long a presigned URL is valid"
    )
    # A streaming replica for the read models (ADR 0025, docs/scaling.md).
    read_replica_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://… a streaming replica of the primary; read-model GET "
        "requests go there while it is within the bounds below, else to the primary",
    )
    read_replica_max_lag_events: int = Field(
        default=100, ge=0, description="events the replica's read models may lack"
    )
    read_replica_max_lag_seconds: float = Field(
        default=5.0, ge=0, description="how old the oldest event they lack may be"
    )
    read_replica_check_seconds: float = Field(
        default=1.0,
        gt=0,
        description="how often the replica's lag is measured: the bounds hold to within this",
    )
    read_replica_timeout_seconds: float = Field(
        default=2.0, gt=0, description="connecting to and measuring the replica"
    )
    read_replica_pool_max: int = Field(default=10, ge=1, description="connections to the replica")
