"""Per-tier clocks of an SR, computed from its transition history.

Each period between two transitions is charged to one clock by the status the
SR was in. Time spent waiting on the customer (On hold, or Open while kept
Open with a reason) goes to `waiting` and to no tier's working clock. A period
still running is measured up to `now`.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field

from app.db import Tx
from app.domain.schemas import OutputSchema
from app.domain.service_requests.models import ServiceRequestHistory
from app.domain.vocabulary import Status

history_table = ServiceRequestHistory.__table__  # type: ignore[attr-defined]

CLOCK_OF_STATUS = {
    Status.open: "tier1_intake",
    Status.escalated: "tier2_resolve",
    Status.on_hold: "waiting",
    Status.resolved: "tier2_handback",
    Status.de_escalated: "tier1_close",
}
"""The clock each status charges; Closed and Cancelled charge none."""

CLOCKS = ("tier1_intake", "tier2_resolve", "tier2_handback", "tier1_close", "waiting")

SELECT_TRANSITIONS = (
    sa.select(
        history_table.c.service_request_id,
        history_table.c.at,
        history_table.c.event,
        history_table.c.to_status,
        history_table.c.reason,
    )
    .where(
        history_table.c.service_request_id == sa.bindparam("sr_id"),
        history_table.c.to_status.is_not(None),
    )
    .order_by(history_table.c.id)
)


class ServiceRequestClocks(OutputSchema):
    """Seconds an SR spent with each side of the desk, waiting time apart."""

    tier1_intake_seconds: int = Field(
        description="Tier 1 working time from creation to the first escalation."
    )
    tier2_resolve_seconds: int = Field(
        description="Escalated time until resolved, over every escalation."
    )
    tier2_handback_seconds: int = Field(
        description="Resolved time until Tier 2 de-escalated or closed the SR."
    )
    tier1_close_seconds: int = Field(
        description="De-escalated time until the Tier 1 owner closed the SR."
    )
    waiting_seconds: int = Field(
        description="Time waiting on the customer: on hold, or kept Open with a reason."
    )
    working_seconds: int = Field(description="The sum of the four working clocks.")


def charge(transitions: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, float]:
    """Sum the seconds of each clock over one SR's transitions, oldest first."""
    totals = dict.fromkeys(CLOCKS, 0.0)
    status: Status | None = None
    since = now
    kept_open = False
    for transition in transitions:
        if status is not None:
            clock = CLOCK_OF_STATUS.get(status)
            if clock == "tier1_intake" and kept_open:
                clock = "waiting"
            if clock is not None:
                totals[clock] += (transition["at"] - since).total_seconds()
        if transition["event"] == "created":
            # A store or sales SR kept Open records its reason on creation.
            kept_open = transition["reason"] is not None
        status, since = transition["to_status"], transition["at"]
    if status is not None and status in CLOCK_OF_STATUS:
        clock = CLOCK_OF_STATUS[status]
        if clock == "tier1_intake" and kept_open:
            clock = "waiting"
        totals[clock] += (now - since).total_seconds()
    return totals


def to_clocks(totals: Mapping[str, float]) -> ServiceRequestClocks:
    seconds = {f"{clock}_seconds": int(totals[clock]) for clock in CLOCKS}
    working = sum(totals[clock] for clock in CLOCKS if clock != "waiting")
    return ServiceRequestClocks(**seconds, working_seconds=int(working))


def service_request_clocks(
    tx: Tx, sr_id: uuid.UUID, now: datetime
) -> ServiceRequestClocks:
    """Return the clocks of one SR, running periods measured up to `now`."""
    return to_clocks(charge(tx.all(SELECT_TRANSITIONS, sr_id=sr_id), now))
