"""RFC 9457 problem details for every error the service returns.

One handler per kind of error renders the same body shape:
`type`, `title`, `status`, `detail`, `instance`, and `errors` for invalid input.
No body repeats a submitted value or carries a stack trace or SQL.
"""

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import DomainError, problem_types
from app.domain.schemas import NO_CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS_BUT_LINES

log = structlog.get_logger(component="api")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "/problems/"

HTTP_PROBLEMS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Unauthenticated"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("content-too-large", "Content too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    431: ("header-fields-too-large", "Header fields too large"),
    500: ("internal-error", "Internal error"),
}

LIFECYCLE_FIELDS = {
    "status",
    "held_by",
    "owner_id",
    "assignee_id",
    "customer_type",
    "version",
}
"""Fields an SR edit may not set; the message points to the endpoint that changes each."""

RESERVED_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "request_id"}
)

DISCRIMINATOR_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})

UNION_TAGS = {"social_media", "store", "sales"}
"""Discriminator values pydantic puts into error locations of the SR create body."""


class InvalidParam(BaseModel):
    pointer: str | None = Field(
        default=None, description="JSON pointer into the request body."
    )
    parameter: str | None = Field(
        default=None, description="Name of a query, path or header parameter."
    )
    location: str = Field(description="body, query, path or header.")
    detail: str
    type: str | None = None


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(
        description="A URI reference naming the kind of problem; GET it for its description."
    )
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path that failed.")
    request_id: str | None = None
    errors: list[InvalidParam] | None = None


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    for key, value in (extensions or {}).items():
        if key not in RESERVED_MEMBERS:
            body[key] = value
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _pointer(location: Sequence[Any]) -> str:
    parts = list(location)
    if parts and isinstance(parts[0], str) and parts[0] in UNION_TAGS:
        parts = parts[1:]
    return "/" + "/".join(
        str(part).replace("~", "~0").replace("/", "~1") for part in parts
    )


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    location = error.get("loc", ())
    field = str(location[-1]) if location else "body"
    if kind == "extra_forbidden":
        if field in LIFECYCLE_FIELDS:
            return (
                f"{field} cannot be set here: statuses change through the lifecycle event "
                "endpoints, owners and assignees through take and reassign."
            )
        return f"{field} is not a known field; remove it."
    if kind in ("missing", "union_tag_not_found"):
        return f"{field} is required."
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"{field} must be one of {expected}."
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") in (
        NO_CONTROL_CHARACTERS,
        NO_CONTROL_CHARACTERS_BUT_LINES,
    ):
        return (
            f"{field} contains a control character, a Unicode line separator or a "
            "bidirectional override; remove it"
            + (
                " (line breaks and tabs are allowed)."
                if error["ctx"]["pattern"] == NO_CONTROL_CHARACTERS_BUT_LINES
                else "."
            )
        )
    if kind == "json_invalid":
        return (
            "The body is not valid JSON: "
            + str(error.get("ctx", {}).get("error", "syntax error"))
            + "."
        )
    message = str(error.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return f"{field}: {message}" if location else message


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Turn pydantic errors into entries with a JSON pointer or a parameter name, never the input."""
    entries = []
    for error in errors:
        location = tuple(error.get("loc", ()))
        if error.get("type") in DISCRIMINATOR_ERRORS:
            # pydantic reports these at the union itself and quotes the value sent;
            # point at the discriminator field instead.
            discriminator = str(error.get("ctx", {}).get("discriminator", ""))
            location = (*location, discriminator.strip("'"))
            error = {**error, "loc": location}
        where = str(location[0]) if location else "body"
        entry: dict[str, Any] = {
            "location": where,
            "detail": _message(error),
            "type": error.get("type"),
        }
        if where == "body":
            entry["pointer"] = _pointer(location[1:])
        else:
            entry["parameter"] = ".".join(str(part) for part in location[1:])
        entries.append(entry)
    return entries


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    extensions = dict(error.extensions)
    headers = extensions.pop("headers", None)
    if error.status >= 500:
        log.error("request.failed", problem=error.slug)
    return problem_response(
        request,
        status=error.status,
        slug=error.slug,
        title=error.title,
        detail=error.detail,
        extensions=extensions,
        headers=headers,
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = validation_errors(error.errors())
    invalid_json = getattr(request.state, "invalid_json", None)
    if invalid_json is not None:
        errors = [entry for entry in errors if entry["location"] != "body"]
        errors.insert(
            0,
            {
                "location": "body",
                "pointer": "",
                "detail": f"The body is not valid JSON ({invalid_json}).",
                "type": "json_invalid",
            },
        )
    if getattr(request.state, "unsupported_media_type", False):
        return problem_response(
            request,
            status=415,
            slug="unsupported-media-type",
            title="Unsupported media type",
            detail="Send the body as JSON with Content-Type: application/json.",
        )
    count = len(errors)
    summary = (
        errors[0]["detail"]
        if count == 1
        else f"{count} values are invalid; see errors."
    )
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        title="Invalid input",
        detail=summary,
        extensions={"errors": errors},
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug, title = HTTP_PROBLEMS.get(error.status_code, ("http-error", "HTTP error"))
    detail = {
        404: f"No resource at {request.url.path}. See /docs for the API.",
        405: f"{request.method} is not allowed on {request.url.path}.",
        413: "The request body is too large. Send a smaller body.",
    }.get(
        error.status_code, str(error.detail) if isinstance(error.detail, str) else title
    )
    return problem_response(
        request,
        status=error.status_code,
        slug=slug,
        title=title,
        detail=detail,
        headers=dict(error.headers) if error.headers else None,
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Log the class only: exception messages from drivers can carry SQL and values.
    log.error("request.crashed", error_type=type(error).__name__, exc_info=False)
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="The service failed to handle the request; nothing was saved. "
        "Retry later, and quote the request id if it keeps failing.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def catalog() -> list[dict[str, Any]]:
    """Every problem type the service uses, for GET /problems."""
    entries = [
        {
            "type": TYPE_PREFIX + cls.slug,
            "status": cls.status,
            "title": cls.title,
            "description": cls.description,
        }
        for cls in problem_types()
    ]
    known = {entry["type"] for entry in entries}
    for status, (slug, title) in HTTP_PROBLEMS.items():
        if TYPE_PREFIX + slug not in known:
            entries.append(
                {
                    "type": TYPE_PREFIX + slug,
                    "status": status,
                    "title": title,
                    "description": title + ".",
                }
            )
    entries.append(
        {
            "type": TYPE_PREFIX + "invalid-input",
            "status": 422,
            "title": "Invalid input",
            "description": "One or more values break a rule; `errors` lists each with its JSON path.",
        }
    )
    unique = {entry["type"]: entry for entry in entries}
    return sorted(unique.values(), key=lambda entry: (entry["status"], entry["type"]))
