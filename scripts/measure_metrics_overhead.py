"""Measure what recording Prometheus metrics adds to each request, in process.

Run:  .venv/bin/python scripts/measure_metrics_overhead.py

Prints the cost of `observe_request` alone, then GET /health/live through the
whole ASGI stack with and without it (no server, no network, logs off). The
stack numbers move with machine load, so compare the minimums of one run.
"""

import asyncio
import logging
import sys
import time
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from app.api import metrics, middleware  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

CALLS = 200_000
ROUNDS = 15
REQUESTS_PER_ROUND = 2_000

SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/health/live",
    "raw_path": b"/health/live",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"casedesk.test")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 80),
}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(_message: dict[str, Any]) -> None:
    return None


async def _microseconds_per_request(asgi: Any) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS_PER_ROUND):
        await asgi(dict(SCOPE), _receive, _send)
    return (time.perf_counter() - started) / REQUESTS_PER_ROUND * 1e6


async def _measure_stack() -> dict[str, list[float]]:
    app = create_app(Settings(database_url="sqlite://"), configure_logs=False)
    logging.disable(logging.CRITICAL)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL)
    )
    asgi = app.build_middleware_stack()
    recording = middleware.observe_request
    rounds: dict[str, list[float]] = {"with metrics": [], "without metrics": []}
    for _ in range(500):
        await asgi(dict(SCOPE), _receive, _send)
    for _ in range(ROUNDS):
        middleware.observe_request = recording
        rounds["with metrics"].append(await _microseconds_per_request(asgi))
        middleware.observe_request = lambda *_args: None
        rounds["without metrics"].append(await _microseconds_per_request(asgi))
    middleware.observe_request = recording
    return rounds


def main() -> int:
    seconds = timeit.timeit(
        lambda: metrics.observe_request(
            "GET", "/service-requests/{sr_ref}", 200, 0.001
        ),
        number=CALLS,
    )
    print(f"observe_request alone: {seconds / CALLS * 1e6:.2f} µs per call")
    for name, values in asyncio.run(_measure_stack()).items():
        values.sort()
        print(
            f"GET /health/live {name}: min {values[0]:.1f} µs, "
            f"median {values[len(values) // 2]:.1f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
