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
    feed_queue_events: int = Field(
        default=2000, ge=1, description="events buffered per feed client before it is dropped"
    )
    feed_heartbeat_seconds: float = Field(default=15.0, gt=0)
    feed_poll_seconds: float = Field(default=0.01, gt=0)
    ready_max_lag_events: int = Field(default=10_000, ge=0)
    completion_poll_seconds: float = Field(default=0.2, gt=0)
    sweeper_stall_seconds: float = Field(
        default=900.0, gt=0, description="a page untouched this long has stalled"
    )
    sweeper_tick_seconds: float = Field(default=30.0, gt=0, description="how often to sweep")
    sweeper_max_attempts: int = Field(
        default=3, ge=0, description="re-requests of a stalled stage before it fails for good"
    )
    sweeper_batch_size: int = Field(default=500, ge=1, description="pages checked per sweep")
    public_url: str = "http://127.0.0.1:8000"
    artifact_delivery: Literal["stream", "redirect"] = Field(
        default="stream",
        description="stream artifacts, or redirect to a presigned URL where the store signs them",
    )
    artifact_url_seconds: int = Field(
        default=300, ge=1, le=7 * 24 * 3600, description="how long a presigned URL is valid"
    )
