"""The desk's tunable rules, taken from the settings once at start-up."""

from dataclasses import dataclass
from datetime import timedelta

from app.settings import Settings


@dataclass(frozen=True)
class Policy:
    reopen_window: timedelta
    reach_thresholds: tuple[int, ...]
    sla_first_action: tuple[timedelta, ...]
    sla_resolution: tuple[timedelta, ...]
    token_ttl: timedelta
    idempotency_ttl: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(
            reopen_window=settings.reopen_window,
            reach_thresholds=tuple(settings.reach_thresholds),
            sla_first_action=tuple(settings.sla_first_action),
            sla_resolution=tuple(settings.sla_resolution),
            token_ttl=settings.token_ttl,
            idempotency_ttl=settings.idempotency_ttl,
        )
