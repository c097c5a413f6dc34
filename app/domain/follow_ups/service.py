"""Follow-ups with customers: scheduled on an SR, completed or cancelled, all audited."""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.db import Row, Tx
from app.domain import permissions
from app.domain.errors import Conflict, NotFound, invalid_field
from app.domain.follow_ups.models import FollowUp
from app.domain.follow_ups.schemas import (
    FollowUpCancel,
    FollowUpComplete,
    FollowUpCreate,
    FollowUpPage,
    FollowUpRead,
)
from app.domain.ids import new_id
from app.domain.pagination import (
    cursor_time,
    cursor_uuid,
    decode_cursor,
    encode_cursor,
    invalid_parameter,
)
from app.domain.permissions import Actor, Operation
from app.domain.service_requests.service import RowFacts, record, sr_table
from app.domain.sqltypes import UtcDateTime
from app.domain.vocabulary import FollowUpStatus, Status

follow_up_table = FollowUp.__table__  # type: ignore[attr-defined]

FOLLOW_UP_COLUMNS = (*follow_up_table.c, sr_table.c.number)
JOINED = follow_up_table.join(
    sr_table, sr_table.c.id == follow_up_table.c.service_request_id
)
INSERT_FOLLOW_UP = sa.insert(follow_up_table)
SELECT_FOLLOW_UP = (
    sa.select(*FOLLOW_UP_COLUMNS)
    .select_from(JOINED)
    .where(follow_up_table.c.id == sa.bindparam("id"))
)
SELECT_SR_FOLLOW_UPS = (
    sa.select(*FOLLOW_UP_COLUMNS)
    .select_from(JOINED)
    .where(follow_up_table.c.service_request_id == sa.bindparam("sr_id"))
    .order_by(follow_up_table.c.due_at, follow_up_table.c.id)
)
SELECT_DUE = (
    sa.select(*FOLLOW_UP_COLUMNS)
    .select_from(JOINED)
    .where(
        follow_up_table.c.agent_id == sa.bindparam("agent_id"),
        follow_up_table.c.status == FollowUpStatus.scheduled,
        follow_up_table.c.due_at <= sa.bindparam("until"),
        sa.tuple_(follow_up_table.c.due_at, follow_up_table.c.id)
        > sa.tuple_(
            sa.bindparam("after_due_at", type_=UtcDateTime()),
            sa.bindparam("after_id", type_=sa.Uuid()),
        ),
    )
    .order_by(follow_up_table.c.due_at, follow_up_table.c.id)
    .limit(sa.bindparam("limit"))
)
"""The calling agent's follow-ups due by `until`, served by ix_follow_up_agent_due."""
SETTLE_FOLLOW_UP = (
    sa.update(follow_up_table)
    .where(
        follow_up_table.c.id == sa.bindparam("id"),
        follow_up_table.c.status == FollowUpStatus.scheduled,
    )
    .values(
        status=sa.bindparam("new_status"),
        completed_at=sa.bindparam("completed_at"),
        cancelled_at=sa.bindparam("cancelled_at"),
    )
)
MOVE_FOLLOW_UPS = (
    sa.update(follow_up_table)
    .where(
        follow_up_table.c.agent_id == sa.bindparam("from_agent_id"),
        follow_up_table.c.status == FollowUpStatus.scheduled,
    )
    .values(agent_id=sa.bindparam("to_agent_id"))
)
MOVE_SR_FOLLOW_UPS = (
    sa.update(follow_up_table)
    .where(
        follow_up_table.c.service_request_id == sa.bindparam("sr_id"),
        follow_up_table.c.agent_id == sa.bindparam("from_agent_id"),
        follow_up_table.c.status == FollowUpStatus.scheduled,
    )
    .values(agent_id=sa.bindparam("to_agent_id"))
)

BEGINNING = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
NIL_ID = uuid.UUID(int=0)
CLOSED_STATUSES = (Status.closed, Status.cancelled)
MAX_DUE_WINDOW = timedelta(days=30)


def to_read(row: Mapping[str, Any], time_zone: str, now: datetime) -> FollowUpRead:
    """Build the response, with the due time shown in `time_zone`."""
    return FollowUpRead.model_construct(
        **{name: row[name] for name in follow_up_table.c.keys() if name != "time_zone"},
        service_request_number=row["number"],
        time_zone=time_zone,
        due_local=row["due_at"].astimezone(ZoneInfo(time_zone)),
        overdue=row["status"] is FollowUpStatus.scheduled and row["due_at"] < now,
    )


def insert_follow_up(
    tx: Tx,
    actor: Actor,
    sr: Row,
    data: FollowUpCreate,
    now: datetime,
    *,
    audit: bool = True,
) -> Row:
    """Insert a scheduled follow-up; the caller checked permissions.

    With `audit`, also append a history record; without it, the caller's own
    record must name the follow-up.
    """
    if sr["status"] in CLOSED_STATUSES:
        raise Conflict(
            f"A {sr['status'].value} SR gets no follow-up; reopen it first.",
            current_status=sr["status"].value,
        )
    if data.due_at <= now:
        raise invalid_field("/due_at", "due_at must be in the future.")

    row = {
        "id": new_id(),
        "service_request_id": sr["id"],
        "agent_id": actor.id,
        "due_at": data.due_at,
        "time_zone": data.time_zone or actor.time_zone,
        "channel": data.channel,
        "note": data.note or "",
        "status": FollowUpStatus.scheduled,
        "created_at": now,
        "completed_at": None,
        "cancelled_at": None,
    }
    tx.execute(INSERT_FOLLOW_UP, **row)
    if not audit:
        return {**row, "number": sr["number"]}
    record(
        tx,
        sr["id"],
        actor,
        "follow_up_scheduled",
        now,
        reason=data.note,
        details={
            "follow_up_id": str(row["id"]),
            "due_at": data.due_at.isoformat(),
            "channel": data.channel.value,
        },
    )
    return {**row, "number": sr["number"]}


def schedule(
    tx: Tx, actor: Actor, sr: Row, data: FollowUpCreate, now: datetime
) -> FollowUpRead:
    """Schedule a follow-up with the customer of an SR, due at a time in a zone."""
    permissions.require(actor, Operation.follow_up_create, RowFacts(sr))
    row = insert_follow_up(tx, actor, sr, data, now)
    return to_read(row, row["time_zone"], now)


def _settle(
    tx: Tx,
    actor: Actor,
    sr: Row,
    follow_up_id: uuid.UUID,
    new_status: FollowUpStatus,
    reason: str | None,
    now: datetime,
) -> FollowUpRead:
    permissions.require(actor, Operation.follow_up_update, RowFacts(sr))
    row = tx.one(SELECT_FOLLOW_UP, id=follow_up_id)
    if row is None or row["service_request_id"] != sr["id"]:
        raise NotFound(f"SR {sr['number']} has no follow-up {follow_up_id}.")
    if row["status"] is not FollowUpStatus.scheduled:
        raise Conflict(
            f"The follow-up is already {row['status'].value}.",
            current_status=row["status"].value,
        )

    stamps = {
        "completed_at": now if new_status is FollowUpStatus.completed else None,
        "cancelled_at": now if new_status is FollowUpStatus.cancelled else None,
    }
    if tx.execute(SETTLE_FOLLOW_UP, id=row["id"], new_status=new_status, **stamps) != 1:
        raise Conflict("The follow-up changed meanwhile; read it again.")
    record(
        tx,
        sr["id"],
        actor,
        f"follow_up_{new_status.value}",
        now,
        reason=reason,
        details={"follow_up_id": str(row["id"])},
    )
    settled = {**row, "status": new_status, **stamps}
    return to_read(settled, row["time_zone"], now)


def complete(
    tx: Tx,
    actor: Actor,
    sr: Row,
    follow_up_id: uuid.UUID,
    data: FollowUpComplete,
    now: datetime,
) -> FollowUpRead:
    """Mark a scheduled follow-up done, with an optional note on its outcome."""
    return _settle(
        tx, actor, sr, follow_up_id, FollowUpStatus.completed, data.note, now
    )


def cancel(
    tx: Tx,
    actor: Actor,
    sr: Row,
    follow_up_id: uuid.UUID,
    data: FollowUpCancel,
    now: datetime,
) -> FollowUpRead:
    """Cancel a scheduled follow-up, with the reason."""
    return _settle(
        tx, actor, sr, follow_up_id, FollowUpStatus.cancelled, data.reason, now
    )


def list_for_service_request(tx: Tx, sr: Row, now: datetime) -> list[FollowUpRead]:
    """Return every follow-up of an SR, earliest due first, each in its own zone."""
    rows = tx.all(SELECT_SR_FOLLOW_UPS, sr_id=sr["id"])
    return [to_read(row, row["time_zone"], now) for row in rows]


def list_due(
    tx: Tx,
    actor: Actor,
    within: timedelta,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> FollowUpPage:
    """Return the caller's scheduled follow-ups due by now + `within`, overdue ones first.

    Due times are shown in the calling agent's time zone.
    """
    if not timedelta(0) <= within <= MAX_DUE_WINDOW:
        raise invalid_parameter(
            "within", f"within must be between 0 and {MAX_DUE_WINDOW.days} days."
        )
    after_due_at, after_id = BEGINNING, NIL_ID
    if cursor is not None:
        values = decode_cursor(cursor, ("d", "i"))
        try:
            after_due_at = cursor_time(values["d"])
            after_id = cursor_uuid(values["i"])
        except ValueError:
            raise invalid_parameter(
                "cursor",
                "The cursor is not valid: pass next_cursor from the previous page.",
            ) from None

    rows = tx.all(
        SELECT_DUE,
        agent_id=actor.id,
        until=now + within,
        after_due_at=after_due_at,
        after_id=after_id,
        limit=limit + 1,
    )
    items = [to_read(row, actor.time_zone, now) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"d": last.due_at.isoformat(), "i": str(last.id)})
    return FollowUpPage(items=items, next_cursor=next_cursor)


def move_scheduled(tx: Tx, from_agent_id: uuid.UUID, to_agent_id: uuid.UUID) -> int:
    """Hand an agent's scheduled follow-ups to another agent; return how many moved."""
    return tx.execute(
        MOVE_FOLLOW_UPS, from_agent_id=from_agent_id, to_agent_id=to_agent_id
    )


def move_scheduled_on(
    tx: Tx, sr_id: uuid.UUID, from_agent_id: uuid.UUID, to_agent_id: uuid.UUID
) -> int:
    """Hand one SR's scheduled follow-ups from one agent to another; return how many moved."""
    return tx.execute(
        MOVE_SR_FOLLOW_UPS,
        sr_id=sr_id,
        from_agent_id=from_agent_id,
        to_agent_id=to_agent_id,
    )
