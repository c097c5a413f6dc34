"""SR counts for monitoring: how many SRs wait in each status that someone holds."""

import sqlalchemy as sa

from app.db import Tx
from app.domain.service_requests.models import ServiceRequest
from app.domain.vocabulary import HeldBy, Status
from app.workflows.service_request import HELD_BY

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]

OPEN_STATUSES = tuple(
    status for status in Status if HELD_BY[status] is not HeldBy.nobody
)
"""Statuses in which Tier 1 or Tier 2 still has work on the SR (not closed, not cancelled)."""

COUNT_OPEN_BY_STATUS = (
    sa.select(sr_table.c.status, sa.func.count().label("count"))
    .where(sr_table.c.status.in_(OPEN_STATUSES))
    .group_by(sr_table.c.status)
)
"""One grouped query over the status index; closed and cancelled SRs are never scanned."""


def count_open_by_status(tx: Tx) -> dict[Status, int]:
    """Count the SRs in each open status; a status without SRs counts 0."""
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    for row in tx.all(COUNT_OPEN_BY_STATUS):
        counts[Status(row["status"])] = int(row["count"])
    return counts
