"""Who holds an SR: Tier 2 takes it, supervisors reassign owners and assignees."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field

from app.db import Tx
from app.domain import permissions
from app.domain.agents.models import Agent
from app.domain.concurrency import check_version, version_conflict
from app.domain.errors import Conflict, InvalidInput, invalid_field
from app.domain.follow_ups import service as follow_ups
from app.domain.permissions import Actor, Operation
from app.domain.policy import Policy
from app.domain.schemas import InputSchema
from app.domain.service_requests.schemas import ServiceRequestRead
from app.domain.service_requests.service import (
    CUSTOMER_TYPE_OF_KIND,
    RowFacts,
    load_visible,
    record,
    sr_table,
    to_read,
)
from app.domain.vocabulary import HeldBy, Status, Tier

agent_table = Agent.__table__  # type: ignore[attr-defined]

ACTIVE_STATUSES = tuple(
    status for status in Status if status not in (Status.closed, Status.cancelled)
)

SELECT_AGENT = sa.select(agent_table).where(agent_table.c.id == sa.bindparam("id"))
UPDATE_HOLDERS = (
    sa.update(sr_table)
    .where(
        sr_table.c.id == sa.bindparam("id"),
        sr_table.c.version == sa.bindparam("expected"),
    )
    .values(
        version=sa.bindparam("new_version"),
        owner_id=sa.bindparam("new_owner_id"),
        queue=sa.bindparam("new_queue"),
        assignee_id=sa.bindparam("new_assignee_id"),
        first_tier2_action_at=sa.bindparam("new_first_tier2_action_at"),
        updated_at=sa.bindparam("now"),
    )
)
SELECT_HELD_BY_AGENT = sa.select(sr_table).where(
    sa.or_(
        sr_table.c.owner_id == sa.bindparam("agent_id"),
        sr_table.c.assignee_id == sa.bindparam("agent_id"),
    ),
    sr_table.c.status.in_(ACTIVE_STATUSES),
)


class Reassignment(InputSchema):
    owner_id: uuid.UUID | None = Field(
        default=None,
        description="A new Tier 1 owner: an active Tier 1 agent of the SR's kind.",
    )
    assignee_id: uuid.UUID | None = Field(
        default=None,
        description="A new Tier 2 assignee: an active Tier 2 agent, or null to release.",
    )


def _write_holders(
    tx: Tx, row: dict[str, Any], expected: int, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    updated = {**row, **changes, "version": expected + 1, "updated_at": now}
    written = tx.execute(
        UPDATE_HOLDERS,
        id=row["id"],
        expected=expected,
        new_version=updated["version"],
        new_owner_id=updated["owner_id"],
        new_queue=updated["queue"],
        new_assignee_id=updated["assignee_id"],
        new_first_tier2_action_at=updated["first_tier2_action_at"],
        now=now,
    )
    if written != 1:
        raise version_conflict("service request")
    return updated


def take(
    tx: Tx,
    actor: Actor,
    reference: Any,
    expected_version: int,
    policy: Policy,
    now: datetime,
) -> ServiceRequestRead:
    """Make the calling Tier 2 agent the SR's assignee."""
    row = load_visible(tx, actor, reference)
    check_version(row["version"], expected_version)
    permissions.require(actor, Operation.sr_take, RowFacts(row))
    if row["held_by"] != HeldBy.tier2:
        raise Conflict(
            f"Only an SR waiting on Tier 2 can be taken; this one is '{row['status'].value}'.",
            current_status=row["status"].value,
        )
    if row["assignee_id"] == actor.id:
        return to_read(row, actor, policy, now)

    changes = {"assignee_id": actor.id}
    if row["first_tier2_action_at"] is None:
        changes["first_tier2_action_at"] = now
    updated = _write_holders(tx, row, expected_version, changes, now)
    record(tx, row["id"], actor, "taken", now, details={"assignee_id": str(actor.id)})
    return to_read(updated, actor, policy, now)


def _active_agent(
    tx: Tx, agent_id: uuid.UUID, tier: Tier, pointer: str
) -> dict[str, Any]:
    agent = tx.one(SELECT_AGENT, id=agent_id)
    if agent is None or not agent["active"] or agent["tier"] != tier:
        raise invalid_field(
            pointer, f"{pointer.lstrip('/')} must name an active {tier.value} agent."
        )
    return agent


def _check_owner_kind(agent: dict[str, Any], row: dict[str, Any], pointer: str) -> None:
    if CUSTOMER_TYPE_OF_KIND[agent["tier1_kind"]] != row["customer_type"]:
        raise invalid_field(
            pointer,
            f"A {agent['tier1_kind'].value} agent cannot own a {row['customer_type'].value} SR.",
        )


def reassign(
    tx: Tx,
    actor: Actor,
    reference: Any,
    data: Reassignment,
    expected_version: int,
    policy: Policy,
    now: datetime,
) -> ServiceRequestRead:
    """Change the Tier 1 owner, the Tier 2 assignee or both, with a history record."""
    row = load_visible(tx, actor, reference)
    check_version(row["version"], expected_version)
    permissions.require(actor, Operation.sr_reassign, RowFacts(row))
    if not data.model_fields_set:
        raise InvalidInput("Send owner_id, assignee_id or both.")
    if row["status"] in (Status.closed, Status.cancelled):
        raise Conflict(
            f"A {row['status'].value} SR is not reassigned.",
            current_status=row["status"].value,
        )

    changes: dict[str, Any] = {}
    details: dict[str, Any] = {}
    if "owner_id" in data.model_fields_set:
        if data.owner_id is None:
            raise invalid_field("/owner_id", "An SR always has a Tier 1 owner.")
        owner = _active_agent(tx, data.owner_id, Tier.tier1, "/owner_id")
        _check_owner_kind(owner, row, "/owner_id")
        changes.update(owner_id=owner["id"], queue=owner["default_queue"])
        details["owner_id"] = {"from": str(row["owner_id"]), "to": str(owner["id"])}
    if "assignee_id" in data.model_fields_set:
        if data.assignee_id is not None:
            _active_agent(tx, data.assignee_id, Tier.tier2, "/assignee_id")
        changes["assignee_id"] = data.assignee_id
        details["assignee_id"] = {
            "from": None if row["assignee_id"] is None else str(row["assignee_id"]),
            "to": None if data.assignee_id is None else str(data.assignee_id),
        }

    updated = _write_holders(tx, row, expected_version, changes, now)
    record(tx, row["id"], actor, "reassigned", now, details=details)
    for holder in ("owner_id", "assignee_id"):
        # The follow-ups the previous holder scheduled go to whoever now works the SR.
        if row[holder] is not None and updated[holder] not in (None, row[holder]):
            follow_ups.move_scheduled_on(tx, row["id"], row[holder], updated[holder])
    return to_read(updated, actor, policy, now)


def reassign_all(
    tx: Tx,
    actor: Actor,
    agent: dict[str, Any],
    successor_id: uuid.UUID | None,
    now: datetime,
) -> int:
    """Hand every active SR an agent owns or is assigned to over to its successor.

    Raise 409 if the agent holds SRs and no successor is named. Return the count moved.
    """
    held = tx.all(SELECT_HELD_BY_AGENT, agent_id=agent["id"])
    if not held:
        return 0
    if successor_id is None:
        raise Conflict(
            f"The agent still holds {len(held)} open SR(s). Send reassign_to with an active "
            f"{agent['tier'].value} agent to take them over.",
            held_service_requests=len(held),
        )
    if successor_id == agent["id"]:
        raise invalid_field("/reassign_to", "reassign_to must be another agent.")
    successor = _active_agent(tx, successor_id, agent["tier"], "/reassign_to")

    for row in held:
        changes: dict[str, Any] = {}
        details: dict[str, Any] = {"reason": "agent deactivated"}
        if row["owner_id"] == agent["id"]:
            _check_owner_kind(successor, row, "/reassign_to")
            changes.update(owner_id=successor["id"], queue=successor["default_queue"])
            details["owner_id"] = {"from": str(agent["id"]), "to": str(successor["id"])}
        if row["assignee_id"] == agent["id"]:
            changes["assignee_id"] = successor["id"]
            details["assignee_id"] = {
                "from": str(agent["id"]),
                "to": str(successor["id"]),
            }
        _write_holders(tx, row, row["version"], changes, now)
        record(tx, row["id"], actor, "reassigned", now, details=details)
    follow_ups.move_scheduled(tx, agent["id"], successor["id"])
    return len(held)
