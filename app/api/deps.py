"""The one dependency each route declares: who calls, may their tier do this, and on what.

A rejected request is answered in a fixed order: 401 (no or bad token), 403
(the tier may never do this), 404 (the object does not exist or is not
visible), then 422 for the body, which FastAPI validates after dependencies.

Each route declares a single dependency on purpose. FastAPI walks every
dependency node on every request, and in our measurements each node cost more
than the database read behind it.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Path, Request

from app.api.ratelimit import RateLimiter
from app.db import Database, Row, Tx
from app.domain import permissions
from app.domain.agents.service import actor_from_token_row, find_token, hash_token
from app.domain.errors import NotFound, Unauthenticated
from app.domain.permissions import Actor, Operation
from app.domain.policy import Policy
from app.domain.profiles import service as profiles
from app.domain.service_requests import service as service_requests
from app.settings import Settings

BEARER_SCHEME = "bearerAuth"

SR_REFERENCE_DESCRIPTION = "The SR's id (a UUID) or its number, such as SR-00000042."


class TokenCache:
    """Token rows of recent requests, so that a busy token skips the lookup for a while.

    Every hit still runs the full check (revoked, expired against the request's
    time, agent active), the rate limit and the permission check; only the row
    may be up to `auth_cache_ttl` old. The API's agent and token writes clear
    the cache of their process, so the staleness bound applies to other server
    processes and to changes made with the CLI.
    """

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._rows: dict[str, tuple[float, Row]] = {}

    def get(self, token_hash: str, ttl_seconds: float) -> Row | None:
        entry = self._rows.get(token_hash)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= ttl_seconds:
            del self._rows[token_hash]
            return None
        return entry[1]

    def put(self, token_hash: str, row: Row) -> None:
        if len(self._rows) >= self.MAX_ENTRIES:
            self._rows.clear()
        self._rows[token_hash] = (time.monotonic(), row)

    def clear(self) -> None:
        self._rows.clear()


@dataclass(frozen=True)
class AppContext:
    """What a request needs from the application."""

    db: Database
    policy: Policy
    settings: Settings
    clock: Callable[[], datetime]
    rate_limiter: RateLimiter
    search_limiter: RateLimiter
    tokens: TokenCache = field(default_factory=TokenCache)

    def now(self) -> datetime:
        return self.clock()


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated agent and the application context."""

    actor: Actor
    ctx: AppContext


@dataclass(frozen=True, slots=True)
class ServiceRequestCaller(Caller):
    """A caller together with the SR in the path, which the caller may read."""

    sr: Row


def context(request: Request) -> AppContext:
    return request.app.state.context  # type: ignore[no-any-return]


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "Send the agent's token as 'Authorization: Bearer <token>'. "
            "A supervisor creates tokens with 'casedesk agents create' or POST /agents/{id}/tokens."
        )
    return token.strip()


def _cached_actor(token_hash: str, ctx: AppContext) -> Actor | None:
    """Return the actor of a token checked within `auth_cache_ttl`, or None to look it up."""
    ttl = ctx.settings.auth_cache_ttl.total_seconds()
    if ttl <= 0:
        return None
    row = ctx.tokens.get(token_hash, ttl)
    return None if row is None else actor_from_token_row(row, ctx.now())


def _authenticate(tx: Tx, token_hash: str, ctx: AppContext) -> Actor:
    row = find_token(tx, token_hash)
    actor = actor_from_token_row(row, ctx.now())
    if row is not None and ctx.settings.auth_cache_ttl.total_seconds() > 0:
        ctx.tokens.put(token_hash, row)
    return actor


def _authorize(actor: Actor, ctx: AppContext, operation: Operation | None) -> None:
    """Apply the token's rate limit (429), then check the tier (403)."""
    ctx.rate_limiter.check(f"token:{actor.token_id}")
    if operation is not None:
        permissions.grant_for(actor, operation)


def _identify(
    tx: Tx, token_hash: str, ctx: AppContext, operation: Operation | None
) -> Actor:
    """Authenticate (401), apply the token's rate limit (429), check the tier (403)."""
    actor = _authenticate(tx, token_hash, ctx)
    _authorize(actor, ctx, operation)
    return actor


async def _identify_then_load(
    ctx: AppContext,
    token_hash: str,
    operation: Operation | None,
    load: Callable[..., Row],
    *args: Any,
) -> tuple[Actor, Row]:
    """Authenticate and authorize, then run `load(tx, actor, *args)` in the same read."""
    cached = _cached_actor(token_hash, ctx)
    if cached is not None:
        _authorize(cached, ctx, operation)
        return cached, await ctx.db.read(load, cached, *args)

    def identify_and_load(tx: Tx) -> tuple[Actor, Row]:
        actor = _identify(tx, token_hash, ctx, operation)
        return actor, load(tx, actor, *args)

    return await ctx.db.read(identify_and_load)


def _load_service_request(tx: Tx, actor: Actor, sr_ref: str) -> Row:
    return service_requests.load_visible(tx, actor, parse_sr_reference(sr_ref))


def _requires_token(
    dependency: Callable[..., Awaitable[Caller]], operation: Operation | None
) -> None:
    # The OpenAPI generator marks routes whose dependency carries this flag, and the
    # permission tests find the operation each route checks.
    dependency.requires_token = True  # type: ignore[attr-defined]
    dependency.operation = operation  # type: ignore[attr-defined]


def caller(
    operation: Operation | None = None,
) -> Callable[[Request], Awaitable[Caller]]:
    """Authenticate, then reject with 403 if the caller's tier may never perform `operation`."""

    async def dependency(request: Request) -> Caller:
        ctx = context(request)
        token_hash = hash_token(_bearer_token(request))
        actor = _cached_actor(token_hash, ctx)
        if actor is None:
            actor = await ctx.db.read(_identify, token_hash, ctx, operation)
        else:
            _authorize(actor, ctx, operation)
        request.state.agent_id = str(actor.id)
        return Caller(actor, ctx)

    _requires_token(dependency, operation)
    return dependency


def parse_sr_reference(value: str) -> uuid.UUID | str:
    """Read an SR id or number; anything else names no SR, so it is a 404."""
    if value[:3].upper() == "SR-" and value[3:].isdigit() and 8 <= len(value) - 3 <= 12:
        return value.upper()
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(
            "No service request has this reference: expect a UUID or an SR number such as "
            "SR-00000042."
        ) from None


def service_request_caller(
    operation: Operation | None = None,
) -> Callable[..., Awaitable[ServiceRequestCaller]]:
    """Authenticate, check the tier, then load the SR in the path if the caller may read it.

    All three run in one read transaction, so a request pays for one round trip.
    """

    async def dependency(
        request: Request,
        sr_ref: Annotated[
            str, Path(description=SR_REFERENCE_DESCRIPTION, max_length=64)
        ],
    ) -> ServiceRequestCaller:
        ctx = context(request)
        token_hash = hash_token(_bearer_token(request))
        actor, row = await _identify_then_load(
            ctx, token_hash, operation, _load_service_request, sr_ref
        )
        request.state.agent_id = str(actor.id)
        request.state.sr_number = row["number"]
        return ServiceRequestCaller(actor, ctx, row)

    _requires_token(dependency, operation)
    return dependency


@dataclass(frozen=True, slots=True)
class ProfileCaller(Caller):
    """A caller together with the profile in the path, which the caller may access."""

    profile: Row


def profile_caller(
    operation: Operation,
) -> Callable[..., Awaitable[ProfileCaller]]:
    """Authenticate, check the tier, then load the profile in the path if the caller may access it.

    Loading the profile here returns 404 before FastAPI validates the body (422).
    """

    async def dependency(request: Request, profile_id: uuid.UUID) -> ProfileCaller:
        ctx = context(request)
        token_hash = hash_token(_bearer_token(request))
        actor, row = await _identify_then_load(
            ctx,
            token_hash,
            operation,
            profiles.load_visible_profile,
            profile_id,
            operation,
        )
        request.state.agent_id = str(actor.id)
        return ProfileCaller(actor, ctx, row)

    _requires_token(dependency, operation)
    return dependency


IfMatch = Annotated[
    str | None,
    Header(
        max_length=64,
        description='The ETag of the last read, such as "3". Required; checked after the body.',
    ),
]
"""Read raw and parsed in the endpoint, because the body is validated after dependencies."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a create safe to retry: the same key and body return the first response.",
    ),
]
