"""GET /workflow and its diagram come from the machine and the permission table alone."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from app.api import meta
from app.domain import permissions
from app.domain.errors import InvalidTransition
from app.domain.permissions import Actor
from app.domain.vocabulary import CustomerType, Status, Tier, Tier1Kind
from app.workflows.service_request import (
    LIFECYCLE,
    Lifecycle,
    ServiceRequestLifecycle,
    TransitionContext,
    permitted,
    within_reopen_window,
)


def machine_transitions(machine: type[StateMachine]) -> set[tuple[str, str, str]]:
    """Read (event, source, target) straight from a python-statemachine class."""
    return {
        (str(event), str(state.value), str(transition.target.value))
        for state in machine.states
        for transition in state.transitions
        for event in transition.events
    }


class TestWorkflowEndpoint:
    async def test_transitions_match_machine(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/workflow")).json()

        listed = {
            (entry["event"], entry["source"], entry["target"])
            for entry in body["transitions"]
        }
        assert listed == machine_transitions(ServiceRequestLifecycle)
        assert body["states"][0] == {"name": "open", "held_by": "tier1"}
        assert [state["name"] for state in body["states"]] == [
            str(state.value) for state in ServiceRequestLifecycle.states
        ]
        assert body["initial_state"] == "open"
        assert body["final_states"] == ["cancelled"]

    async def test_tiers_come_from_permissions(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/workflow")).json()

        for entry in body["transitions"]:
            expected = permissions.tiers_for_event(
                entry["event"], Status(entry["source"])
            )
            assert entry["tiers"] == [tier.value for tier in expected], entry
        closes = {
            entry["source"]: entry["tiers"]
            for entry in body["transitions"]
            if entry["event"] == "close"
        }
        assert closes == {"de_escalated": ["tier1"], "resolved": ["tier2"]}

    async def test_diagram_draws_every_transition(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/workflow/diagram")

        assert response.headers["content-type"].startswith("text/vnd.mermaid")
        lines = response.text.splitlines()
        assert lines[0] == "stateDiagram-v2"
        for event, source, target in machine_transitions(ServiceRequestLifecycle):
            assert any(
                line.startswith(f"    {source} --> {target}: {event}") for line in lines
            ), (event, source, target)


class ReshapedLifecycle(StateMachine):
    """The SR machine with two transitions changed: hold also from resolved, reopen back to open."""

    allow_event_without_transition = False
    catch_errors_as_events = False

    open = State(value=Status.open, initial=True)
    escalated = State(value=Status.escalated)
    on_hold = State(value=Status.on_hold)
    resolved = State(value=Status.resolved)
    de_escalated = State(value=Status.de_escalated)
    closed = State(value=Status.closed)
    cancelled = State(value=Status.cancelled, final=True)

    escalate = open.to(escalated, cond=permitted)
    hold = escalated.to(on_hold, cond=permitted) | resolved.to(on_hold, cond=permitted)
    resume = on_hold.to(escalated, cond=permitted)
    resolve = escalated.to(resolved, cond=permitted)
    de_escalate = resolved.to(de_escalated, cond=permitted)
    close = de_escalated.to(closed, cond=permitted) | resolved.to(
        closed, cond=permitted
    )
    reject_resolution = de_escalated.to(escalated, cond=permitted)
    reopen = closed.to(open, cond=[permitted, within_reopen_window])
    cancel = (
        open.to(cancelled, cond=permitted)
        | escalated.to(cancelled, cond=permitted)
        | on_hold.to(cancelled, cond=permitted)
        | resolved.to(cancelled, cond=permitted)
        | de_escalated.to(cancelled, cond=permitted)
    )


class TestChangedMachine:
    async def test_endpoint_and_diagram_follow_machine(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        before = (await client.get("/workflow")).json()["transitions"]
        monkeypatch.setattr(meta, "LIFECYCLE", Lifecycle(ReshapedLifecycle))

        after = (await client.get("/workflow")).json()["transitions"]
        diagram = (await client.get("/workflow/diagram")).text.splitlines()

        pairs_before = {(t["event"], t["source"], t["target"]) for t in before}
        pairs_after = {(t["event"], t["source"], t["target"]) for t in after}
        assert pairs_after - pairs_before == {
            ("hold", "resolved", "on_hold"),
            ("reopen", "closed", "open"),
        }
        assert pairs_before - pairs_after == {("reopen", "closed", "escalated")}
        [new_hold] = [
            t for t in after if (t["event"], t["source"]) == ("hold", "resolved")
        ]
        assert new_hold["tiers"] == ["tier2"]
        assert "    resolved --> on_hold: hold (Tier 2)" in diagram
        assert "    closed --> open: reopen (Tier 1)" in diagram
        assert not any(line.startswith("    closed --> escalated") for line in diagram)


@dataclass(frozen=True)
class Facts:
    owner_id: uuid.UUID
    queue: str
    customer_type: CustomerType
    assignee_id: uuid.UUID | None


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def _actors() -> list[Actor]:
    def actor(tier: Tier, kind: Tier1Kind | None, queue: str) -> Actor:
        return Actor(
            id=uuid.uuid4(),
            name=f"{tier.value} agent",
            tier=tier,
            tier1_kind=kind,
            default_queue=queue,
            time_zone="UTC",
        )

    return [
        actor(Tier.tier1, Tier1Kind.social_media, "social-br"),
        actor(Tier.tier2, None, "ges"),
        actor(Tier.supervisor, None, "leads"),
    ]


def _contexts() -> list[TransitionContext]:
    tier1, tier2, _ = actors = _actors()
    stranger = uuid.uuid4()
    contexts = []
    for actor, owner, assignee, customer_type, closed_at in itertools.product(
        actors,
        (tier1.id, stranger),
        (None, tier2.id, stranger),
        CustomerType,
        (None, NOW - timedelta(days=1), NOW - WINDOW - timedelta(seconds=1)),
    ):
        facts = Facts(owner, "social-br", customer_type, assignee)
        contexts.append(TransitionContext(actor, facts, closed_at, NOW, WINDOW))
    return contexts


def _engine_target(
    machine: StateMachine, event: str, ctx: TransitionContext
) -> str | None:
    try:
        machine.send(event, ctx=ctx)
    except TransitionNotAllowed:
        return None
    return str(machine.current_state_value)


def _table_target(status: Status, event: str, ctx: TransitionContext) -> str | None:
    try:
        return str(LIFECYCLE.fire(status, event, ctx).target.value)
    except InvalidTransition:
        return None


def test_table_agrees_with_engine_everywhere() -> None:
    """Every status, event, tier and guard outcome gives the same result from both runners."""
    contexts = _contexts()
    compared = 0
    fired: set[tuple[str, str, str]] = set()
    for status in Status:
        for ctx in contexts:
            engine_allowed: list[str] = []
            machine: Any = ServiceRequestLifecycle(start_value=status)
            for event in LIFECYCLE.events:
                engine = _engine_target(machine, event, ctx)
                table = _table_target(status, event, ctx)
                assert engine == table, (status, event, ctx)
                compared += 1
                if engine is not None:
                    fired.add((event, status.value, engine))
                    engine_allowed.append(event)
                    machine = ServiceRequestLifecycle(start_value=status)
            assert LIFECYCLE.allowed_events(status, ctx) == engine_allowed
    assert compared == len(Status) * len(contexts) * len(LIFECYCLE.events)
    # The sweep fired every transition of the machine at least once.
    assert fired == machine_transitions(ServiceRequestLifecycle)


def test_reopen_guard_decides_by_window() -> None:
    tier1 = _actors()[0]
    facts = Facts(tier1.id, "social-br", CustomerType.social_media, None)
    inside = TransitionContext(tier1, facts, NOW - WINDOW, NOW, WINDOW)
    outside = TransitionContext(
        tier1, facts, NOW - WINDOW - timedelta(seconds=1), NOW, WINDOW
    )

    assert _table_target(Status.closed, "reopen", inside) == "escalated"
    assert (
        _engine_target(
            ServiceRequestLifecycle(start_value=Status.closed), "reopen", inside
        )
        == "escalated"
    )
    assert _table_target(Status.closed, "reopen", outside) is None
    assert (
        _engine_target(
            ServiceRequestLifecycle(start_value=Status.closed), "reopen", outside
        )
        is None
    )
