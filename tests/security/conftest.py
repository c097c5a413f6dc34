"""Helpers for the security tests: row counts and SRs driven to a given status."""

from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database, Tx
from app.domain.models import metadata
from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    create_shop_sr,
    create_social_sr,
    fire,
)


def _count_rows(tx: Tx) -> dict[str, int]:
    return {
        table.name: int(
            tx.query(sa.select(sa.func.count()).select_from(table))[0]["count_1"]
        )
        for table in metadata.sorted_tables
    }


def row_counts(db: Database) -> dict[str, int]:
    """Count the rows of every table, to show that a rejected request stored nothing."""
    return db.run(_count_rows, write=False)


PATHS = {
    "open": (),
    "escalated": (),
    "on_hold": (("tier2", "hold"),),
    "resolved": (("tier2", "resolve"),),
    "de_escalated": (("tier2", "resolve"), ("tier2", "de_escalate")),
    "closed": (("tier2", "resolve"), ("tier2", "de_escalate"), ("owner", "close")),
}
"""Events that take a new SR (Open for a store SR kept open, else Escalated) to each status."""


async def sr_in_status(
    client: httpx.AsyncClient,
    desk: Desk,
    status: str,
    *,
    store: bool = False,
) -> tuple[dict[str, Any], AgentLogin]:
    """Create an SR and walk it to `status`; return it and its Tier 1 owner."""
    owner = desk.store if store or status == "open" else desk.social
    if status == "open":
        sr = await create_shop_sr(
            client, owner, escalate=False, open_reason="Waiting for the store visit."
        )
    elif store:
        sr = await create_shop_sr(client, owner)
    else:
        sr = await create_social_sr(client, owner)
    for actor, event in PATHS[status]:
        login = desk.tier2 if actor == "tier2" else owner
        response = await fire(client, login, sr, event, EVENT_BODIES[event])
        assert response.status_code == 200, response.text
        sr = response.json()
    assert sr["status"] == status
    return sr, owner
