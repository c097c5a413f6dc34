"""The outermost layer of every request: request id, body size limit, metrics, access log, last-resort 500."""

import re
import time
import traceback
import uuid
from pathlib import Path

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.metrics import observe_request
from app.api.problems import problem_response

log = structlog.get_logger(component="http")

REQUEST_ID_HEADER = b"x-request-id"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Pure ASGI, so that it costs little and sees every response, errors included."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, max_header_bytes: int
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started_at = time.perf_counter()
        request_id = self._request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413)
            return message

        try:
            declared_length, header_bytes = self._measure(scope)
            if header_bytes > self.max_header_bytes:
                response = problem_response(
                    Request(scope, receive),
                    status=431,
                    slug="header-fields-too-large",
                    title="Header fields too large",
                    detail=f"The request headers take more than {self.max_header_bytes} "
                    "bytes: send only the headers the API documents.",
                )
                await response(scope, receive, send_with_id)
                return
            if declared_length > self.max_body_bytes:
                request = Request(scope, receive)
                response = problem_response(
                    request,
                    status=413,
                    slug="content-too-large",
                    title="Content too large",
                    detail=f"The request body is larger than {self.max_body_bytes} bytes.",
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, receive_limited, send_with_id)
        except Exception as error:
            # Log the class and where it was raised, never the message: driver
            # messages can carry SQL and values.
            log.error(
                "request.crashed",
                error_type=type(error).__name__,
                error_frames=_frames(error),
            )
            if not response_started:
                response = problem_response(
                    Request(scope, receive),
                    status=500,
                    slug="internal-error",
                    title="Internal error",
                    detail="The service failed to handle the request; nothing was saved. "
                    "Retry later, and quote the request id if it keeps failing.",
                )
                await response(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started_at
            route = getattr(scope.get("route"), "path", None)
            observe_request(scope["method"], route, status, duration)
            log.info(
                "request.completed",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(duration * 1000, 3),
                agent_id=state.get("agent_id"),
                sr_number=state.get("sr_number"),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER:
                candidate = value.decode("latin-1")
                if VALID_REQUEST_ID.match(candidate):
                    return candidate
                break
        return uuid.uuid4().hex

    @staticmethod
    def _measure(scope: Scope) -> tuple[int, int]:
        """Return the declared body length (0 when absent or unreadable) and the headers' size."""
        declared = 0
        size = 0
        for name, value in scope.get("headers", ()):
            size += len(name) + len(value)
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
        return declared, size


def _frames(error: BaseException, limit: int = 8) -> list[str]:
    """Return the innermost `limit` frames of the traceback as "package/module.py:line in function"."""
    frames = traceback.extract_tb(error.__traceback__)[-limit:]
    return [
        f"{'/'.join(Path(frame.filename).parts[-2:])}:{frame.lineno} in {frame.name}"
        for frame in frames
    ]
