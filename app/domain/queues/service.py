"""Queue views: one keyset-paged query per view, each served by one index.

Every view fixes the leading columns of an index by equality (the owner and
the side of the desk, or the status) and orders by the remaining columns. So a
page reads `limit` index entries wherever it starts, however many SRs the table
holds.
The cursor is the sort key of the last item; rows inserted while a client
walks the view sort after that key or before it, so every SR that existed
when the walk began is returned exactly once.
"""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import Row, Tx
from app.domain import permissions
from app.domain.errors import ActorForbidden
from app.domain.follow_ups.models import FollowUp
from app.domain.pagination import (
    cursor_int,
    cursor_time,
    cursor_uuid,
    decode_cursor,
    encode_cursor,
    invalid_parameter,
)
from app.domain.permissions import Actor, Operation
from app.domain.queues.schemas import (
    QueueItem,
    QueuePage,
    QueueQuery,
    QueueSort,
    QueueView,
)
from app.domain.service_requests.models import ServiceRequest
from app.domain.vocabulary import FollowUpStatus, HeldBy, Status, Tier

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]
follow_up_table = FollowUp.__table__  # type: ignore[attr-defined]

VIEW_STATUS = {
    QueueView.de_escalated: Status.de_escalated,
    QueueView.escalated: Status.escalated,
    QueueView.on_hold: Status.on_hold,
    QueueView.resolved: Status.resolved,
}
"""The one status each view lists; `waiting_on_tier2` lists every status Tier 2 holds."""

TIER2_WAITING = (Status.escalated, Status.on_hold)
"""Statuses in which the SR still waits on Tier 2 for a resolution."""

NEXT_FOLLOW_UP = (
    sa.select(sa.func.min(follow_up_table.c.due_at))
    .where(
        follow_up_table.c.service_request_id == sr_table.c.id,
        follow_up_table.c.status == FollowUpStatus.scheduled,
    )
    .scalar_subquery()
    .label("follow_up_due_at")
)

ITEM_COLUMNS = [
    sr_table.c[name]
    for name in QueueItem.model_fields
    if name in sr_table.c and name != "follow_up_due_at"
] + [sr_table.c.first_tier2_action_at]


def _sort_for(view: QueueView, requested: QueueSort | None) -> QueueSort:
    if requested is None:
        return QueueSort.oldest if view.is_owner_view else QueueSort.priority
    if requested is QueueSort.priority and view.is_owner_view:
        raise invalid_parameter(
            "sort",
            f"The {view.value} view is sorted by creation time: use sort=oldest or "
            "sort=newest.",
        )
    return requested


def _sort_columns(sort: QueueSort) -> list[sa.ColumnElement[Any]]:
    columns = [sr_table.c.created_at, sr_table.c.id]
    if sort is QueueSort.priority:
        columns.insert(0, sr_table.c.priority)
    return columns


def _owner(actor: Actor, view: QueueView, query: QueueQuery) -> uuid.UUID | None:
    """Return whose SRs an owner view lists, or None for a Tier 2 view."""
    if not view.is_owner_view:
        if actor.tier is Tier.tier1:
            raise ActorForbidden(
                f"The {view.value} view lists the whole Tier 2 queue. A Tier 1 agent "
                "watches the SRs they own: use waiting_on_tier2 or de_escalated."
            )
        return None
    if actor.tier is Tier.tier1:
        if query.agent_id not in (None, actor.id):
            raise ActorForbidden(
                "A Tier 1 agent sees only the SRs they own: leave agent_id out."
            )
        return actor.id
    if query.agent_id is None:
        raise invalid_parameter(
            "agent_id",
            f"The {view.value} view lists one Tier 1 agent's SRs: send agent_id.",
        )
    return query.agent_id


def _view_conditions(
    view: QueueView, owner_id: uuid.UUID | None
) -> list[sa.ColumnElement[bool]]:
    if view is QueueView.waiting_on_tier2:
        return [sr_table.c.owner_id == owner_id, sr_table.c.held_by == HeldBy.tier2]
    conditions = [sr_table.c.status == VIEW_STATUS[view]]
    if owner_id is not None:
        conditions.insert(0, sr_table.c.owner_id == owner_id)
    return conditions


def _filter_conditions(query: QueueQuery) -> list[sa.ColumnElement[bool]]:
    equal = {
        "queue": query.queue,
        "status": query.status,
        "category": query.category,
        "channel": query.channel,
        "customer_type": query.customer_type,
        "profile_id": query.profile_id,
        "number": query.number.upper() if query.number else None,
    }
    conditions = [
        sr_table.c[name] == value for name, value in equal.items() if value is not None
    ]
    ranges = (
        (sr_table.c.created_at, query.created_from, query.created_to),
        (sr_table.c.updated_at, query.updated_from, query.updated_to),
    )
    for column, start, end in ranges:
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
    return conditions


def _fingerprint(view: QueueView, owner_id: uuid.UUID | None, query: QueueQuery) -> str:
    """Hash the view, owner, filters and sort, so that a cursor is only used with its own."""
    scope = query.model_dump(mode="json", exclude={"cursor", "limit"})
    scope.update(view=view.value, owner=str(owner_id))
    digest = hashlib.sha256(json.dumps(scope, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _cursor_keys(sort: QueueSort) -> tuple[str, ...]:
    return ("p", "c", "i", "f") if sort is QueueSort.priority else ("c", "i", "f")


def _decode_position(cursor: str, sort: QueueSort, fingerprint: str) -> list[Any]:
    values = decode_cursor(cursor, _cursor_keys(sort))
    try:
        position: list[Any] = [cursor_time(values["c"]), cursor_uuid(values["i"])]
        if sort is QueueSort.priority:
            position.insert(0, cursor_int(values["p"]))
    except ValueError:
        position = []
    if not position or values["f"] != fingerprint:
        raise invalid_parameter(
            "cursor",
            "The cursor does not belong to this view with these filters and sort: "
            "pass next_cursor from the previous page unchanged, or start without one.",
        )
    return position


def _encode_position(item: QueueItem, sort: QueueSort, fingerprint: str) -> str:
    values: dict[str, Any] = {
        "c": item.created_at.isoformat(),
        "i": str(item.id),
        "f": fingerprint,
    }
    if sort is QueueSort.priority:
        values["p"] = item.priority
    return encode_cursor(values)


def queue_statement(
    actor: Actor,
    view: QueueView,
    query: QueueQuery,
    limit: int,
) -> tuple[sa.Select[Any], QueueSort, str]:
    """Build the page query of a view, with its sort and its cursor fingerprint."""
    sort = _sort_for(view, query.sort)
    owner_id = _owner(actor, view, query)
    fingerprint = _fingerprint(view, owner_id, query)
    columns = _sort_columns(sort)

    conditions = [
        permissions.visible_where(actor, Operation.queue_read, sr_table),
        *_view_conditions(view, owner_id),
        *_filter_conditions(query),
    ]
    if query.cursor is not None:
        position = _decode_position(query.cursor, sort, fingerprint)
        key = sa.tuple_(*columns)
        after = sa.tuple_(
            *(
                sa.literal(value, type_=column.type)
                for value, column in zip(position, columns, strict=True)
            )
        )
        conditions.append(key < after if sort is QueueSort.newest else key > after)
    order = (
        [column.desc() for column in columns] if sort is QueueSort.newest else columns
    )

    statement = (
        sa.select(*ITEM_COLUMNS, NEXT_FOLLOW_UP)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
    )
    return statement, sort, fingerprint


def to_item(row: Row, now: datetime) -> QueueItem:
    first_action_due = row["sla_first_action_due_at"]
    acted_at = row["first_tier2_action_at"]
    resolution_due = row["sla_resolution_due_at"]
    values = {name: row[name] for name in QueueItem.model_fields if name in row}
    return QueueItem.model_construct(
        **values,
        age_seconds=int((now - row["created_at"]).total_seconds()),
        time_in_status_seconds=int((now - row["status_changed_at"]).total_seconds()),
        first_action_breached=first_action_due is not None
        and (acted_at or now) > first_action_due,
        resolution_breached=resolution_due is not None
        and row["status"] in TIER2_WAITING
        and now > resolution_due,
    )


def list_queue(
    tx: Tx,
    actor: Actor,
    view: QueueView,
    query: QueueQuery,
    default_limit: int,
    now: datetime,
) -> QueuePage:
    """Return one page of a queue view for the calling agent."""
    limit = query.limit or default_limit
    statement, sort, fingerprint = queue_statement(actor, view, query, limit + 1)

    items = [to_item(row, now) for row in tx.query(statement)]
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = _encode_position(items[-1], sort, fingerprint)
    return QueuePage(view=view, sort=sort, items=items, next_cursor=next_cursor)
