"""Triage of contacts and the deflection report."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import Caller, caller
from app.api.responses import errors
from app.api.routing import ProblemRoute
from app.domain.permissions import Operation
from app.domain.schemas import Day
from app.domain.triage import service
from app.domain.triage.schemas import TriageCreate, TriagePlan, TriageReport

router = APIRouter(tags=["triage"], route_class=ProblemRoute)

Triager = Annotated[Caller, Depends(caller(Operation.triage_create))]
Reporter = Annotated[Caller, Depends(caller(Operation.triage_report))]


@router.post("/triage", status_code=201, responses=errors(403, body=True))
async def create_triage(data: TriageCreate, call: Triager) -> TriagePlan:
    """Plan a contact: what each problem gets, and which SRs to create. The triage is recorded without personal data."""
    return await call.ctx.db.write(
        service.create_triage, call.actor, data, call.ctx.now()
    )


@router.get("/triage/report", responses=errors(403))
async def read_triage_report(
    call: Reporter,
    from_date: Annotated[
        Day | None,
        Query(
            alias="from",
            description="First UTC day, such as 2026-12-01. Default: 29 days before `to`.",
        ),
    ] = None,
    to_date: Annotated[
        Day | None,
        Query(alias="to", description="Last UTC day, included. Default: today."),
    ] = None,
) -> TriageReport:
    """Count triaged problems per outcome and category, and triages per channel, over whole UTC days."""
    start, end = service.report_range(from_date, to_date, call.ctx.now().date())
    return await call.ctx.db.read(service.triage_report, call.actor, start, end)
