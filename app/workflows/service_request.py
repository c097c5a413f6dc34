"""The SR lifecycle as a python-statemachine class, and its compiled form.

`ServiceRequestLifecycle` is the definition: states, events, and the guards on
each transition. Nothing else in the code base decides a status change.

Running the library's engine for every request costs far more than the rest of
a lifecycle request (about 640 µs to build a machine and 190 µs to send one
event with python-statemachine 3.2.2, measured on the 2-core benchmark
machine). So `LIFECYCLE` flattens the class once per process into a table of
(status, event) → transitions with their guard functions, and `fire` walks that
table, calling the same guards the engine would. A test drives the engine and
the table through every status, event and guard outcome and requires the same
result from both.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from statemachine import State, StateMachine

from app.domain import permissions
from app.domain.errors import InvalidTransition, ReopenWindowClosed
from app.domain.permissions import Actor, SubjectFacts
from app.domain.vocabulary import HeldBy, Status, Tier


@dataclass(frozen=True, slots=True)
class TransitionContext:
    """What the guards may look at: who fires the event, on which SR, and when."""

    actor: Actor
    subject: SubjectFacts
    closed_at: datetime | None
    now: datetime
    reopen_window: timedelta


def permitted(event: str, source: State, ctx: TransitionContext) -> bool:
    """Let the permission table decide whether this actor fires `event` from `source`."""
    return permissions.permits_event(
        ctx.actor, event, Status(source.value), ctx.subject
    )


def within_reopen_window(event: str, source: State, ctx: TransitionContext) -> bool:
    """Allow a reopen only within the configured window after closing."""
    return ctx.closed_at is not None and ctx.now - ctx.closed_at <= ctx.reopen_window


class ServiceRequestLifecycle(StateMachine):
    """Open → Escalated → Resolved → De-escalated → Closed, with the desk's side roads."""

    allow_event_without_transition = False
    """An event with no transition from the current status raises instead of doing nothing."""
    catch_errors_as_events = False
    """An error inside a guard or action propagates to the caller instead of becoming an event."""

    open = State(value=Status.open, initial=True)
    escalated = State(value=Status.escalated)
    on_hold = State(value=Status.on_hold)
    resolved = State(value=Status.resolved)
    de_escalated = State(value=Status.de_escalated)
    closed = State(value=Status.closed)
    cancelled = State(value=Status.cancelled, final=True)

    escalate = open.to(escalated, cond=permitted)
    hold = escalated.to(on_hold, cond=permitted)
    resume = on_hold.to(escalated, cond=permitted)
    resolve = escalated.to(resolved, cond=permitted)
    de_escalate = resolved.to(de_escalated, cond=permitted)
    close = de_escalated.to(closed, cond=permitted) | resolved.to(
        closed, cond=permitted
    )
    reject_resolution = de_escalated.to(escalated, cond=permitted)
    reopen = closed.to(escalated, cond=[permitted, within_reopen_window])
    cancel = (
        open.to(cancelled, cond=permitted)
        | escalated.to(cancelled, cond=permitted)
        | on_hold.to(cancelled, cond=permitted)
        | resolved.to(cancelled, cond=permitted)
        | de_escalated.to(cancelled, cond=permitted)
    )


HELD_BY: dict[Status, HeldBy] = {
    Status.open: HeldBy.tier1,
    Status.escalated: HeldBy.tier2,
    Status.on_hold: HeldBy.tier2,
    Status.resolved: HeldBy.tier2,
    Status.de_escalated: HeldBy.tier1,
    Status.closed: HeldBy.nobody,
    Status.cancelled: HeldBy.nobody,
}
"""Which side of the desk waits on an SR in each status: the key of the queue views."""

Guard = Callable[[str, State, TransitionContext], bool]
"""Every guard takes the event, the source state and the context, so both runners call it alike."""


@dataclass(frozen=True, slots=True)
class Transition:
    event: str
    source: Status
    target: Status
    guards: tuple[Guard, ...]
    state: State
    """The machine's source state, handed to guards as the engine would."""


class Lifecycle:
    """The machine class flattened into a lookup table."""

    def __init__(self, machine: type[StateMachine]) -> None:
        self.machine = machine
        self.states = [Status(state.value) for state in machine.states]
        self.events = [str(event) for event in machine._events]
        self.transitions: list[Transition] = []
        self._table: dict[tuple[Status, str], list[Transition]] = {}
        for state in machine.states:
            for transition in state.transitions:
                guards = []
                for spec in transition.cond:
                    if not callable(spec.func) or spec.expected_value is not True:
                        raise TypeError(
                            f"{transition}: guards must be functions given as cond="
                        )
                    guards.append(spec.func)
                for event in transition.events:
                    compiled = Transition(
                        event=str(event),
                        source=Status(state.value),
                        target=Status(transition.target.value),
                        guards=tuple(guards),
                        state=state,
                    )
                    self.transitions.append(compiled)
                    self._table.setdefault(
                        (compiled.source, compiled.event), []
                    ).append(compiled)
        self.final_states = {Status(state.value) for state in machine.final_states}
        self.initial_state = Status(machine.initial_state.value)  # type: ignore[union-attr]

    def candidates(self, status: Status, event: str) -> list[Transition]:
        return self._table.get((status, event), [])

    def fire(self, status: Status, event: str, ctx: TransitionContext) -> Transition:
        """Return the transition `event` takes from `status`, or raise 409 listing what is possible."""
        for transition in self.candidates(status, event):
            if _guards_pass(transition, ctx):
                return transition

        if event == "reopen" and self.candidates(status, event):
            if permitted(event, self.candidates(status, event)[0].state, ctx):
                raise ReopenWindowClosed(
                    f"This SR was closed more than {ctx.reopen_window.days} days ago, so it can "
                    "no longer be reopened. Create a new SR with related_sr_id set to this one.",
                    current_status=status.value,
                    allowed_events=self.allowed_events(status, ctx),
                )
        allowed = self.allowed_events(status, ctx)
        raise InvalidTransition(
            f"Event '{event}' is not allowed while the SR is '{status.value}'. "
            + (
                f"Allowed now: {', '.join(allowed)}."
                if allowed
                else "The caller has no event to fire now."
            ),
            current_status=status.value,
            allowed_events=allowed,
        )

    def allowed_events(self, status: Status, ctx: TransitionContext) -> list[str]:
        """The events this actor may fire now, in the machine's order."""
        allowed = []
        for event in self.events:
            for transition in self.candidates(status, event):
                if _guards_pass(transition, ctx):
                    allowed.append(event)
                    break
        return allowed

    def describe(self) -> dict[str, Any]:
        """States, events and transitions with the tiers that may fire each, for clients."""
        return {
            "initial_state": self.initial_state.value,
            "final_states": sorted(status.value for status in self.final_states),
            "states": [
                {"name": status.value, "held_by": HELD_BY[status].value}
                for status in self.states
            ],
            "events": self.events,
            "transitions": [
                {
                    "event": transition.event,
                    "source": transition.source.value,
                    "target": transition.target.value,
                    "tiers": [
                        tier.value
                        for tier in permissions.tiers_for_event(
                            transition.event, transition.source
                        )
                    ],
                    "guards": [guard.__name__ for guard in transition.guards],
                }
                for transition in self.transitions
            ],
        }

    def mermaid(self) -> str:
        """A Mermaid state diagram of the machine, labelled with the tiers of each transition."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial_state.value}"]
        for transition in self.transitions:
            tiers = permissions.tiers_for_event(transition.event, transition.source)
            label = transition.event + _tier_label(tiers)
            lines.append(
                f"    {transition.source.value} --> {transition.target.value}: {label}"
            )
        for status in sorted(self.final_states):
            lines.append(f"    {status.value} --> [*]")
        return "\n".join(lines) + "\n"


def _tier_label(tiers: Iterable[Tier]) -> str:
    names = [permissions.TIER_NAMES[tier] for tier in tiers]
    return f" ({', '.join(names)})" if names else ""


def _guards_pass(transition: Transition, ctx: TransitionContext) -> bool:
    return all(
        guard(transition.event, transition.state, ctx) for guard in transition.guards
    )


LIFECYCLE = Lifecycle(ServiceRequestLifecycle)
