"""The supervisors' dashboard: where SRs pile up, and how long each tier takes."""

from datetime import datetime, timedelta
from itertools import groupby

import sqlalchemy as sa
from pydantic import Field

from app.db import Tx
from app.domain.pagination import invalid_parameter
from app.domain.queues.clocks import CLOCKS, charge, history_table
from app.domain.schemas import OutputSchema
from app.domain.service_requests.models import ServiceRequest
from app.domain.sqltypes import UtcDateTime
from app.domain.vocabulary import HeldBy, Status
from app.workflows.service_request import HELD_BY

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]

ACTIVE_STATUSES = tuple(status for status in Status if HELD_BY[status] != HeldBy.nobody)

MAX_CLOCK_WINDOW = timedelta(days=92)
"""The maximum creation window of the clocks, so that one request reads a bounded history."""

SELECT_QUEUE_COUNTS = (
    sa.select(
        sr_table.c.status,
        sr_table.c.queue,
        sa.func.count().label("count"),
        sa.func.min(sr_table.c.created_at).label("oldest_created_at"),
    )
    .where(sr_table.c.status.in_(ACTIVE_STATUSES))
    .group_by(sr_table.c.status, sr_table.c.queue)
    .order_by(sr_table.c.status, sr_table.c.queue)
)
"""Served by ix_service_request_status_queue, which it reads for the active statuses only."""

created = history_table.alias("created")

SELECT_WINDOW_TRANSITIONS = (
    sa.select(
        history_table.c.service_request_id,
        history_table.c.at,
        history_table.c.event,
        history_table.c.to_status,
        history_table.c.reason,
    )
    .where(
        history_table.c.service_request_id.in_(
            sa.select(created.c.service_request_id).where(
                created.c.event == "created",
                created.c.at >= sa.bindparam("start", type_=UtcDateTime()),
                created.c.at < sa.bindparam("end", type_=UtcDateTime()),
            )
        ),
        history_table.c.to_status.is_not(None),
    )
    .order_by(history_table.c.service_request_id, history_table.c.id)
)
"""Transitions of the SRs created in a window: their "created" records through
ix_service_request_history_event_at, then each SR's records by service_request_id."""


class QueueCount(OutputSchema):
    queue: str = Field(description="The owner queue, such as social-br.")
    status: Status
    held_by: HeldBy = Field(description="Which side of the desk the SRs wait on.")
    count: int
    oldest_created_at: datetime
    oldest_age_seconds: int


class ClockSummary(OutputSchema):
    clock: str
    service_requests: int = Field(
        description="SRs that spent time on this clock in the window."
    )
    mean_seconds: int
    max_seconds: int


class Dashboard(OutputSchema):
    queues: list[QueueCount] = Field(
        description="Open work per owner queue and status; closed and cancelled SRs "
        "are left out."
    )
    created_from: datetime
    created_to: datetime
    clocks: list[ClockSummary] = Field(
        description="Per-tier clocks of the SRs created in the window; periods still "
        "running count up to now. `waiting` is time waiting on the customer, kept "
        "apart from the working clocks."
    )


def _queue_counts(tx: Tx, now: datetime) -> list[QueueCount]:
    return [
        QueueCount(
            queue=row["queue"],
            status=row["status"],
            held_by=HELD_BY[row["status"]],
            count=row["count"],
            oldest_created_at=row["oldest_created_at"],
            oldest_age_seconds=int((now - row["oldest_created_at"]).total_seconds()),
        )
        for row in tx.query(SELECT_QUEUE_COUNTS)
    ]


def _clock_summaries(
    tx: Tx, start: datetime, end: datetime, now: datetime
) -> list[ClockSummary]:
    per_clock: dict[str, list[float]] = {clock: [] for clock in CLOCKS}
    rows = tx.query(SELECT_WINDOW_TRANSITIONS.params(start=start, end=end))
    for _, transitions in groupby(rows, key=lambda row: row["service_request_id"]):
        for clock, seconds in charge(list(transitions), now).items():
            if seconds > 0:
                per_clock[clock].append(seconds)
    return [
        ClockSummary(
            clock=clock,
            service_requests=len(values),
            mean_seconds=int(sum(values) / len(values)) if values else 0,
            max_seconds=int(max(values, default=0)),
        )
        for clock, values in per_clock.items()
    ]


def dashboard(
    tx: Tx,
    created_from: datetime | None,
    created_to: datetime | None,
    now: datetime,
) -> Dashboard:
    """Count open work per queue and status, and summarise the clocks of a window."""
    end = created_to or now
    start = created_from or end - timedelta(days=30)
    if start >= end:
        raise invalid_parameter(
            "created_from", "created_from must be before created_to."
        )
    if end - start > MAX_CLOCK_WINDOW:
        raise invalid_parameter(
            "created_from",
            f"The window may span at most {MAX_CLOCK_WINDOW.days} days.",
        )
    return Dashboard(
        queues=_queue_counts(tx, now),
        created_from=start,
        created_to=end,
        clocks=_clock_summaries(tx, start, end, now),
    )
