"""OpenAPI links: how the id and ETag of one response feed the next request.

Clients and generated front ends read them to chain calls, and Schemathesis
follows them to test workflows such as create, read, edit and fire events.
"""

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.domain.service_requests.lifecycle import EVENT_REQUESTS

SR_READS = ("read_service_request", "list_transitions", "read_history", "list_notes")
SR_WRITES = (
    "update_service_request",
    "take_service_request",
    "reassign_service_request",
    *EVENT_REQUESTS,
)
"""Operations on one SR that need If-Match with its current ETag."""

SR_RESPONSES = {"create_service_request": "201", **dict.fromkeys(SR_WRITES, "200")}
"""Operations whose response is an SR, by the status that carries it."""

LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("create_profile", "201"): {
        "read_profile": {"profile_id": "$response.body#/id"},
        "update_profile": {
            "profile_id": "$response.body#/id",
            "header.if-match": "$response.header.ETag",
        },
        "erase_profile": {"profile_id": "$response.body#/id"},
    },
    ("create_agent", "201"): {
        target: {"agent_id": "$response.body#/id"}
        for target in (
            "read_agent",
            "update_agent",
            "issue_token",
            "list_tokens",
            "deactivate_agent",
        )
    },
    ("issue_token", "201"): {"revoke_token": {"token_id": "$response.body#/id"}},
    **{
        (source, status): {
            **{target: {"sr_ref": "$response.body#/id"} for target in SR_READS},
            **{
                target: {
                    "sr_ref": "$response.body#/id",
                    "header.if-match": "$response.header.ETag",
                }
                for target in SR_WRITES
            },
            "add_note": {"sr_ref": "$response.body#/id"},
        }
        for source, status in SR_RESPONSES.items()
    },
}


def add_links(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Attach LINKS to the responses of the spec; LINKS names operations by route name."""
    operation_ids = {
        route.name: route.unique_id for route in routes if isinstance(route, APIRoute)
    }
    operations = {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
    }
    for (source, status), targets in LINKS.items():
        response = operations[operation_ids[source]]["responses"][status]
        response["links"] = {
            target: {"operationId": operation_ids[target], "parameters": parameters}
            for target, parameters in targets.items()
        }
