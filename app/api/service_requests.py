"""Service requests: create, read, edit, notes, history and assignment."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.deps import (
    Caller,
    IdempotencyKey,
    IfMatch,
    ServiceRequestCaller,
    caller,
    service_request_caller,
)
from app.api.metrics import TRANSITIONS
from app.api.responses import errors, json_response
from app.api.routing import ProblemRoute
from app.api.stored import created_response
from app.db import Tx
from app.domain.concurrency import etag, parse_if_match
from app.domain.idempotency import service as idempotency
from app.domain.pagination import (
    cursor_int,
    cursor_uuid,
    cursor_value,
    encode_cursor,
)
from app.domain.permissions import Operation
from app.domain.service_requests import assignment, service
from app.domain.service_requests.schemas import (
    HistoryPage,
    NoteCreate,
    NotePage,
    NoteRead,
    ServiceRequestCreate,
    ServiceRequestRead,
    ServiceRequestUpdate,
    TransitionsRead,
)
from app.workflows.service_request import LIFECYCLE

router = APIRouter(tags=["service requests"], route_class=ProblemRoute)

Creator = Annotated[Caller, Depends(caller(Operation.sr_create))]
Reader = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_read))
]
Editor = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_update))
]
HistoryReader = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_history))
]
NoteReader = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.note_read))
]
NoteWriter = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.note_create))
]
Taker = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_take))
]
Reassigner = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_reassign))
]

FIRST_ID = uuid.UUID(int=0)
"""Lower than every id: the start of a list paged by id."""


@router.post(
    "/service-requests",
    status_code=201,
    response_model=ServiceRequestRead,
    responses=errors(403, 409, body=True),
)
async def create_service_request(
    data: ServiceRequestCreate,
    request: Request,
    call: Creator,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create an SR owned by the caller. With `escalate` (the default) it is escalated at once."""
    ctx, actor, now = call.ctx, call.actor, call.ctx.now()
    escalated_on_creation = False

    def create(tx: Tx) -> tuple[ServiceRequestRead, uuid.UUID]:
        nonlocal escalated_on_creation
        created = service.create_service_request(
            tx, actor, data, ctx.policy, now, is_sqlite=ctx.db.is_sqlite
        )
        request.state.sr_number = created.number
        escalated_on_creation = created.status is not LIFECYCLE.initial_state
        return created, created.id

    stored = await ctx.db.write(
        idempotency.run,
        actor,
        idempotency_key,
        "sr.create",
        data,
        now,
        ctx.policy.idempotency_ttl,
        create,
    )
    # Counted after the commit, and not for a replayed Idempotency-Key.
    if escalated_on_creation:
        TRANSITIONS.labels(event="escalate", outcome="allowed").inc()
    return created_response(stored, location_prefix="/service-requests/")


@router.get(
    "/service-requests/{sr_ref}",
    response_model=ServiceRequestRead,
    responses=errors(404),
)
async def read_service_request(call: Reader) -> Response:
    """Return an SR with its version as the ETag and the events the caller may fire."""
    return json_response(
        service.to_read(call.sr, call.actor, call.ctx.policy, call.ctx.now()),
        headers={"ETag": etag(call.sr["version"])},
    )


@router.patch(
    "/service-requests/{sr_ref}", responses=errors(403, 404, 412, 428, body=True)
)
async def update_service_request(
    data: ServiceRequestUpdate,
    call: Editor,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceRequestRead:
    """Edit an SR's editable fields. Needs If-Match."""
    ctx = call.ctx
    updated = await ctx.db.write(
        service.update_service_request,
        call.actor,
        call.sr["id"],
        data,
        if_match,
        ctx.policy,
        ctx.now(),
    )
    response.headers["ETag"] = etag(updated.version)
    return updated


@router.get("/service-requests/{sr_ref}/transitions", responses=errors(404))
async def list_transitions(call: Reader) -> TransitionsRead:
    """List the lifecycle events the caller may fire on this SR now."""
    status = call.sr["status"]
    context = service.transition_context(
        call.actor, call.sr, call.ctx.policy, call.ctx.now()
    )
    return TransitionsRead(
        status=status, allowed_events=LIFECYCLE.allowed_events(status, context)
    )


@router.get("/service-requests/{sr_ref}/history", responses=errors(403, 404))
async def read_history(
    call: HistoryReader,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> HistoryPage:
    """Return the SR's audit trail, oldest first: every create, edit, note and transition."""
    after = cursor_value(cursor, "after", cursor_int) if cursor else 0
    records = await call.ctx.db.read(
        service.list_history, call.actor, call.sr["id"], after=after, limit=limit + 1
    )
    next_cursor = (
        encode_cursor({"after": records[limit - 1].id})
        if len(records) > limit
        else None
    )
    return HistoryPage(items=records[:limit], next_cursor=next_cursor)


@router.get("/service-requests/{sr_ref}/notes", responses=errors(403, 404))
async def list_notes(
    call: NoteReader,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NotePage:
    """Return the SR's case notes, oldest first, a page at a time."""
    after = cursor_value(cursor, "after", cursor_uuid) if cursor else FIRST_ID
    notes = await call.ctx.db.read(
        service.list_notes, call.actor, call.sr["id"], after=after, limit=limit + 1
    )
    next_cursor = (
        encode_cursor({"after": str(notes[limit - 1].id)})
        if len(notes) > limit
        else None
    )
    return NotePage(items=notes[:limit], next_cursor=next_cursor)


@router.post(
    "/service-requests/{sr_ref}/notes",
    status_code=201,
    responses=errors(403, 404, body=True),
)
async def add_note(data: NoteCreate, call: NoteWriter) -> NoteRead:
    """Append a case note. Notes are never edited or deleted and need no If-Match."""
    return await call.ctx.db.write(
        service.add_note, call.actor, call.sr["id"], data, call.ctx.now()
    )


@router.post(
    "/service-requests/{sr_ref}/take", responses=errors(403, 404, 409, 412, 428)
)
async def take_service_request(
    call: Taker, response: Response, if_match: IfMatch = None
) -> ServiceRequestRead:
    """Become the Tier 2 assignee of an SR waiting on Tier 2. Needs If-Match."""
    expected = parse_if_match(if_match)
    ctx = call.ctx
    taken = await ctx.db.write(
        assignment.take, call.actor, call.sr["id"], expected, ctx.policy, ctx.now()
    )
    response.headers["ETag"] = etag(taken.version)
    return taken


@router.post(
    "/service-requests/{sr_ref}/reassign",
    responses=errors(403, 404, 409, 412, 428, body=True),
)
async def reassign_service_request(
    data: assignment.Reassignment,
    call: Reassigner,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceRequestRead:
    """Give the SR another Tier 1 owner or Tier 2 assignee. Needs If-Match."""
    expected = parse_if_match(if_match)
    ctx = call.ctx
    updated = await ctx.db.write(
        assignment.reassign,
        call.actor,
        call.sr["id"],
        data,
        expected,
        ctx.policy,
        ctx.now(),
    )
    response.headers["ETag"] = etag(updated.version)
    return updated
