"""Health checks, the workflow description and the problem-type catalogue. No authentication."""

from typing import Annotated, Any

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from app.api.problems import catalog
from app.api.routing import ProblemRoute
from app.db import Tx
from app.migrations import VERSION_QUERY
from app.workflows.service_request import LIFECYCLE

log = structlog.get_logger(component="health")

router = APIRouter(route_class=ProblemRoute)


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/health/live", tags=["operations"])
async def live() -> Health:
    """Answer as long as the process serves requests."""
    return Health(status="ok")


def _current_revision(tx: Tx) -> str | None:
    """Return the schema's Alembic revision, or None if the database was never migrated."""
    if not sa.inspect(tx.connection).has_table("alembic_version"):
        return None
    rows = tx.query(VERSION_QUERY)
    return str(rows[0]["version_num"]) if rows else None


def _note_outage(app_state: Any, failure: str | None) -> None:
    """Log when readiness starts failing and when it recovers, not on every probe."""
    previous = getattr(app_state, "ready_failure", None)
    if failure is not None and previous is None:
        log.warning("health.not_ready", reason=failure)
    elif failure is None and previous is not None:
        log.info("health.ready_again", previous_reason=previous)
    app_state.ready_failure = failure


@router.get(
    "/health/ready",
    tags=["operations"],
    responses={
        503: {
            "model": Health,
            "description": "The database is unreachable or not migrated.",
        }
    },
)
async def ready(request: Request) -> Response:
    """Check that the database answers and its schema is at the latest migration."""
    expected = request.app.state.head_revision
    try:
        current = await request.app.state.db.read(_current_revision)
    except Exception as error:
        _note_outage(
            request.app.state, f"database unreachable ({type(error).__name__})"
        )
        body = Health(status="unavailable", checks={"database": "unreachable"})
        return JSONResponse(body.model_dump(), status_code=503)
    if current != expected:
        found = "no migration applied" if current is None else f"at {current}"
        migrations = f"{found}, expected {expected}; run 'casedesk migrate'"
        _note_outage(request.app.state, f"migrations {found}")
        body = Health(
            status="unavailable",
            checks={"database": "ok", "migrations": migrations},
        )
        return JSONResponse(body.model_dump(), status_code=503)
    _note_outage(request.app.state, None)
    return JSONResponse(
        Health(status="ok", checks={"database": "ok", "migrations": "ok"}).model_dump()
    )


@router.get("/workflow", tags=["workflow"])
async def describe_workflow() -> dict[str, Any]:
    """Describe the SR lifecycle: states, events, transitions and the tiers that fire each."""
    return LIFECYCLE.describe()


@router.get(
    "/workflow/diagram",
    tags=["workflow"],
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/vnd.mermaid": {}}, "description": "A Mermaid diagram."}
    },
)
async def workflow_diagram() -> PlainTextResponse:
    """Return the lifecycle as a Mermaid state diagram, drawn from the machine itself."""
    return PlainTextResponse(LIFECYCLE.mermaid(), media_type="text/vnd.mermaid")


@router.get("/problems", tags=["operations"])
async def list_problem_types() -> list[dict[str, Any]]:
    """List every problem type the service returns, with what it means and what to do."""
    return catalog()


@router.get(
    "/problems/{slug}",
    tags=["operations"],
    responses={
        404: {"description": "Unknown type."},
        422: {"description": "The slug is longer than any problem type's."},
    },
)
async def read_problem_type(
    slug: Annotated[str, Path(max_length=64)],
) -> dict[str, Any]:
    """Describe one problem type; each error's `type` points here."""
    for entry in catalog():
        if entry["type"].rsplit("/", 1)[-1] == slug:
            return entry
    from app.domain.errors import NotFound

    raise NotFound(f"No problem type '{slug}'. GET /problems lists them all.")
