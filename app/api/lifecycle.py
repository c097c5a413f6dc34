"""One endpoint per lifecycle event: POST /service-requests/{sr_ref}/{event}."""

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Response

from app.api.deps import IfMatch, ServiceRequestCaller, service_request_caller
from app.api.metrics import TRANSITIONS
from app.api.responses import errors, json_response
from app.api.routing import ProblemRoute
from app.domain.concurrency import etag, parse_if_match
from app.domain.errors import ActorForbidden, InvalidTransition
from app.domain.permissions import event_operation
from app.domain.schemas import InputSchema
from app.domain.service_requests.lifecycle import EVENT_REQUESTS, fire_event
from app.domain.service_requests.schemas import ServiceRequestRead

log = structlog.get_logger(component="lifecycle")

router = APIRouter(tags=["lifecycle"], route_class=ProblemRoute)

SUMMARIES = {
    "escalate": "Escalate an Open SR to Tier 2 (Tier 1 owner).",
    "hold": "Put an escalated SR on hold while Tier 2 waits for the customer.",
    "resume": "Take an SR back from hold (Tier 2).",
    "resolve": "Resolve an escalated SR with a resolution (Tier 2).",
    "de_escalate": "Hand a resolved SR back to its Tier 1 owner (Tier 2).",
    "close": "Close a de-escalated SR (Tier 1 owner), or a resolved store or sales SR (Tier 2).",
    "reject_resolution": "Send a de-escalated SR back to Tier 2 with a reason (Tier 1 owner).",
    "reopen": "Reopen a closed SR within the reopen window (Tier 1 owner).",
    "cancel": "Cancel an SR that is not closed (Tier 1 owner or supervisor).",
}


def _add_event_route(event: str, body_model: type[InputSchema]) -> None:
    Access = Annotated[
        ServiceRequestCaller, Depends(service_request_caller(event_operation(event)))
    ]

    async def fire(
        data: body_model,  # type: ignore[valid-type]
        call: Access,
        if_match: IfMatch = None,
    ) -> Response:
        expected = parse_if_match(if_match)
        ctx = call.ctx
        try:
            updated = await ctx.db.write(
                fire_event,
                call.actor,
                call.sr["id"],
                event,
                data,
                expected,
                ctx.policy,
                ctx.now(),
            )
        except (InvalidTransition, ActorForbidden) as rejection:
            # Counted: rejections by the machine (409) or by the SR's permission
            # rule (403). A stale If-Match (412) is not a rejected transition.
            TRANSITIONS.labels(event=event, outcome="rejected").inc()
            log.info(
                "sr.transition_rejected",
                sr_number=call.sr["number"],
                agent_id=str(call.actor.id),
                transition_event=event,
                current_status=rejection.extensions.get(
                    "current_status", str(call.sr["status"])
                ),
                problem=rejection.slug,
            )
            raise
        TRANSITIONS.labels(event=event, outcome="allowed").inc()
        return json_response(updated, headers={"ETag": etag(updated.version)})

    fire.__name__ = event
    fire.__doc__ = SUMMARIES[event] + " Needs If-Match."
    router.add_api_route(
        f"/service-requests/{{sr_ref}}/{event.replace('_', '-')}",
        fire,
        methods=["POST"],
        summary=SUMMARIES[event],
        responses=errors(403, 404, 409, 412, 428, body=True),
        response_model=ServiceRequestRead,
        name=event,
    )


for _event, _body in EVENT_REQUESTS.items():
    _add_event_route(_event, _body)
