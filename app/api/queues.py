"""Agents' working views: queue pages, the dashboard and an SR's clocks."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import Caller, ServiceRequestCaller, caller, service_request_caller
from app.api.responses import errors
from app.api.routing import ProblemRoute
from app.domain.permissions import Operation
from app.domain.queues import clocks, dashboard, service
from app.domain.queues.clocks import ServiceRequestClocks
from app.domain.queues.dashboard import Dashboard
from app.domain.queues.schemas import QueuePage, QueueQuery, QueueView
from app.domain.schemas import AwareTime

router = APIRouter(tags=["queues"], route_class=ProblemRoute)

QueueReader = Annotated[Caller, Depends(caller(Operation.queue_read))]
DashboardReader = Annotated[Caller, Depends(caller(Operation.dashboard_read))]
HistoryReader = Annotated[
    ServiceRequestCaller, Depends(service_request_caller(Operation.sr_history))
]


@router.get("/queues/{view}", responses=errors(403))
async def read_queue(
    view: QueueView, query: Annotated[QueueQuery, Query()], call: QueueReader
) -> QueuePage:
    """List one page of a queue view, with what an agent needs to pick the next SR.

    Tier 1 agents read `waiting_on_tier2` and `de_escalated` for the SRs they own.
    Tier 2 reads `escalated`, `on_hold` and `resolved`. Supervisors read every view,
    naming the agent of a Tier 1 view with `agent_id`.
    """
    ctx = call.ctx
    return await ctx.db.read(
        service.list_queue,
        call.actor,
        view,
        query,
        ctx.settings.page_size_default,
        ctx.now(),
    )


@router.get("/dashboard", responses=errors(403))
async def read_dashboard(
    call: DashboardReader,
    created_from: Annotated[
        AwareTime | None,
        Query(
            description="Start of the clocks' creation window; 30 days before its end by default."
        ),
    ] = None,
    created_to: Annotated[
        AwareTime | None,
        Query(
            description="End of the clocks' creation window (exclusive); now by default."
        ),
    ] = None,
) -> Dashboard:
    """Count open SRs per queue and status, and summarise per-tier clocks."""
    return await call.ctx.db.read(
        dashboard.dashboard, created_from, created_to, call.ctx.now()
    )


@router.get("/service-requests/{sr_ref}/clocks", responses=errors(403, 404))
async def read_clocks(call: HistoryReader) -> ServiceRequestClocks:
    """Return the time the SR spent with each tier, and waiting on the customer apart."""
    return await call.ctx.db.read(
        clocks.service_request_clocks, call.sr["id"], call.ctx.now()
    )
