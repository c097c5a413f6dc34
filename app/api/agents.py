"""Agents and their tokens."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import Caller, caller
from app.api.responses import errors
from app.api.routing import ProblemRoute
from app.domain.agents import service
from app.domain.agents.schemas import (
    AgentCreate,
    AgentDeactivate,
    AgentPage,
    AgentRead,
    AgentUpdate,
    TokenCreate,
    TokenIssued,
    TokenRead,
)
from app.domain.pagination import cursor_uuid, cursor_value, encode_cursor
from app.domain.permissions import Operation
from app.domain.vocabulary import Tier

router = APIRouter(tags=["agents"], route_class=ProblemRoute)

Supervisor = Annotated[Caller, Depends(caller(Operation.agent_manage))]
AnyAgent = Annotated[Caller, Depends(caller(Operation.agent_read_self))]
TokenOwner = Annotated[Caller, Depends(caller(Operation.token_revoke_own))]
AgentID = Annotated[uuid.UUID, "the agent's id"]


@router.post("/agents", status_code=201, responses=errors(403, body=True))
async def create_agent(data: AgentCreate, call: Supervisor) -> AgentRead:
    """Create an agent. Give it a token with POST /agents/{agent_id}/tokens."""
    return await call.ctx.db.write(service.create_agent, data, call.ctx.now())


@router.get("/agents", responses=errors(403))
async def list_agents(
    call: Supervisor,
    tier: Tier | None = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AgentPage:
    """List agents, ordered by id."""
    after = cursor_value(cursor, "id", cursor_uuid) if cursor else None
    items = await call.ctx.db.read(
        service.list_agents, tier=tier, active=active, after=after, limit=limit + 1
    )
    next_cursor = (
        encode_cursor({"id": str(items[limit - 1].id)}) if len(items) > limit else None
    )
    return AgentPage(items=items[:limit], next_cursor=next_cursor)


@router.get("/agents/me", responses=errors())
async def read_current_agent(call: AnyAgent) -> AgentRead:
    """Return the agent behind the token."""
    return await call.ctx.db.read(service.get_agent, call.actor.id)


@router.get("/agents/{agent_id}", responses=errors(403, 404))
async def read_agent(agent_id: uuid.UUID, call: Supervisor) -> AgentRead:
    """Return one agent."""
    return await call.ctx.db.read(service.get_agent, agent_id)


@router.patch("/agents/{agent_id}", responses=errors(403, 404, body=True))
async def update_agent(
    agent_id: uuid.UUID, data: AgentUpdate, call: Supervisor
) -> AgentRead:
    """Change an agent's name, default queue or time zone."""
    updated = await call.ctx.db.write(service.update_agent, agent_id, data)
    call.ctx.tokens.clear()
    return updated


@router.post(
    "/agents/{agent_id}/deactivate", responses=errors(403, 404, 409, body=True)
)
async def deactivate_agent(
    agent_id: uuid.UUID,
    data: AgentDeactivate,
    call: Supervisor,
) -> AgentRead:
    """Deactivate an agent, revoke its tokens and hand its SRs to `reassign_to`."""
    deactivated = await call.ctx.db.write(
        service.deactivate_agent, call.actor, agent_id, data, call.ctx.now()
    )
    call.ctx.tokens.clear()
    return deactivated


@router.post(
    "/agents/{agent_id}/tokens",
    status_code=201,
    responses=errors(403, 404, 409, body=True),
)
async def issue_token(
    agent_id: uuid.UUID,
    data: TokenCreate,
    call: Supervisor,
) -> TokenIssued:
    """Create a bearer token for an agent. The token is shown once, in this response."""
    token, record = await call.ctx.db.write(
        service.issue_token,
        agent_id,
        label=data.label or "",
        ttl=data.ttl(call.ctx.policy.token_ttl),
        now=call.ctx.now(),
    )
    return TokenIssued(**record.model_dump(), token=token)


@router.get("/agents/{agent_id}/tokens", responses=errors(403, 404))
async def list_tokens(agent_id: uuid.UUID, call: Supervisor) -> list[TokenRead]:
    """List an agent's tokens, without their secrets."""
    return await call.ctx.db.read(service.list_tokens, agent_id)


@router.post("/tokens/{token_id}/revoke", responses=errors(403, 404))
async def revoke_token(
    token_id: uuid.UUID,
    call: TokenOwner,
) -> TokenRead:
    """Revoke a token. Agents revoke their own tokens, supervisors any token.

    The token is rejected at once by every server process, unless
    `CASEDESK_AUTH_CACHE_TTL` is set: then other processes may accept it for up
    to that long.
    """
    revoked = await call.ctx.db.write(
        service.revoke_token, call.actor, token_id, call.ctx.now()
    )
    call.ctx.tokens.clear()
    return revoked
