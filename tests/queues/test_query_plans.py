"""Every queue view, the due follow-ups and the dashboard are served by an index.

The tables first get a few thousand SRs spread over many owners and statuses,
and fresh statistics, so the planners choose as they would in production.
SQLite: `EXPLAIN QUERY PLAN` must name the index and sort nothing in a temporary
B-tree. PostgreSQL: `EXPLAIN` with sequential scans disabled (a few thousand
rows still fit in a few pages, where a scan is cheapest) must name the index
and contain no Sort node.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

from app.db import Database, Tx
from app.domain.follow_ups.service import SELECT_DUE
from app.domain.permissions import Actor
from app.domain.queues.dashboard import SELECT_QUEUE_COUNTS, SELECT_WINDOW_TRANSITIONS
from app.domain.queues.schemas import QueueQuery, QueueSort, QueueView
from app.domain.queues.service import queue_statement
from tests.factories import AgentLogin, Desk
from tests.queues.conftest import SEED_START, seed_service_requests

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Explain(Executable, ClauseElement):
    """`EXPLAIN` (PostgreSQL) or `EXPLAIN QUERY PLAN` (SQLite) of a statement."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement


@compiles(Explain)
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN" if compiler.dialect.name == "sqlite" else "EXPLAIN"
    sql = compiler.process(element.statement, **kw)
    # The plan's rows are not the statement's rows: drop the statement's result
    # columns so that their type processors are not applied to the plan.
    compiler._result_columns = []
    compiler._ordered_columns = False
    return f"{prefix} {sql}"


def _plan(db: Database, statement: sa.Select[Any]) -> str:
    def explain(tx: Tx) -> str:
        if not db.is_sqlite:
            tx.apply(sa.text("SET LOCAL enable_seqscan = off"))
        rows = tx.query(Explain(statement))
        column = "detail" if db.is_sqlite else "QUERY PLAN"
        return "\n".join(str(row[column]) for row in rows)

    return db.run(explain, write=False)


def _actor(login: AgentLogin) -> Actor:
    agent = login.agent
    return Actor(
        id=agent.id,
        name=agent.name,
        tier=agent.tier,
        tier1_kind=agent.tier1_kind,
        default_queue=agent.default_queue,
        time_zone=agent.time_zone,
    )


def _assert_index(plan: str, index: str, *, ordered: bool = True) -> None:
    assert index in plan, plan
    if ordered:
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan


VIEW_INDEXES = [
    (QueueView.waiting_on_tier2, QueueSort.oldest, "ix_service_request_queue_owner"),
    (QueueView.waiting_on_tier2, QueueSort.newest, "ix_service_request_queue_owner"),
    (QueueView.de_escalated, QueueSort.oldest, "ix_service_request_owner_status"),
    (QueueView.de_escalated, QueueSort.newest, "ix_service_request_owner_status"),
    (QueueView.escalated, QueueSort.priority, "ix_service_request_queue_tier2"),
    (QueueView.escalated, QueueSort.oldest, "ix_service_request_status_created"),
    (QueueView.escalated, QueueSort.newest, "ix_service_request_status_created"),
    (QueueView.on_hold, QueueSort.priority, "ix_service_request_queue_tier2"),
    (QueueView.resolved, QueueSort.priority, "ix_service_request_queue_tier2"),
]


@pytest.fixture
def seeded(db: Database, desk: Desk) -> Iterator[None]:
    """Fill the tables with SRs and follow-ups of many owners, then gather statistics."""
    db.run(seed_service_requests, desk.supervisor.agent.id, 4000)
    db.run(lambda tx: tx.apply(sa.text("ANALYZE")))
    yield
    if not db.is_sqlite:
        # Deleting the SRs row by row, as the next test's set-up does, checks the
        # unindexed related_sr_id reference once per row; TRUNCATE skips that.
        db.run(lambda tx: tx.apply(sa.text("TRUNCATE service_request CASCADE")))


class TestQueuePlans:
    @pytest.mark.parametrize(("view", "sort", "index"), VIEW_INDEXES)
    def test_first_page(
        self,
        db: Database,
        desk: Desk,
        seeded: None,
        view: QueueView,
        sort: QueueSort,
        index: str,
    ) -> None:
        login = desk.social if view.is_owner_view else desk.tier2
        statement, _, _ = queue_statement(
            _actor(login), view, QueueQuery(sort=sort), 51
        )

        _assert_index(_plan(db, statement), index)

    @pytest.mark.parametrize(("view", "sort", "index"), VIEW_INDEXES)
    def test_later_page(
        self,
        db: Database,
        desk: Desk,
        seeded: None,
        view: QueueView,
        sort: QueueSort,
        index: str,
    ) -> None:
        login = desk.social if view.is_owner_view else desk.tier2
        actor = _actor(login)
        _, _, fingerprint = queue_statement(actor, view, QueueQuery(sort=sort), 51)
        cursor = _cursor(sort, fingerprint)

        statement, _, _ = queue_statement(
            actor, view, QueueQuery(sort=sort, cursor=cursor), 51
        )

        _assert_index(_plan(db, statement), index)

    def test_follow_up_due_per_item(
        self, db: Database, desk: Desk, seeded: None
    ) -> None:
        statement, _, _ = queue_statement(
            _actor(desk.tier2), QueueView.escalated, QueueQuery(), 51
        )

        _assert_index(_plan(db, statement), "ix_follow_up_service_request_id")


def _cursor(sort: QueueSort, fingerprint: str) -> str:
    from app.domain.pagination import encode_cursor

    # A position in the middle of the seeded SRs.
    values: dict[str, Any] = {
        "c": (SEED_START + timedelta(minutes=2000)).isoformat(),
        "i": str(uuid.UUID(int=7)),
        "f": fingerprint,
    }
    if sort is QueueSort.priority:
        values["p"] = 3
    return encode_cursor(values)


class TestOtherPlans:
    def test_follow_ups_due(self, db: Database, desk: Desk, seeded: None) -> None:
        statement = SELECT_DUE.params(
            agent_id=desk.social.agent.id,
            until=NOW,
            after_due_at=NOW,
            after_id=uuid.UUID(int=0),
            limit=51,
        )

        _assert_index(_plan(db, statement), "ix_follow_up_agent_due")

    def test_dashboard_counts(self, db: Database, seeded: None) -> None:
        plan = _plan(db, SELECT_QUEUE_COUNTS)

        # PostgreSQL may hash the groups and sort the few results: no row is sorted.
        _assert_index(plan, "ix_service_request_status_queue", ordered=False)
        assert "TEMP B-TREE" not in plan, plan

    def test_dashboard_clock_window(self, db: Database, seeded: None) -> None:
        statement = SELECT_WINDOW_TRANSITIONS.params(start=NOW, end=NOW)

        plan = _plan(db, statement)

        _assert_index(plan, "ix_service_request_history_event_at", ordered=False)
        _assert_index(
            plan, "ix_service_request_history_service_request_id", ordered=False
        )
