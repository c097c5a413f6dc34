"""A cursor edited by the client is refused with 422, whatever JSON its values hold."""

import base64
import json
from typing import Any

import httpx
import pytest

from tests.factories import Desk, create_social_sr

ID = "01a241f9-80e4-77ad-83b9-3dd93119305a"
TIME = "2026-12-04T16:53:20+00:00"
OUT_OF_RANGE = [2**63, -(2**63) - 1, 1e300, 1.5, True, None, "1", {"a": 1}]
NOT_A_UUID = [12, None, {"a": 1}, ["x"], "x"]
NOT_A_TIME = [12, None, "2026-12-04T16:53:20", "9999-12-31T23:59:59-23:59"]


def cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def tampered(base: dict[str, Any], key: str, values: list[Any]) -> list[str]:
    return [cursor({**base, key: value}) for value in values]


QUEUE = {"p": 5, "c": TIME, "i": ID, "f": "0000000000000000"}
FOLLOW_UPS = {"d": TIME, "i": ID}

CASES = (
    [("agents", c) for c in tampered({"id": ID}, "id", NOT_A_UUID)]
    + [("history", c) for c in tampered({"after": 1}, "after", OUT_OF_RANGE)]
    + [("notes", c) for c in tampered({"after": ID}, "after", NOT_A_UUID)]
    + [("queue", c) for c in tampered(QUEUE, "p", OUT_OF_RANGE)]
    + [("queue", c) for c in tampered(QUEUE, "i", NOT_A_UUID)]
    + [("queue", c) for c in tampered(QUEUE, "c", NOT_A_TIME)]
    + [("follow_ups", c) for c in tampered(FOLLOW_UPS, "i", NOT_A_UUID)]
    + [("follow_ups", c) for c in tampered(FOLLOW_UPS, "d", NOT_A_TIME)]
)


@pytest.mark.parametrize(("route", "token"), CASES)
async def test_tampered_cursor_is_422(
    client: httpx.AsyncClient, desk: Desk, route: str, token: str
) -> None:
    if route in ("history", "notes"):
        sr = await create_social_sr(client, desk.social)
        url, login = f"/service-requests/{sr['number']}/{route}", desk.supervisor
    else:
        url, login = {
            "agents": ("/agents", desk.supervisor),
            "queue": ("/queues/escalated", desk.tier2),
            "follow_ups": ("/follow-ups/due", desk.social),
        }[route]

    response = await client.get(url, params={"cursor": token}, headers=login.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["parameter"] == "cursor"
