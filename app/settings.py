"""Service settings, read from `CASEDESK_*` environment variables."""

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "casedesk.db"


class Settings(BaseSettings):
    """Every setting of the service. Durations accept seconds or ISO 8601 (`P30D`)."""

    model_config = SettingsConfigDict(env_prefix="CASEDESK_", extra="ignore")

    # Database and server
    database_url: str = f"sqlite:///./{DEFAULT_SQLITE_PATH.as_posix()}"
    """SQLAlchemy URL. `postgresql://` is read as `postgresql+psycopg://`."""
    db_pool_size: int = Field(default=10, ge=1, le=200)
    sqlite_busy_timeout: timedelta = timedelta(seconds=10)
    """How long a SQLite write waits for another process's write lock."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    shutdown_grace: timedelta = timedelta(seconds=20)
    """How long a stopping server lets in-flight requests finish."""

    # Logs
    log_format: Literal["auto", "json", "console"] = "auto"
    """`auto` writes JSON lines unless standard error is a terminal."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # Lifecycle and credentials
    reopen_window: timedelta = timedelta(days=30)
    """How long after closing the Tier 1 owner may reopen an SR."""
    token_ttl: timedelta = timedelta(days=90)
    idempotency_ttl: timedelta = timedelta(hours=24)
    """How long an `Idempotency-Key` is remembered."""

    # Limits
    max_body_bytes: int = Field(default=262_144, ge=1024)
    page_size_default: int = Field(default=50, ge=1)
    page_size_max: int = Field(default=200, ge=1)
    rate_limit_per_minute: int = Field(default=1200, ge=1)
    """Requests per token per minute, per server process."""
    rate_limit_burst: int = Field(default=200, ge=1)
    search_rate_limit_per_minute: int = Field(default=30, ge=1)
    """Profile searches per token per minute, per server process."""

    # Priority and SLA
    reach_thresholds: list[int] = Field(default=[1_000, 50_000])
    """Follower counts from which a customer's reach is medium, then high."""
    sla_first_action: list[timedelta] = Field(
        default=[timedelta(hours=hours) for hours in (1, 2, 4, 4, 8, 8, 8, 24, 24)]
    )
    """Tier 2's first-action target per priority, priority 1 first."""
    sla_resolution: list[timedelta] = Field(
        default=[
            timedelta(hours=hours) for hours in (8, 24, 48, 48, 72, 72, 72, 120, 120)
        ]
    )
    """Tier 2's resolution target per priority, priority 1 first."""

    auth_cache_ttl: timedelta = timedelta(0)
    """How long a server process may reuse a token check; zero (the default) checks
    every request against the database. A revoke, deactivation or agent edit through
    the API clears the cache of the process that handles it; other replicas, and
    changes made with the CLI, take effect within this time."""

    max_header_bytes: int = Field(default=16_384, ge=1024)
    """Requests whose header names and values add up to more get 431."""

    # Operations
    metrics_token: SecretStr | None = None
    """When set, GET /metrics requires `Authorization: Bearer <this value>`; unset, it is open."""

    @field_validator(
        "sqlite_busy_timeout",
        "shutdown_grace",
        "reopen_window",
        "token_ttl",
        "idempotency_ttl",
        "auth_cache_ttl",
        mode="before",
    )
    @classmethod
    def _seconds_from_text(cls, value: object) -> object:
        # pydantic reads a number as seconds but a string only as ISO 8601 or
        # HH:MM:SS, and environment variables are always strings.
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
            return float(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _use_psycopg(cls, value: str) -> str:
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("reach_thresholds")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if value != sorted(set(value)) or any(threshold < 0 for threshold in value):
            raise ValueError("reach thresholds must be distinct, ascending and >= 0")
        return value

    @model_validator(mode="after")
    def _one_sla_per_priority(self) -> "Settings":
        priorities = 3 * (len(self.reach_thresholds) + 1)
        for name in ("sla_first_action", "sla_resolution"):
            if len(getattr(self, name)) != priorities:
                raise ValueError(
                    f"{name} needs {priorities} durations, one per priority "
                    f"(3 categories x {len(self.reach_thresholds) + 1} reach levels)"
                )
        if self.page_size_default > self.page_size_max:
            raise ValueError("page_size_default must not exceed page_size_max")
        return self

    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
