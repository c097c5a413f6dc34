"""Responses for creates, which may be replays of a stored first response."""

import json

from fastapi import Response

from app.domain.concurrency import etag
from app.domain.idempotency.service import StoredResponse


def created_response(stored: StoredResponse, *, location_prefix: str) -> Response:
    """Send a create's response body as stored, with its Location and ETag."""
    headers = {}
    body = json.loads(stored.body) if stored.body else {}
    if "id" in body:
        headers["Location"] = f"{location_prefix}{body['id']}"
    if "version" in body:
        headers["ETag"] = etag(int(body["version"]))
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        media_type="application/json",
        headers=headers,
    )
