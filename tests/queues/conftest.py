"""Helpers for the queue, follow-up and reassignment tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Tx
from app.domain.agents.models import Agent
from app.domain.follow_ups.service import follow_up_table
from app.domain.ids import new_id
from app.domain.profiles.models import Profile
from app.domain.service_requests.service import history_table, sr_table
from app.domain.vocabulary import Category, CustomerType, Status, Tier, Tier1Kind
from app.workflows.service_request import HELD_BY
from tests.factories import EVENT_BODIES, AgentLogin, fire


async def read_queue(
    client: httpx.AsyncClient, login: AgentLogin, view: str, **params: Any
) -> httpx.Response:
    return await client.get(f"/queues/{view}", params=params, headers=login.headers)


async def queue_numbers(
    client: httpx.AsyncClient, login: AgentLogin, view: str, **params: Any
) -> list[str]:
    response = await read_queue(client, login, view, **params)
    assert response.status_code == 200, response.text
    return [item["number"] for item in response.json()["items"]]


async def step(
    client: httpx.AsyncClient,
    login: AgentLogin,
    sr: dict[str, Any],
    event: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await fire(client, login, sr, event, body or EVENT_BODIES[event])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def history_events(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/service-requests/{sr['id']}/history", headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def seed_service_requests(tx: Tx, created_by: uuid.UUID, count: int) -> None:
    """Insert `count` store SRs over 40 owners and every status, with follow-ups.

    Rows go straight into the tables, so this costs milliseconds, not requests.
    """
    owners = [new_id() for _ in range(40)]
    tx.connection.execute(
        sa.insert(agent_table),
        [
            {
                "id": owner,
                "name": f"Seeded Agent {index}",
                "tier": Tier.tier1,
                "tier1_kind": Tier1Kind.store,
                "default_queue": f"store-{index % 4}",
                "time_zone": "UTC",
                "active": True,
                "created_at": SEED_START,
            }
            for index, owner in enumerate(owners)
        ],
    )
    profile_id = new_id()
    tx.connection.execute(
        sa.insert(profile_table),
        {
            "id": profile_id,
            "version": 1,
            "first_name": "Seed",
            "last_name": "Customer",
            "address_line1": "Rua 1",
            "city": "São Paulo",
            "country": "BR",
            "email": "seed@example.com",
            "email_key": "seed@example.com",
            "creation_path": "subscription",
            "collected_via": "email",
            "created_by": created_by,
            "created_at": SEED_START,
            "updated_at": SEED_START,
        },
    )
    rows: list[dict[str, Any]] = []
    for index in range(count):
        status = SEED_STATUSES[index % len(SEED_STATUSES)]
        created = SEED_START + timedelta(minutes=index)
        rows.append(
            {
                "id": new_id(),
                "number": f"SR-{900_000_000 + index}",
                "version": 1,
                "status": status,
                "held_by": HELD_BY[status],
                "customer_type": CustomerType.store,
                "category": Category.os_bug,
                "additional_categories": [],
                "contact_reason": "Seeded.",
                "resolution_needed": "Seeded.",
                "public_comments_redacted": [],
                "profile_id": profile_id,
                "owner_id": owners[index % len(owners)],
                "queue": f"store-{index % 4}",
                "priority": 1 + index % 9,
                "created_at": created,
                "updated_at": created,
                "status_changed_at": created,
            }
        )
    tx.connection.execute(sa.insert(sr_table), rows)
    tx.connection.execute(
        sa.insert(history_table),
        [
            {
                "service_request_id": row["id"],
                "at": row["created_at"],
                "actor_id": row["owner_id"],
                "event": "created",
                "to_status": Status.open,
                "fields": [],
                "details": {},
            }
            for row in rows
        ],
    )
    tx.connection.execute(
        sa.insert(follow_up_table),
        [
            {
                "id": new_id(),
                "service_request_id": row["id"],
                "agent_id": row["owner_id"],
                "due_at": row["created_at"] + timedelta(days=1),
                "time_zone": "UTC",
                "channel": "email",
                "note": "",
                "status": "scheduled",
                "created_at": row["created_at"],
            }
            for row in rows[::4]
        ],
    )


SEED_START = datetime(2026, 6, 1, tzinfo=UTC)
SEED_STATUSES = [Status.closed] * 5 + [
    Status.escalated,
    Status.escalated,
    Status.on_hold,
    Status.resolved,
    Status.de_escalated,
    Status.open,
]
"""Mostly closed SRs, as on a desk that has run for a while."""
agent_table = Agent.__table__  # type: ignore[attr-defined]
profile_table = Profile.__table__  # type: ignore[attr-defined]
