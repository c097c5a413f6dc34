"""Error responses for the OpenAPI spec, declared per route."""

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from app.api.problems import Problem

DESCRIPTIONS = {
    401: "No token, or the token is unknown, expired or revoked.",
    403: "The caller's tier may not do this, or not on this object.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state.",
    412: "If-Match does not match the current ETag.",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    422: "The input is invalid; `errors` lists each value with its JSON path.",
    428: "If-Match is missing.",
    429: "Too many requests; see Retry-After.",
    500: "The service failed; nothing was saved.",
}

ALWAYS = (401, 422, 429, 500)


def errors(*statuses: int, body: bool = False) -> dict[int | str, dict[str, Any]]:
    """Declare problem-details responses: the given statuses plus those every route may return."""
    codes = set(statuses) | set(ALWAYS)
    if body:
        codes |= {413, 415}
    return {
        code: {"model": Problem, "description": DESCRIPTIONS[code]}
        for code in sorted(codes)
    }


def json_response(
    model: BaseModel, *, headers: dict[str, str] | None = None
) -> Response:
    """Send a response model built by our own code as JSON.

    FastAPI checks a returned model against the route's `response_model` before
    serialising it; a `Response` skips that second pass. Declare the model with
    `response_model=` so that the OpenAPI spec still describes the body.
    """
    return Response(
        content=model.__pydantic_serializer__.to_json(model),
        media_type="application/json",
        headers=headers,
    )
