"""Agents, bearer tokens and authentication."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.db import Row, Tx
from app.domain.agents.models import Agent, ApiToken
from app.domain.agents.schemas import (
    AgentCreate,
    AgentDeactivate,
    AgentRead,
    AgentUpdate,
    TokenRead,
)
from app.domain.errors import Conflict, NotFound, Unauthenticated
from app.domain.ids import new_id
from app.domain.permissions import Actor
from app.domain.service_requests import assignment
from app.domain.vocabulary import Tier

agent_table = Agent.__table__  # type: ignore[attr-defined]
token_table = ApiToken.__table__  # type: ignore[attr-defined]

TOKEN_PREFIX = "cdk_"

SELECT_ACTOR = (
    sa.select(
        agent_table.c.id,
        agent_table.c.name,
        agent_table.c.tier,
        agent_table.c.tier1_kind,
        agent_table.c.default_queue,
        agent_table.c.time_zone,
        agent_table.c.active,
        token_table.c.id.label("token_id"),
        token_table.c.expires_at,
        token_table.c.revoked_at,
    )
    .select_from(
        token_table.join(agent_table, token_table.c.agent_id == agent_table.c.id)
    )
    .where(token_table.c.token_hash == sa.bindparam("token_hash"))
)
SELECT_AGENT = sa.select(agent_table).where(agent_table.c.id == sa.bindparam("id"))
INSERT_AGENT = sa.insert(agent_table)
INSERT_TOKEN = sa.insert(token_table)
SELECT_TOKEN = sa.select(token_table).where(token_table.c.id == sa.bindparam("id"))
REVOKE_TOKEN = (
    sa.update(token_table)
    .where(token_table.c.id == sa.bindparam("id"), token_table.c.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("now"))
)
REVOKE_AGENT_TOKENS = (
    sa.update(token_table)
    .where(
        token_table.c.agent_id == sa.bindparam("agent_id"),
        token_table.c.revoked_at.is_(None),
    )
    .values(revoked_at=sa.bindparam("now"))
)
SELECT_AGENT_TOKENS = (
    sa.select(token_table)
    .where(token_table.c.agent_id == sa.bindparam("agent_id"))
    .order_by(token_table.c.created_at, token_table.c.id)
)
DEACTIVATE_AGENT = (
    sa.update(agent_table)
    .where(agent_table.c.id == sa.bindparam("id"))
    .values(active=False, deactivated_at=sa.bindparam("now"))
)


def hash_token(token: str) -> str:
    """Hash a bearer token for storage and lookup. Tokens are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def authenticate(tx: Tx, token: str, now: datetime) -> Actor:
    """Return the agent behind a bearer token, or raise 401."""
    return actor_from_token_row(find_token(tx, hash_token(token)), now)


def find_token(tx: Tx, token_hash: str) -> Row | None:
    """Load a token with its agent: the row `actor_from_token_row` checks."""
    return tx.one(SELECT_ACTOR, token_hash=token_hash)


def actor_from_token_row(row: Row | None, now: datetime) -> Actor:
    """Return the agent of a token row from `find_token`, or raise 401."""
    if row is None:
        raise Unauthenticated(
            "The bearer token is not valid. Ask a supervisor for a new one."
        )
    if row["revoked_at"] is not None:
        raise Unauthenticated(
            "The bearer token was revoked. Ask a supervisor for a new one."
        )
    if row["expires_at"] <= now:
        raise Unauthenticated(
            "The bearer token has expired. Ask a supervisor for a new one."
        )
    if not row["active"]:
        raise Unauthenticated("The agent behind this token is deactivated.")
    return Actor(
        id=row["id"],
        name=row["name"],
        tier=row["tier"],
        tier1_kind=row["tier1_kind"],
        default_queue=row["default_queue"],
        time_zone=row["time_zone"],
        token_id=row["token_id"],
    )


def get_agent(tx: Tx, agent_id: uuid.UUID) -> AgentRead:
    row = tx.one(SELECT_AGENT, id=agent_id)
    if row is None:
        raise NotFound(f"No agent with id {agent_id}.")
    return AgentRead.model_validate(row)


def create_agent(tx: Tx, data: AgentCreate, now: datetime) -> AgentRead:
    agent = Agent(**data.model_dump(), id=new_id(), created_at=now)
    tx.execute(INSERT_AGENT, **agent.model_dump())
    return AgentRead.model_validate(agent.model_dump())


def update_agent(tx: Tx, agent_id: uuid.UUID, data: AgentUpdate) -> AgentRead:
    get_agent(tx, agent_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes:
        tx.apply(
            sa.update(agent_table).where(agent_table.c.id == agent_id).values(**changes)
        )
    return get_agent(tx, agent_id)


def list_agents(
    tx: Tx,
    *,
    tier: Tier | None,
    active: bool | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[AgentRead]:
    query = sa.select(agent_table).order_by(agent_table.c.id).limit(limit)
    if tier is not None:
        query = query.where(agent_table.c.tier == tier)
    if active is not None:
        query = query.where(agent_table.c.active == active)
    if after is not None:
        query = query.where(agent_table.c.id > after)
    return [AgentRead.model_validate(row) for row in tx.query(query)]


def issue_token(
    tx: Tx, agent_id: uuid.UUID, *, label: str, ttl: timedelta, now: datetime
) -> tuple[str, TokenRead]:
    """Create a token for an active agent; the secret is returned here and never again."""
    agent = get_agent(tx, agent_id)
    if not agent.active:
        raise Conflict(f"Agent {agent_id} is deactivated; it cannot receive tokens.")
    token = new_token()
    record = {
        "id": new_id(),
        "agent_id": agent_id,
        "token_hash": hash_token(token),
        "label": label,
        "created_at": now,
        "expires_at": now + ttl,
        "revoked_at": None,
    }
    tx.execute(INSERT_TOKEN, **record)
    return token, TokenRead.model_validate(record)


def list_tokens(tx: Tx, agent_id: uuid.UUID) -> list[TokenRead]:
    get_agent(tx, agent_id)
    return [
        TokenRead.model_validate(row)
        for row in tx.all(SELECT_AGENT_TOKENS, agent_id=agent_id)
    ]


def revoke_token(tx: Tx, actor: Actor, token_id: uuid.UUID, now: datetime) -> TokenRead:
    """Revoke a token. Supervisors revoke any token; other agents only their own."""
    row = tx.one(SELECT_TOKEN, id=token_id)
    if row is None or (
        actor.tier is not Tier.supervisor and row["agent_id"] != actor.id
    ):
        raise NotFound(f"No token with id {token_id}.")
    tx.execute(REVOKE_TOKEN, id=token_id, now=now)
    return TokenRead.model_validate(tx.one(SELECT_TOKEN, id=token_id))


def deactivate_agent(
    tx: Tx, actor: Actor, agent_id: uuid.UUID, data: AgentDeactivate, now: datetime
) -> AgentRead:
    """Deactivate an agent, hand its open SRs to a successor and revoke its tokens."""
    row = tx.one(SELECT_AGENT, id=agent_id)
    if row is None:
        raise NotFound(f"No agent with id {agent_id}.")
    if not row["active"]:
        return AgentRead.model_validate(row)
    if agent_id == actor.id:
        raise Conflict("Agents cannot deactivate themselves; ask another supervisor.")

    assignment.reassign_all(tx, actor, row, data.reassign_to, now)
    tx.execute(DEACTIVATE_AGENT, id=agent_id, now=now)
    tx.execute(REVOKE_AGENT_TOKENS, agent_id=agent_id, now=now)
    return get_agent(tx, agent_id)
