"""Triage: plan what each problem of a contact gets, record it, and count the outcomes.

The plan follows the rules table in `rules.py`; this module only groups the SR
problems and fills in addresses and teams. A recorded triage keeps no personal
data: channel, locale, categories, outcomes, targets, agent and time.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import structlog

from app.db import Tx
from app.domain import permissions
from app.domain.errors import InvalidInput, invalid_field
from app.domain.ids import new_id
from app.domain.permissions import Actor, Operation
from app.domain.triage.models import Triage, TriageOutcome
from app.domain.triage.rules import RULES, Outcome, redirect_address
from app.domain.triage.schemas import (
    ChannelCounts,
    PlannedServiceRequest,
    Problem,
    ProblemOutcome,
    Redirect,
    Transfer,
    TriageChannel,
    TriageCreate,
    TriagePlan,
    TriageReport,
)
from app.domain.vocabulary import SR_CATEGORIES, Category, Tier1Kind

log = structlog.get_logger(component="triage")

triage_table = Triage.__table__  # type: ignore[attr-defined]
outcome_table = TriageOutcome.__table__  # type: ignore[attr-defined]

INSERT_TRIAGE = sa.insert(triage_table)
INSERT_OUTCOME = sa.insert(outcome_table)

_OUTCOME_IN_RANGE = sa.and_(
    outcome_table.c.created_at
    >= sa.bindparam("start", type_=outcome_table.c.created_at.type),
    outcome_table.c.created_at
    < sa.bindparam("end", type_=outcome_table.c.created_at.type),
)
COUNT_BY_OUTCOME = (
    sa.select(outcome_table.c.outcome, sa.func.count().label("count"))
    .where(_OUTCOME_IN_RANGE)
    .group_by(outcome_table.c.outcome)
)
COUNT_BY_CATEGORY = (
    sa.select(outcome_table.c.category, sa.func.count().label("count"))
    .where(_OUTCOME_IN_RANGE)
    .group_by(outcome_table.c.category)
)
COUNT_BY_CHANNEL = (
    sa.select(
        triage_table.c.channel,
        sa.func.count().label("triages"),
        sa.func.sum(triage_table.c.problem_count).label("problems"),
        sa.func.sum(triage_table.c.service_request_count).label("service_requests"),
    )
    .where(
        triage_table.c.created_at
        >= sa.bindparam("start", type_=triage_table.c.created_at.type),
        triage_table.c.created_at
        < sa.bindparam("end", type_=triage_table.c.created_at.type),
    )
    .group_by(triage_table.c.channel)
)

REPORT_MAX_DAYS = 366


@dataclass
class _Plan:
    solved_on_contact: list[ProblemOutcome] = field(default_factory=list)
    service_requests: list[PlannedServiceRequest] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    declines: list[ProblemOutcome] = field(default_factory=list)
    requests_for_details: list[ProblemOutcome] = field(default_factory=list)
    targets: dict[int, str] = field(default_factory=dict)
    """The redirect address or transfer team per problem index, for the record."""


def _group_service_requests(
    problems: list[Problem],
) -> list[tuple[str | None, list[int]]]:
    """Group the SR problems: one group per related_group label, one per unlabelled problem."""
    groups: dict[str | int, tuple[str | None, list[int]]] = {}
    for index, problem in enumerate(problems):
        if problem.category not in SR_CATEGORIES:
            continue
        key: str | int = (
            problem.related_group if problem.related_group is not None else index
        )
        groups.setdefault(key, (problem.related_group, []))[1].append(index)
    return list(groups.values())


def _planned_service_request(
    problems: list[Problem], related_group: str | None, indexes: list[int]
) -> PlannedServiceRequest:
    categories = sorted(
        {problems[index].category for index in indexes}, key=SR_CATEGORIES.index
    )
    primary, additional = categories[0], categories[1:]
    instruction = RULES[primary].instruction
    if len(indexes) > 1:
        instruction += (
            " One SR covers the related problems "
            + ", ".join(str(index) for index in indexes)
            + "."
        )
    return PlannedServiceRequest(
        problems=indexes,
        related_group=related_group,
        category=primary,
        additional_categories=additional,
        instruction=instruction,
    )


def plan_contact(data: TriageCreate) -> _Plan:
    """Apply the rules table to each problem and group the SR problems."""
    plan = _Plan()
    for index, problem in enumerate(data.problems):
        rule = RULES[problem.category]
        common: dict[str, Any] = {
            "problem": index,
            "category": problem.category,
            "summary": problem.summary,
            "instruction": rule.instruction,
        }
        if rule.outcome is Outcome.redirect:
            address = redirect_address(rule, data.locale)
            assert address is not None
            plan.redirects.append(Redirect(**common, address=address))
            plan.targets[index] = address
        elif rule.outcome is Outcome.transfer:
            team = rule.target or problem.transfer_team
            assert team is not None
            plan.transfers.append(Transfer(**common, team=team))
            plan.targets[index] = team
        elif rule.outcome is Outcome.solved_on_contact:
            plan.solved_on_contact.append(ProblemOutcome(**common))
        elif rule.outcome is Outcome.decline:
            plan.declines.append(ProblemOutcome(**common))
        elif rule.outcome is Outcome.request_details:
            plan.requests_for_details.append(ProblemOutcome(**common))
    for related_group, indexes in _group_service_requests(data.problems):
        plan.service_requests.append(
            _planned_service_request(data.problems, related_group, indexes)
        )
    return plan


SOCIAL_CHANNELS = frozenset(TriageChannel) - {TriageChannel.store, TriageChannel.sales}

CHANNELS_OF_KIND = {
    Tier1Kind.social_media: SOCIAL_CHANNELS,
    Tier1Kind.community: SOCIAL_CHANNELS,
    Tier1Kind.store: frozenset({TriageChannel.store}),
    Tier1Kind.sales: frozenset({TriageChannel.sales}),
}
"""The channels each kind of Tier 1 agent takes contacts through: social networks and
forums for social and community agents, their own counter for store and sales agents."""


def _require_channel_of_kind(actor: Actor, channel: TriageChannel) -> None:
    kind = actor.tier1_kind
    allowed = CHANNELS_OF_KIND.get(kind) if kind else None
    if allowed is not None and channel not in allowed:
        raise invalid_field(
            "/channel",
            f"A {kind.value} agent does not take contacts through '{channel.value}': "
            f"use one of {', '.join(sorted(c.value for c in allowed))}, or let an agent "
            "of the right kind triage the contact.",
        )


def create_triage(
    tx: Tx, actor: Actor, data: TriageCreate, now: datetime
) -> TriagePlan:
    """Plan the contact and record the triage with one outcome row per problem."""
    permissions.grant_for(actor, Operation.triage_create)
    _require_channel_of_kind(actor, data.channel)
    plan = plan_contact(data)
    triage_id = new_id()
    tx.execute(
        INSERT_TRIAGE,
        id=triage_id,
        agent_id=actor.id,
        created_at=now,
        channel=data.channel.value,
        locale=data.locale,
        problem_count=len(data.problems),
        service_request_count=len(plan.service_requests),
    )
    for index, problem in enumerate(data.problems):
        tx.execute(
            INSERT_OUTCOME,
            triage_id=triage_id,
            position=index,
            category=problem.category,
            outcome=RULES[problem.category].outcome.value,
            target=plan.targets.get(index),
            related_group=problem.related_group,
            created_at=now,
            channel=data.channel.value,
        )
    log.info(
        "triage.recorded",
        triage_id=str(triage_id),
        channel=data.channel.value,
        problems=len(data.problems),
        service_requests=len(plan.service_requests),
    )
    return TriagePlan(
        id=triage_id,
        created_at=now,
        agent_id=actor.id,
        channel=data.channel,
        locale=data.locale,
        solved_on_contact=plan.solved_on_contact,
        service_requests=plan.service_requests,
        redirects=plan.redirects,
        transfers=plan.transfers,
        declines=plan.declines,
        requests_for_details=plan.requests_for_details,
    )


def report_range(
    from_date: date | None, to_date: date | None, today: date
) -> tuple[date, date]:
    """Resolve the report's days: `to` defaults to today, `from` to 29 days before `to`."""
    end = to_date or today
    start = from_date or end - timedelta(days=29)
    if start > end:
        raise InvalidInput(
            f"from ({start.isoformat()}) is after to ({end.isoformat()}): "
            "send from on or before to.",
            errors=[
                {"location": "query", "parameter": "from", "detail": "from is after to"}
            ],
        )
    if (end - start).days >= REPORT_MAX_DAYS:
        raise InvalidInput(
            f"The range spans {(end - start).days + 1} days; a report covers at most "
            f"{REPORT_MAX_DAYS}. Split it into shorter ranges.",
            errors=[
                {
                    "location": "query",
                    "parameter": "from",
                    "detail": f"more than {REPORT_MAX_DAYS} days before to",
                }
            ],
        )
    return start, end


def triage_report(tx: Tx, actor: Actor, start: date, end: date) -> TriageReport:
    """Count triaged problems per outcome and category, and triages per channel."""
    permissions.grant_for(actor, Operation.triage_report)
    bounds = {
        "start": datetime.combine(start, time.min, UTC),
        "end": datetime.combine(end + timedelta(days=1), time.min, UTC),
    }
    by_outcome = {outcome.value: 0 for outcome in Outcome}
    for row in tx.all(COUNT_BY_OUTCOME, **bounds):
        by_outcome[row["outcome"]] = int(row["count"])
    by_category = {category.value: 0 for category in Category}
    for row in tx.all(COUNT_BY_CATEGORY, **bounds):
        by_category[Category(row["category"]).value] = int(row["count"])
    by_channel = {
        channel.value: ChannelCounts(triages=0, problems=0, service_requests=0)
        for channel in TriageChannel
    }
    for row in tx.all(COUNT_BY_CHANNEL, **bounds):
        by_channel[row["channel"]] = ChannelCounts(
            triages=int(row["triages"]),
            problems=int(row["problems"] or 0),
            service_requests=int(row["service_requests"] or 0),
        )
    problems = sum(by_outcome.values())
    return TriageReport(
        from_date=start,
        to_date=end,
        triages=sum(counts.triages for counts in by_channel.values()),
        problems=problems,
        service_requests=sum(counts.service_requests for counts in by_channel.values()),
        deflected=problems - by_outcome[Outcome.service_request.value],
        by_outcome=by_outcome,
        by_category=by_category,
        by_channel=by_channel,
    )
