"""How patiently `recto up` (and the commands that follow a job) waits, and how it restarts
what dies, from `RECTO_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTO_", extra="ignore")

    ready_timeout: float = Field(
        default=300.0, gt=0, description="seconds to wait for every service to be ready"
    )
    ready_report_every: float = Field(
        default=15.0, gt=0, description="seconds between 'still waiting' lines"
    )
    server_start_timeout: float = Field(
        default=300.0, gt=0, description="seconds an embedded NATS or PostgreSQL may take to answer"
    )
    result_timeout: float = Field(
        default=300.0,
        gt=0,
        description="seconds a finished job's read model and manuscript outputs may take to "
        "catch up with its feed (demo, `--wait`)",
    )
    heartbeat_max_age: float = Field(
        default=15.0, gt=0, description="a heartbeat file older than this is stale"
    )
    restart_limit: int = Field(
        default=5, ge=0, description="restarts of one process within the window before giving up"
    )
    restart_window: float = Field(default=120.0, gt=0, description="seconds")
    restart_backoff: float = Field(default=0.5, gt=0, description="first restart delay, seconds")
    restart_backoff_max: float = Field(default=30.0, gt=0, description="longest restart delay")
    stop_grace: float = Field(
        default=15.0, gt=0, description="seconds between SIGTERM and SIGKILL at shutdown"
    )
