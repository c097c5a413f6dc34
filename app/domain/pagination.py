"""Opaque cursors for keyset pagination."""

import base64
import binascii
import json
from typing import Any

from app.domain.errors import InvalidInput


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
        raise InvalidInput(
            "The cursor is not valid: pass next_cursor from the previous page unchanged, "
            "with the same filters and sort.",
            errors=[
                {"location": "query", "parameter": "cursor", "detail": "invalid cursor"}
            ],
        )
    return values


def invalid_parameter(name: str, message: str) -> InvalidInput:
    """Build a 422 for one query parameter."""
    return InvalidInput(
        message,
        errors=[{"location": "query", "parameter": name, "detail": message}],
    )
