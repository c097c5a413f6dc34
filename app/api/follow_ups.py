"""Follow-ups with customers: schedule, complete, cancel, and the calling agent's due list."""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import Caller, ServiceRequestCaller, caller, service_request_caller
from app.api.responses import errors
from app.api.routing import ProblemRoute
from app.domain.follow_ups import service
from app.domain.follow_ups.schemas import (
    FollowUpCancel,
    FollowUpComplete,
    FollowUpCreate,
    FollowUpPage,
    FollowUpRead,
)
from app.domain.permissions import Operation

router = APIRouter(tags=["follow-ups"], route_class=ProblemRoute)

Scheduler = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.follow_up_create))
]
Updater = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.follow_up_update))
]
Reader = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_read))
]
QueueReader = Annotated[Caller, Depends(caller(Operation.queue_read))]
FollowUpID = Annotated[uuid.UUID, "the follow-up's id"]


@router.get("/follow-ups/due", responses=errors(403))
async def list_due_follow_ups(
    call: QueueReader,
    within: Annotated[
        timedelta,
        Query(
            description="Also list follow-ups due this long from now, in seconds or "
            "ISO 8601 such as PT2H; at most 30 days."
        ),
    ] = timedelta(0),
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FollowUpPage:
    """List the caller's scheduled follow-ups that are due, earliest first, in their time zone."""
    ctx = call.ctx
    return await ctx.db.read(
        service.list_due, call.actor, within, cursor, limit, ctx.now()
    )


@router.get("/service-requests/{sr_ref}/follow-ups", responses=errors(404))
async def list_follow_ups(call: Reader) -> list[FollowUpRead]:
    """List every follow-up of the SR, earliest due first."""
    return await call.ctx.db.read(
        service.list_for_service_request, call.sr, call.ctx.now()
    )


@router.post(
    "/service-requests/{sr_ref}/follow-ups",
    status_code=201,
    responses=errors(403, 404, 409, body=True),
)
async def schedule_follow_up(data: FollowUpCreate, call: Scheduler) -> FollowUpRead:
    """Schedule a follow-up with the SR's customer. Recorded in the SR's history."""
    return await call.ctx.db.write(
        service.schedule, call.actor, call.sr, data, call.ctx.now()
    )


@router.post(
    "/service-requests/{sr_ref}/follow-ups/{follow_up_id}/complete",
    responses=errors(403, 404, 409, body=True),
)
async def complete_follow_up(
    follow_up_id: FollowUpID, data: FollowUpComplete, call: Updater
) -> FollowUpRead:
    """Mark a scheduled follow-up done. Recorded in the SR's history."""
    return await call.ctx.db.write(
        service.complete, call.actor, call.sr, follow_up_id, data, call.ctx.now()
    )


@router.post(
    "/service-requests/{sr_ref}/follow-ups/{follow_up_id}/cancel",
    responses=errors(403, 404, 409, body=True),
)
async def cancel_follow_up(
    follow_up_id: FollowUpID, data: FollowUpCancel, call: Updater
) -> FollowUpRead:
    """Cancel a scheduled follow-up with a reason. Recorded in the SR's history."""
    return await call.ctx.db.write(
        service.cancel, call.actor, call.sr, follow_up_id, data, call.ctx.now()
    )
