"""Lifecycle events on an SR: the request bodies and the one function that fires them."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field

from app.db import Tx
from app.domain import permissions
from app.domain.concurrency import check_version, version_conflict
from app.domain.follow_ups.schemas import FollowUpCreate
from app.domain.follow_ups.service import insert_follow_up
from app.domain.permissions import Actor, event_operation
from app.domain.policy import Policy
from app.domain.schemas import InputSchema, Reason
from app.domain.service_requests.priority import sla_due
from app.domain.service_requests.schemas import ServiceRequestRead
from app.domain.service_requests.service import (
    RowFacts,
    load_visible,
    record,
    sr_table,
    to_read,
    transition_context,
)
from app.domain.vocabulary import Status, Tier
from app.workflows.service_request import HELD_BY, LIFECYCLE, Transition


class EscalateRequest(InputSchema):
    note: Reason | None = None


class HoldRequest(InputSchema):
    reason: Reason = Field(description="What Tier 2 waits for from the customer.")
    follow_up: FollowUpCreate = Field(
        description="When and how Tier 2 contacts the customer again, scheduled with "
        "the hold."
    )


class ResumeRequest(InputSchema):
    note: Reason | None = None


class ResolveRequest(InputSchema):
    resolution: Reason = Field(description="The solution Tier 2 found.")


class DeEscalateRequest(InputSchema):
    note: Reason | None = None


class CloseRequest(InputSchema):
    closing_note: Reason = Field(
        description="How the customer was informed and what they were told."
    )


class RejectResolutionRequest(InputSchema):
    reason: Reason = Field(description="Why the resolution does not solve the problem.")


class ReopenRequest(InputSchema):
    reason: Reason = Field(description="Why the customer came back.")


class CancelRequest(InputSchema):
    reason: Reason = Field(
        description="Why the SR is cancelled, such as a duplicate or a withdrawal."
    )


EventRequest = (
    EscalateRequest
    | HoldRequest
    | ResumeRequest
    | ResolveRequest
    | DeEscalateRequest
    | CloseRequest
    | RejectResolutionRequest
    | ReopenRequest
    | CancelRequest
)

LIFECYCLE_COLUMNS = (
    "status",
    "held_by",
    "status_changed_at",
    "updated_at",
    "assignee_id",
    "first_tier2_action_at",
    "sla_first_action_due_at",
    "sla_resolution_due_at",
    "open_reason",
    "resolution",
    "closing_note",
    "closed_at",
)
"""Every column an event may change. One statement sets them all, so it is compiled once."""

UPDATE_LIFECYCLE = (
    sa.update(sr_table)
    .where(
        sr_table.c.id == sa.bindparam("id"),
        sr_table.c.version == sa.bindparam("expected"),
    )
    .values(
        version=sa.bindparam("new_version"),
        **{column: sa.bindparam(f"new_{column}") for column in LIFECYCLE_COLUMNS},
    )
)

EVENT_REQUESTS: dict[str, type[InputSchema]] = {
    "escalate": EscalateRequest,
    "hold": HoldRequest,
    "resume": ResumeRequest,
    "resolve": ResolveRequest,
    "de_escalate": DeEscalateRequest,
    "close": CloseRequest,
    "reject_resolution": RejectResolutionRequest,
    "reopen": ReopenRequest,
    "cancel": CancelRequest,
}
"""The request body of each lifecycle event; one endpoint per event."""


def _reason(body: InputSchema) -> str | None:
    for name in ("reason", "resolution", "closing_note", "note"):
        value = getattr(body, name, None)
        if value is not None:
            return str(value)
    return None


def _effects(
    transition: Transition,
    row: Mapping[str, Any],
    actor: Actor,
    body: InputSchema,
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    """The columns an event changes besides the status."""
    changes: dict[str, Any] = {
        "status": transition.target,
        "held_by": HELD_BY[transition.target],
        "status_changed_at": now,
        "updated_at": now,
    }
    if actor.tier is Tier.tier2:
        if row["assignee_id"] is None:
            changes["assignee_id"] = actor.id
        if row["first_tier2_action_at"] is None:
            changes["first_tier2_action_at"] = now
    if transition.target is Status.escalated and row["sla_first_action_due_at"] is None:
        changes["sla_first_action_due_at"], changes["sla_resolution_due_at"] = sla_due(
            row["priority"], now, policy
        )
    if transition.source is Status.open:
        changes["open_reason"] = None
    if transition.event == "resolve":
        changes["resolution"] = _reason(body)
    if transition.event == "close":
        changes["closing_note"] = _reason(body)
        changes["closed_at"] = now
    if transition.event == "reopen":
        changes["closed_at"] = None
        changes["closing_note"] = None
        changes["resolution"] = None
        changes["sla_resolution_due_at"] = sla_due(row["priority"], now, policy)[1]
    if transition.event == "reject_resolution":
        changes["resolution"] = None
    return changes


def fire_event(
    tx: Tx,
    actor: Actor,
    reference: Any,
    event: str,
    body: InputSchema,
    expected_version: int,
    policy: Policy,
    now: datetime,
) -> ServiceRequestRead:
    """Fire a lifecycle event, checked in order: 404, 412, 403 for this SR, 409 for its state."""
    row = load_visible(tx, actor, reference)
    check_version(row["version"], expected_version)
    permissions.require(actor, event_operation(event), RowFacts(row))
    transition = LIFECYCLE.fire(
        row["status"], event, transition_context(actor, row, policy, now)
    )

    changes = _effects(transition, row, actor, body, policy, now)
    updated = {**row, **changes, "version": expected_version + 1}
    written = tx.execute(
        UPDATE_LIFECYCLE,
        id=row["id"],
        expected=expected_version,
        new_version=updated["version"],
        **{f"new_{column}": updated[column] for column in LIFECYCLE_COLUMNS},
    )
    if written != 1:
        raise version_conflict("service request")
    details: dict[str, Any] = {}
    if "assignee_id" in changes:
        details["assignee_id"] = str(actor.id)
    if isinstance(body, HoldRequest):
        # The hold's own history record names the follow-up it scheduled.
        follow_up = insert_follow_up(
            tx, actor, updated, body.follow_up, now, audit=False
        )
        details["follow_up_id"] = str(follow_up["id"])
    record(
        tx,
        row["id"],
        actor,
        transition.event,
        now,
        from_status=transition.source,
        to_status=transition.target,
        reason=_reason(body),
        details=details,
    )
    return to_read(updated, actor, policy, now)
