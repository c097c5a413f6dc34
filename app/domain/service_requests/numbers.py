"""SR numbers: SR-00000042. Unique under concurrent creates, never computed as max + 1."""

import sqlalchemy as sa

from app.db import Tx
from app.domain.models import SR_NUMBER_SEQUENCE
from app.domain.service_requests.models import ServiceRequestNumber

counter_table = ServiceRequestNumber.__table__  # type: ignore[attr-defined]

COUNTER_NAME = "service_request"

# SQLite takes the write lock at BEGIN IMMEDIATE, so this increment is serialised.
NEXT_FROM_COUNTER = (
    sa.update(counter_table)
    .where(counter_table.c.name == COUNTER_NAME)
    .values(value=counter_table.c.value + 1)
    .returning(counter_table.c.value)
)
NEXT_FROM_SEQUENCE = sa.select(SR_NUMBER_SEQUENCE.next_value().label("value"))


def format_number(value: int) -> str:
    return f"SR-{value:08d}"


def next_number(tx: Tx, is_sqlite: bool) -> str:
    value = tx.value(NEXT_FROM_COUNTER if is_sqlite else NEXT_FROM_SEQUENCE)
    if value is None:
        raise RuntimeError(
            "the SR number counter is missing: run the database migrations"
        )
    return format_number(int(value))
