"""`Idempotency-Key` on creates: a retry with the same key and body gets the first response.

The key is claimed with an INSERT in the same transaction as the create. On
PostgreSQL a second request with the same key blocks on that INSERT until the
first transaction ends, then finds the stored response (or, if the first
failed, claims the key itself), so a retry that arrives while the first
request is still running waits for it and gets its response. On SQLite
writers are serialised by `BEGIN IMMEDIATE`, so a retry starts only after the
first request committed. Keys are scoped to the agent and expire after
`CASEDESK_IDEMPOTENCY_TTL` (24 hours by default); after that the same key
starts a new create.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite

from app.db import Tx
from app.domain.errors import Conflict, IdempotencyKeyReused
from app.domain.idempotency.models import IdempotencyRecord
from app.domain.permissions import Actor

record_table = IdempotencyRecord.__table__  # type: ignore[attr-defined]

_CLAIM_VALUES = {
    "agent_id": sa.bindparam("claim_agent_id"),
    "key": sa.bindparam("claim_key"),
    "operation": sa.bindparam("claim_operation"),
    "request_hash": sa.bindparam("claim_request_hash"),
    "status_code": 0,
    "response_body": "",
    "created_at": sa.bindparam("claim_now"),
    "expires_at": sa.bindparam("claim_expires_at"),
}
CLAIM = {
    "sqlite": sqlite.insert(record_table)
    .values(**_CLAIM_VALUES)
    .on_conflict_do_nothing()
    .returning(record_table.c.key),
    "postgresql": postgresql.insert(record_table)
    .values(**_CLAIM_VALUES)
    .on_conflict_do_nothing()
    .returning(record_table.c.key),
}
SELECT = sa.select(record_table).where(
    record_table.c.agent_id == sa.bindparam("agent_id"),
    record_table.c.key == sa.bindparam("key"),
)
DELETE_IF_EXPIRED = sa.delete(record_table).where(
    record_table.c.agent_id == sa.bindparam("agent_id"),
    record_table.c.key == sa.bindparam("key"),
    record_table.c.expires_at <= sa.bindparam("now"),
)
COMPLETE = (
    sa.update(record_table)
    .where(
        record_table.c.agent_id == sa.bindparam("agent_id"),
        record_table.c.key == sa.bindparam("key"),
    )
    .values(
        status_code=sa.bindparam("new_status_code"),
        response_body=sa.bindparam("new_response_body"),
        resource_id=sa.bindparam("new_resource_id"),
    )
)
DELETE_EXPIRED = sa.delete(record_table).where(
    record_table.c.expires_at <= sa.bindparam("now")
)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str
    replayed: bool


def request_hash(operation: str, body: BaseModel) -> str:
    """Fingerprint a request by its validated body, so formatting and key order do not matter."""
    canonical = json.dumps(
        body.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


def _stored_response(
    tx: Tx, actor: Actor, key: str, fingerprint: str, now: datetime
) -> StoredResponse | None:
    """Return the unexpired response stored for this key, or None; raise 422 for another body."""
    existing = tx.one(SELECT, agent_id=actor.id, key=key)
    if existing is None or existing["expires_at"] <= now:
        return None
    if existing["request_hash"] != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request. "
            "Use a new key for a new request.",
            errors=[
                {
                    "location": "header",
                    "parameter": "Idempotency-Key",
                    "detail": "key already used for another request",
                }
            ],
        )
    return StoredResponse(
        existing["status_code"], existing["response_body"], replayed=True
    )


def run(
    tx: Tx,
    actor: Actor,
    key: str | None,
    operation: str,
    body: BaseModel,
    now: datetime,
    ttl: timedelta,
    create: Callable[[Tx], tuple[BaseModel, uuid.UUID]],
    *,
    status_code: int = 201,
) -> StoredResponse:
    """Run `create` once per key; a repeated key returns the stored response instead."""
    if key is None:
        model, _ = create(tx)
        return StoredResponse(status_code, model.model_dump_json(), replayed=False)

    fingerprint = request_hash(operation, body)
    claim = CLAIM[tx.connection.dialect.name]
    params = {
        "claim_agent_id": actor.id,
        "claim_key": key,
        "claim_operation": operation,
        "claim_request_hash": fingerprint,
        "claim_now": now,
        "claim_expires_at": now + ttl,
    }
    if tx.one(claim, **params) is None:
        replay = _stored_response(tx, actor, key, fingerprint, now)
        if replay is not None:
            return replay
        # The key expired, or a concurrent sweep removed it: claim it afresh.
        tx.execute(DELETE_IF_EXPIRED, agent_id=actor.id, key=key, now=now)
        if tx.one(claim, **params) is None:
            # On PostgreSQL another request may have claimed the expired key and
            # committed while this one waited on the DELETE; its response counts.
            replay = _stored_response(tx, actor, key, fingerprint, now)
            if replay is not None:
                return replay
            raise Conflict(
                "Another request with this Idempotency-Key is running; retry shortly.",
                headers={"Retry-After": "1"},
            )

    model, resource_id = create(tx)
    stored = model.model_dump_json()
    tx.execute(
        COMPLETE,
        agent_id=actor.id,
        key=key,
        new_status_code=status_code,
        new_response_body=stored,
        new_resource_id=resource_id,
    )
    return StoredResponse(status_code, stored, replayed=False)


def delete_expired(tx: Tx, now: datetime) -> int:
    return tx.execute(DELETE_EXPIRED, now=now)


def scrub(
    tx: Tx,
    resource_ids: list[uuid.UUID],
    redact: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Rewrite stored responses about these resources with `redact`, for erasure of personal data."""
    if not resource_ids:
        return 0
    rows = tx.query(
        sa.select(record_table).where(record_table.c.resource_id.in_(resource_ids))
    )
    for row in rows:
        body = redact(json.loads(row["response_body"])) if row["response_body"] else {}
        tx.apply(
            sa.update(record_table)
            .where(
                record_table.c.agent_id == row["agent_id"],
                record_table.c.key == row["key"],
            )
            .values(response_body=json.dumps(body))
        )
    return len(rows)
