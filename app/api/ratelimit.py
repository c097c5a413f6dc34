"""Per-token rate limits as token buckets, kept in the memory of each server process.

With several processes or replicas each keeps its own buckets, so the limit a
token meets is per process: N processes allow up to N times the rate.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.errors import RateLimited

PRUNE_EVERY = 10_000
"""Checks between sweeps of buckets that have been full for a while."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._checks = 0

    def check(self, key: str) -> None:
        """Take one request from the key's bucket, or raise 429 with the seconds to wait."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(
                self.burst, bucket.tokens + (now - bucket.updated) * self.rate
            )
            bucket.updated = now
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / self.rate)
            raise RateLimited(
                f"Too many requests for this token; retry after {wait} seconds.",
                retry_after=wait,
                headers={"Retry-After": str(wait)},
            )
        bucket.tokens -= 1.0

        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self._prune(now)

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        stale = [
            key
            for key, bucket in self._buckets.items()
            if now - bucket.updated > full_after
        ]
        for key in stale:
            del self._buckets[key]
