"""Settings shared by every service, from `RECTO_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTO_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql+asyncpg://…; unset: `recto up` starts one"
    )
    nats_url: str | None = Field(default=None, description="nats://…; unset: `recto up` starts one")
    nats_prefix: str = Field(default="recto", description="subject prefix and stream name stem")
    artifacts: Path = Field(default=Path(".state/artifacts"))
    state_dir: Path = Field(default=Path(".state"))
    max_deliver: int = Field(default=5, ge=1)
    ack_wait_seconds: float = Field(default=60.0, gt=0)
    fetch_allow: str = Field(default="", description="hosts/CIDRs exempt from the SSRF guard")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the gateway's public base URL, written into IIIF ids and METS file links",
    )
    log_level: str = "INFO"
    log_json: bool = True
