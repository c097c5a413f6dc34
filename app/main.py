"""The FastAPI application."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app import __version__
from app.api import (
    agents,
    follow_ups,
    lifecycle,
    links,
    meta,
    metrics,
    problems,
    profiles,
    queues,
    service_requests,
    triage,
)
from app.api.deps import BEARER_SCHEME, AppContext
from app.api.middleware import RequestContextMiddleware
from app.api.ratelimit import RateLimiter
from app.db import Database
from app.domain.policy import Policy
from app.logs import configure as configure_logging
from app.migrations import head_revision
from app.settings import Settings, get_settings

log = structlog.get_logger(component="server")

DESCRIPTION = """\
casedesk runs the support-case process of a mobile-device support desk:
triage of customer contacts, customer profiles, and service requests (SRs) that
walk an explicit lifecycle between Tier 1 and Tier 2.

Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem
details (`application/problem+json`); each `type` can be fetched for its meaning.
Edits and lifecycle events need `If-Match` with the ETag of the last read.
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = _utcnow,
    configure_logs: bool = True,
) -> FastAPI:
    """Build the application. Nothing happens at import time; the lifespan owns the database."""
    settings = settings or get_settings()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)
    db = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        busy_timeout_ms=int(settings.sqlite_busy_timeout.total_seconds() * 1000),
    )

    # SQLite runs every unit of work on one shared connection; a PostgreSQL
    # pool opens up to db_pool_size connections plus as many overflow ones.
    max_connections = 1 if db.is_sqlite else 2 * settings.db_pool_size

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics.watch_pool(db.engine, max_connections)
        log.info("server.started", version=__version__, database=db.dialect.name)
        yield
        log.info("server.stopping")
        db.dispose()
        metrics.unwatch_pool(max_connections)
        log.info("server.stopped")

    app = FastAPI(
        title="casedesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.context = AppContext(
        db=db,
        policy=Policy.from_settings(settings),
        settings=settings,
        clock=clock,
        rate_limiter=RateLimiter(
            settings.rate_limit_per_minute, settings.rate_limit_burst
        ),
        search_limiter=RateLimiter(
            settings.search_rate_limit_per_minute,
            max(1, settings.search_rate_limit_per_minute // 3),
        ),
    )
    app.state.db = db
    app.state.head_revision = head_revision()

    problems.install(app)
    # The routes go straight onto the application's router: FastAPI matches an
    # included router's routes through an extra layer that cost more than the
    # database work of a read in our measurements. Order matters: hot routes
    # first, and a fixed path before a path parameter that would capture it.
    for router in (
        service_requests.router,
        lifecycle.router,
        profiles.router,
        triage.router,
        agents.router,
        meta.router,
        queues.router,
        follow_ups.router,
        metrics.router,
    ):
        app.router.routes.extend(router.routes)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Generate the spec once, with every error response declared as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    _declare_bearer_auth(app, schema)
    links.add_links(schema, app.routes)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            # Any operation can fail unexpectedly, and the catch-all handler returns 500 as problem details.
            operation["responses"].setdefault(
                "500", {"description": "The service failed; nothing was saved."}
            )
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400 or int(status) == 503:
                    continue
                response["content"] = {
                    "application/problem+json": {"schema": problem_ref}
                }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def _needs_token(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if getattr(dependant.call, "requires_token", False):
            return True
        pending.extend(dependant.dependencies)
    return False


def _declare_bearer_auth(app: FastAPI, schema: dict[str, Any]) -> None:
    """Declare the bearer scheme, and require it on every route that authenticates."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[
        BEARER_SCHEME
    ] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An agent's token, from `casedesk agents create` or POST /agents/{id}/tokens.",
    }
    for route in app.routes:
        if not isinstance(route, APIRoute) or not _needs_token(route):
            continue
        for method in route.methods:
            operation = schema["paths"][route.path_format].get(method.lower())
            if operation is not None:
                operation["security"] = [{BEARER_SCHEME: []}]
