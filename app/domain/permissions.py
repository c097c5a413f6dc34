"""Who may do what: the one table every endpoint and every lifecycle event consults.

Each operation lists the tiers that may perform it and, per tier, a *rule* about
the object: which SRs or profiles that agent may act on. A tier missing from an
operation may never perform it (403 before anything is loaded). A rule that
fails on the object is a 403 for that object, except for reading, where an
object the agent may not read is answered as not found (404).

Lifecycle events carry one more column: the statuses a tier fires the event
from. The lifecycle machine's guards read this table; they repeat none of it.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa

from app.domain.errors import ActorForbidden, RoleForbidden
from app.domain.vocabulary import CustomerType, Status, Tier, Tier1Kind


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated agent behind a request."""

    id: uuid.UUID
    name: str
    tier: Tier
    tier1_kind: Tier1Kind | None
    default_queue: str
    time_zone: str
    token_id: uuid.UUID | None = None


class SubjectFacts(Protocol):
    """What the SR rules need to know about an SR."""

    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def queue(self) -> str: ...
    @property
    def customer_type(self) -> CustomerType: ...
    @property
    def assignee_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """What the profile rules need to know: who created it and who holds its SRs."""

    created_by: uuid.UUID
    sr_owner_ids: frozenset[uuid.UUID] = frozenset()
    sr_queues: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    """A condition on the object of an operation, in Python and, where lists need it, in SQL."""

    name: str
    description: str
    """A noun phrase naming the objects allowed, such as "SRs they own"."""
    check: Callable[[Actor, Any], bool]
    where: Callable[[Actor, sa.Table], sa.ColumnElement[bool]] | None = field(
        default=None, compare=False
    )
    refusal: str | None = None
    """What to tell a caller the rule rejects, where the description alone would be vague."""
    parts: tuple["Rule", ...] = ()

    def __and__(self, other: "Rule") -> "Rule":
        parts = (self.parts or (self,)) + (other.parts or (other,))

        def all_parts(actor: Actor, subject: Any) -> bool:
            return all(part.check(actor, subject) for part in parts)

        return Rule(
            " and ".join(part.name for part in parts),
            " that are also ".join(part.description for part in parts),
            all_parts,
            parts=parts,
        )

    def failing_part(self, actor: Actor, subject: Any) -> "Rule | None":
        """Return the atomic rule the subject fails, or None if it passes."""
        for part in self.parts or (self,):
            if not part.check(actor, subject):
                return part
        return None


ANY = Rule("any", "any", lambda actor, subject: True, lambda actor, table: sa.true())
OWNER = Rule(
    "owner",
    "SRs they own",
    lambda actor, sr: sr.owner_id == actor.id,
    lambda actor, table: table.c.owner_id == actor.id,
    refusal="Only the SR's Tier 1 owner may do this.",
)
OWNER_OR_QUEUE = Rule(
    "owner or queue",
    "SRs they own or in their default queue",
    lambda actor, sr: sr.owner_id == actor.id or sr.queue == actor.default_queue,
    lambda actor, table: sa.or_(
        table.c.owner_id == actor.id, table.c.queue == actor.default_queue
    ),
)
NOT_SOCIAL_MEDIA = Rule(
    "not social media",
    "store and sales SRs",
    lambda actor, sr: sr.customer_type != CustomerType.social_media,
    refusal=(
        "Tier 2 never closes a social-media SR: resolve it and de-escalate it to its "
        "Tier 1 owner, who closes it with the customer."
    ),
)
UNASSIGNED_OR_THEIRS = Rule(
    "unassigned or theirs",
    "SRs no other Tier 2 agent has taken",
    lambda actor, sr: sr.assignee_id is None or sr.assignee_id == actor.id,
    refusal="Another Tier 2 agent has taken this SR; a supervisor can reassign it.",
)
PROFILE_LINKED = Rule(
    "linked",
    "profiles they created or whose SRs they may read",
    lambda actor, profile: (
        profile.created_by == actor.id
        or actor.id in profile.sr_owner_ids
        or actor.default_queue in profile.sr_queues
    ),
)


class Operation(StrEnum):
    agent_read_self = "agent.read_self"
    agent_manage = "agent.manage"
    token_revoke_own = "token.revoke_own"
    profile_create = "profile.create"
    profile_read = "profile.read"
    profile_update = "profile.update"
    profile_search = "profile.search"
    profile_erase = "profile.erase"
    triage_create = "triage.create"
    triage_report = "triage.report"
    sr_create = "sr.create"
    sr_read = "sr.read"
    sr_update = "sr.update"
    sr_history = "sr.history"
    note_read = "note.read"
    note_create = "note.create"
    follow_up_create = "follow_up.create"
    follow_up_update = "follow_up.update"
    sr_take = "sr.take"
    sr_reassign = "sr.reassign"
    queue_read = "queue.read"
    dashboard_read = "dashboard.read"
    escalate = "event.escalate"
    hold = "event.hold"
    resume = "event.resume"
    resolve = "event.resolve"
    de_escalate = "event.de_escalate"
    close = "event.close"
    reject_resolution = "event.reject_resolution"
    reopen = "event.reopen"
    cancel = "event.cancel"

    @property
    def is_event(self) -> bool:
        return self.value.startswith("event.")


@dataclass(frozen=True)
class Grant:
    rule: Rule = ANY
    from_states: frozenset[Status] | None = None
    """For lifecycle events: the statuses this tier fires the event from (None: any)."""


T1, T2, SUP = Tier.tier1, Tier.tier2, Tier.supervisor

PERMISSIONS: dict[Operation, dict[Tier, Grant]] = {
    Operation.agent_read_self: {T1: Grant(), T2: Grant(), SUP: Grant()},
    Operation.agent_manage: {SUP: Grant()},
    Operation.token_revoke_own: {T1: Grant(), T2: Grant(), SUP: Grant()},
    Operation.profile_create: {T1: Grant()},
    Operation.profile_read: {T1: Grant(PROFILE_LINKED), T2: Grant(), SUP: Grant()},
    Operation.profile_update: {T1: Grant(PROFILE_LINKED), T2: Grant()},
    Operation.profile_search: {T1: Grant(PROFILE_LINKED), T2: Grant(), SUP: Grant()},
    Operation.profile_erase: {SUP: Grant()},
    Operation.triage_create: {T1: Grant()},
    Operation.triage_report: {SUP: Grant()},
    Operation.sr_create: {T1: Grant()},
    Operation.sr_read: {T1: Grant(OWNER_OR_QUEUE), T2: Grant(), SUP: Grant()},
    Operation.sr_update: {T1: Grant(OWNER), T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.sr_history: {T1: Grant(OWNER_OR_QUEUE), T2: Grant(), SUP: Grant()},
    Operation.note_read: {T1: Grant(OWNER_OR_QUEUE), T2: Grant(), SUP: Grant()},
    Operation.note_create: {T1: Grant(OWNER_OR_QUEUE), T2: Grant(), SUP: Grant()},
    Operation.follow_up_create: {T1: Grant(OWNER), T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.follow_up_update: {
        T1: Grant(OWNER),
        T2: Grant(UNASSIGNED_OR_THEIRS),
        SUP: Grant(),
    },
    Operation.sr_take: {T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.sr_reassign: {SUP: Grant()},
    Operation.queue_read: {T1: Grant(OWNER), T2: Grant(), SUP: Grant()},
    Operation.dashboard_read: {T2: Grant(), SUP: Grant()},
    Operation.escalate: {T1: Grant(OWNER)},
    Operation.hold: {T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.resume: {T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.resolve: {T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.de_escalate: {T2: Grant(UNASSIGNED_OR_THEIRS)},
    Operation.close: {
        T1: Grant(OWNER, frozenset({Status.de_escalated})),
        T2: Grant(
            NOT_SOCIAL_MEDIA & UNASSIGNED_OR_THEIRS, frozenset({Status.resolved})
        ),
    },
    Operation.reject_resolution: {T1: Grant(OWNER)},
    Operation.reopen: {T1: Grant(OWNER)},
    Operation.cancel: {T1: Grant(OWNER), SUP: Grant()},
}

TIER_NAMES = {Tier.tier1: "Tier 1", Tier.tier2: "Tier 2", Tier.supervisor: "supervisor"}


def event_operation(event: str) -> Operation:
    return Operation(f"event.{event}")


def grant_for(actor: Actor, operation: Operation) -> Grant:
    """Return the actor's grant for an operation, or raise 403 if the tier may never perform it."""
    grant = PERMISSIONS[operation].get(actor.tier)
    if grant is None:
        allowed = (
            ", ".join(TIER_NAMES[tier] for tier in PERMISSIONS[operation]) or "nobody"
        )
        raise RoleForbidden(
            f"A {TIER_NAMES[actor.tier]} agent may not perform '{operation.value}'; "
            f"it is reserved to: {allowed}."
        )
    return grant


def may(actor: Actor, operation: Operation, subject: Any) -> bool:
    grant = PERMISSIONS[operation].get(actor.tier)
    return grant is not None and grant.rule.check(actor, subject)


def require(actor: Actor, operation: Operation, subject: Any) -> None:
    """Raise 403 unless the actor may perform the operation on this object."""
    grant = grant_for(actor, operation)
    failed = grant.rule.failing_part(actor, subject)
    if failed is not None:
        raise ActorForbidden(
            failed.refusal
            or f"A {TIER_NAMES[actor.tier]} agent may perform '{operation.value}' "
            f"only on {failed.description}."
        )


def visible_where(
    actor: Actor, operation: Operation, table: sa.Table
) -> sa.ColumnElement[bool]:
    """The SQL filter for the rows of `table` this actor may read through `operation`."""
    grant = grant_for(actor, operation)
    if grant.rule.where is None:
        raise TypeError(f"rule {grant.rule.name!r} has no SQL form")
    return grant.rule.where(actor, table)


def permits_event(
    actor: Actor, event: str, status: Status, subject: SubjectFacts
) -> bool:
    """Whether the actor's tier and rule allow firing `event` on this SR from `status`."""
    grant = PERMISSIONS[event_operation(event)].get(actor.tier)
    if grant is None or not grant.rule.check(actor, subject):
        return False
    return grant.from_states is None or status in grant.from_states


def tiers_for_event(event: str, status: Status) -> list[Tier]:
    """The tiers that may fire `event` from `status`, for describing the workflow."""
    grants = PERMISSIONS[event_operation(event)]
    return [
        tier
        for tier, grant in grants.items()
        if grant.from_states is None or status in grant.from_states
    ]


def render_markdown(operations: Iterable[Operation] = Operation) -> str:
    """Render the table for the README: one row per operation, one column per tier."""
    tiers = (T1, T2, SUP)
    lines = [
        "| operation | " + " | ".join(TIER_NAMES[tier] for tier in tiers) + " |",
        "|---|" + "---|" * len(tiers),
    ]
    for operation in operations:
        cells = []
        for tier in tiers:
            grant = PERMISSIONS[operation].get(tier)
            if grant is None:
                cells.append("no")
                continue
            cell = "yes" if grant.rule is ANY else grant.rule.description
            if grant.from_states is not None:
                states = ", ".join(sorted(status.value for status in grant.from_states))
                cell += f" (from {states})"
            cells.append(cell)
        lines.append(f"| `{operation.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
