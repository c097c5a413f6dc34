"""Opaque cursors for keyset pagination."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.domain.errors import InvalidInput

T = TypeVar("T")

INT64 = range(-(2**63), 2**63)
"""The integers both databases can compare with a BIGINT column."""


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor` with exactly these keys, or raise 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, dict) or set(values) != set(keys):
        raise _invalid_cursor()
    return values


def cursor_value(cursor: str, key: str, convert: Callable[[Any], T]) -> T:
    """Decode a cursor with one key and convert its value, or raise 422."""
    value = decode_cursor(cursor, (key,))[key]
    try:
        return convert(value)
    except ValueError:
        raise _invalid_cursor() from None


# A cursor comes back from the client, so its values may have any JSON type.
# Each converter raises ValueError for a value the query could not use.


def cursor_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in INT64:
        raise ValueError("not a 64-bit integer")
    return value


def cursor_uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise ValueError("not a UUID")
    return uuid.UUID(value)


def cursor_time(value: Any) -> datetime:
    """A time with a UTC offset that UTC can hold."""
    if not isinstance(value, str):
        raise ValueError("not a time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    return moment


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid: pass next_cursor from the previous page unchanged, "
        "with the same filters and sort.",
        errors=[
            {"location": "query", "parameter": "cursor", "detail": "invalid cursor"}
        ],
    )


def invalid_parameter(name: str, message: str) -> InvalidInput:
    """Build a 422 for one query parameter."""
    return InvalidInput(
        message,
        errors=[{"location": "query", "parameter": name, "detail": message}],
    )
