"""The SR machine never swallows a mistake: no silent no-op event, no hidden guard error."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

from app.domain.errors import InvalidTransition
from app.domain.permissions import Actor
from app.domain.vocabulary import CustomerType, Status, Tier
from app.workflows import service_request
from app.workflows.service_request import (
    LIFECYCLE,
    Lifecycle,
    ServiceRequestLifecycle,
    TransitionContext,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Facts:
    owner_id: uuid.UUID
    queue: str
    customer_type: CustomerType
    assignee_id: uuid.UUID | None


def _tier2_context() -> TransitionContext:
    actor = Actor(
        id=uuid.uuid4(),
        name="Tier 2 agent",
        tier=Tier.tier2,
        tier1_kind=None,
        default_queue="ges",
        time_zone="UTC",
    )
    facts = Facts(uuid.uuid4(), "social-br", CustomerType.social_media, actor.id)
    return TransitionContext(actor, facts, None, NOW, timedelta(days=30))


class GuardFailure(RuntimeError):
    pass


def _break_permission_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the machine's `permitted` guard raise, as a bug in the permission table would."""

    def broken(*_args: Any) -> bool:
        raise GuardFailure("permission check failed")

    monkeypatch.setattr(service_request.permissions, "permits_event", broken)


class FailingActionLifecycle(ServiceRequestLifecycle):
    """The SR machine with an action on entering Resolved that raises."""

    def on_enter_resolved(self) -> None:
        raise GuardFailure("action failed")


def test_event_without_transition_raises() -> None:
    machine: Any = ServiceRequestLifecycle(start_value=Status.closed)

    with pytest.raises(TransitionNotAllowed):
        machine.send("resolve", ctx=_tier2_context())

    assert machine.current_state_value == Status.closed


def test_table_rejects_event_without_transition() -> None:
    lifecycle = Lifecycle(ServiceRequestLifecycle)

    with pytest.raises(InvalidTransition) as raised:
        lifecycle.fire(Status.closed, "resolve", _tier2_context())

    assert raised.value.extensions["current_status"] == "closed"
    assert raised.value.extensions["allowed_events"] == []


def test_guard_error_reaches_the_caller_from_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    machine: Any = ServiceRequestLifecycle(start_value=Status.escalated)
    _break_permission_check(monkeypatch)

    with pytest.raises(GuardFailure):
        machine.send("resolve", ctx=_tier2_context())

    assert machine.current_state_value == Status.escalated


def test_guard_error_reaches_the_caller_from_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_permission_check(monkeypatch)

    with pytest.raises(GuardFailure):
        LIFECYCLE.fire(Status.escalated, "resolve", _tier2_context())


def test_action_error_reaches_the_caller() -> None:
    machine: Any = FailingActionLifecycle(start_value=Status.escalated)

    with pytest.raises(GuardFailure):
        machine.send("resolve", ctx=_tier2_context())
