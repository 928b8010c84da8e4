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
    rate_limit_per_second: float = Field(default=20.0, gt=0, description="commands per key")
    rate_limit_burst: int = Field(default=40, ge=1)
    feed_queue_events: int = Field(
        default=2000, ge=1, description="events buffered per feed client before it is dropped"
    )
    feed_heartbeat_seconds: float = Field(default=15.0, gt=0)
    feed_poll_seconds: float = Field(default=0.01, gt=0)
    ready_max_lag_events: int = Field(default=10_000, ge=0)
    completion_poll_seconds: float = Field(default=0.2, gt=0)
    public_url: str = "http://127.0.0.1:8000"
    search_max_query_chars: int = Field(default=256, ge=1, le=4096)
    search_rank_window: int = Field(
        default=500, ge=100, description="matches ranked at most; beyond, totals are bounds"
    )
    search_page_size: int = Field(default=50, ge=1, le=500, description="IIIF Content Search")
    autocomplete_terms: int = Field(default=20, ge=1, le=200)
    cors_origins: list[str] = Field(
        default=["*"], description="origins that may read IIIF resources from a browser"
    )
