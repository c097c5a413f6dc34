"""Optimistic concurrency: versions, ETags and `If-Match`."""

from app.domain.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int:
    """Return the version an `If-Match` header names, or raise 428 or 412."""
    if header is None or not header.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag from the last read of this object, "
            'for example If-Match: "3".'
        )
    value = header.strip()
    if value.startswith("W/"):
        raise PreconditionFailed(
            "If-Match needs a strong ETag; send the ETag header value exactly as returned."
        )
    value = value.strip('"')
    if not value.isdigit() or len(value) > 9:
        raise PreconditionFailed(
            'If-Match must be an ETag returned by this service, for example "3".'
        )
    return int(value)


def check_version(current: int, expected: int) -> None:
    if current != expected:
        raise version_conflict("object")


def version_conflict(kind: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"The {kind} changed since it was read (If-Match does not match its ETag). "
        "Read it again and retry with the new ETag."
    )
