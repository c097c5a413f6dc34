"""The route class every router uses, so that a broken body is judged after the caller.

FastAPI parses a JSON body before it resolves dependencies, so a syntax error
would be answered with 422 ahead of a missing token (401) or an unknown SR
(404). Here a body that is not JSON becomes a marker value instead: the
dependencies run first, then body validation fails on the marker and the
validation handler reports the syntax error or the wrong media type.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class NotJson:
    """Stands in for a body that failed to parse as JSON."""

    def __repr__(self) -> str:
        return "<body that is not JSON>"


NOT_JSON = NotJson()


class DuplicateKey(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise DuplicateKey
    return result


class _DeferredJsonRequest(Request):
    async def json(self) -> Any:
        try:
            if not hasattr(self, "_json"):
                body = await self.body()
                self._json = json.loads(
                    body, object_pairs_hook=_object_without_duplicates
                )
            return self._json
        except DuplicateKey:
            self.state.invalid_json = "a key appears twice in one object"
            return NOT_JSON
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            self.state.invalid_json = getattr(error, "msg", "not UTF-8")
            return NOT_JSON
        except RecursionError:
            self.state.invalid_json = "arrays or objects nested too deeply"
            return NOT_JSON
        except ValueError:
            # The parser rejects integers with more digits than Python converts by default.
            self.state.invalid_json = "a number has too many digits"
            return NOT_JSON


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class ProblemRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        expects_body = self.body_field is not None

        async def handle(request: Request) -> Response:
            deferred = _DeferredJsonRequest(request.scope, request.receive)
            if expects_body and not _is_json(request.headers.get("content-type")):
                if await deferred.body():
                    deferred.state.unsupported_media_type = True
            return await handler(deferred)

        return handle
