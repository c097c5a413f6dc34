"""Prometheus metrics and GET /metrics.

The metrics use prometheus_client directly. The request middleware records
each request with the route template that Starlette has already matched: one
dictionary lookup, one counter increment and one histogram observation, about
2 µs per request (scripts/measure_metrics_overhead.py on a shared 2-core
machine). prometheus-fastapi-instrumentator 8.1.0 with its default metrics
matches every route a second time and builds request and response objects.
It added about 40 µs per request in the same kind of in-process loop.

With several server processes, prometheus_client keeps the values in files
under `PROMETHEUS_MULTIPROC_DIR`, and a scrape adds up every process's files.
`casedesk serve --workers N` sets that directory up; see docs/operations.md.
"""

import hmac
import os
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from app.api.routing import ProblemRoute
from app.db import Database
from app.domain.errors import Unauthenticated
from app.domain.service_requests.counts import count_open_by_status
from app.settings import Settings
from app.workflows.service_request import LIFECYCLE

log = structlog.get_logger(component="metrics")

# The `_created` timestamp series double the output, and Prometheus ignores them
# in the text format.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
"""Other method names are counted as `other`, so a client cannot add label values at will."""

UNMATCHED_ROUTE = "unmatched"
"""The route label of requests that match no route, such as 404s for unknown paths."""

HTTP_REQUESTS = Counter(
    "casedesk_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "casedesk_http_request_duration_seconds",
    "Time from receiving a request to sending the last byte of its response, "
    "by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TRANSITIONS = Counter(
    "casedesk_sr_transitions_total",
    "SR lifecycle events fired, by event and outcome (allowed or rejected).",
    ["event", "outcome"],
)
DB_CONNECTIONS_IN_USE = Gauge(
    "casedesk_db_connections_in_use",
    "Database connections checked out of the pool, summed over server processes.",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_MAX = Gauge(
    "casedesk_db_connections_max",
    "Database connections the pools may open (pool size plus overflow), "
    "summed over server processes.",
    multiprocess_mode="livesum",
)
OPEN_SERVICE_REQUESTS = "casedesk_open_service_requests"
"""Computed at scrape time from the database, so it is right with any number of processes."""

for _event in LIFECYCLE.events:
    for _outcome in ("allowed", "rejected"):
        TRANSITIONS.labels(event=_event, outcome=_outcome)

_request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(
    method: str, route: str | None, status: int, seconds: float
) -> None:
    """Count one answered request and record its duration."""
    key = (method, route or UNMATCHED_ROUTE, status)
    series = _request_series.get(key)
    if series is None:
        label_method = method if method in HTTP_METHODS else "other"
        label_route = route or UNMATCHED_ROUTE
        series = _request_series[key] = (
            HTTP_REQUESTS.labels(label_method, label_route, str(status)),
            HTTP_REQUEST_DURATION.labels(label_method, label_route),
        )
    series[0].inc()
    series[1].observe(seconds)


def watch_pool(engine: sa.Engine, max_connections: int) -> None:
    """Track the connections `engine` has checked out, through the pool's events."""
    DB_CONNECTIONS_MAX.inc(max_connections)
    # SQLAlchemy 2.1 also fires "checkin" after a connection attempt failed, with
    # no "checkout" before it, so only records seen at checkout count down.
    checked_out_records: set[Any] = set()

    def checked_out(_connection: Any, record: Any, _proxy: Any) -> None:
        checked_out_records.add(record)
        DB_CONNECTIONS_IN_USE.inc()

    def checked_in(_connection: Any, record: Any) -> None:
        if record in checked_out_records:
            checked_out_records.discard(record)
            DB_CONNECTIONS_IN_USE.dec()

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "checkin", checked_in)


def unwatch_pool(max_connections: int) -> None:
    """Remove a disposed pool's capacity from the total."""
    DB_CONNECTIONS_MAX.dec(max_connections)


class _Scrape:
    """The metrics of one scrape: the process (or all processes), then the SR counts."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        yield from self.families


async def _open_service_requests(db: Database) -> list[Metric]:
    try:
        counts = await db.read(count_open_by_status)
    except Exception as error:
        # The scrape still returns the process metrics; readiness reports the outage.
        log.warning("metrics.count_failed", error_type=type(error).__name__)
        return []
    family = GaugeMetricFamily(
        OPEN_SERVICE_REQUESTS,
        "SRs in each status that Tier 1 or Tier 2 still holds (not closed or cancelled).",
        labels=["status"],
    )
    for status, count in counts.items():
        family.add_metric([status.value], count)
    return [family]


def _check_token(request: Request, settings: Settings) -> None:
    if settings.metrics_token is None:
        return
    expected = settings.metrics_token.get_secret_value().encode()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected
    ):
        raise Unauthenticated(
            "GET /metrics needs 'Authorization: Bearer <token>' with the value of "
            "CASEDESK_METRICS_TOKEN."
        )


router = APIRouter(route_class=ProblemRoute)


@router.get(
    "/metrics",
    tags=["operations"],
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {}},
            "description": "Metrics in the Prometheus text format.",
        },
        401: {
            "description": "CASEDESK_METRICS_TOKEN is set and the bearer token differs."
        },
    },
)
async def metrics(request: Request) -> Response:
    """Return Prometheus metrics. Open unless CASEDESK_METRICS_TOKEN is set; then send it as a bearer token."""
    ctx = request.app.state.context
    _check_token(request, ctx.settings)
    families = await _open_service_requests(ctx.db)
    body = generate_latest(_Scrape(families))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
