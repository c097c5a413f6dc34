"""Times and dates at the edge of what UTC and a date can hold get 422, not 500."""

import httpx
import pytest

from tests.factories import Desk, create_social_sr

LATE = "9999-12-31T23:59:59-23:59"
"""A valid time with its offset that falls in year 10000 in UTC."""


@pytest.mark.parametrize("name", ["created_from", "created_to", "updated_from"])
async def test_queue_filter_beyond_utc(
    client: httpx.AsyncClient, desk: Desk, name: str
) -> None:
    response = await client.get(
        "/queues/escalated", params={name: LATE}, headers=desk.tier2.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["parameter"] == name


async def test_dashboard_window_beyond_utc(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/dashboard", params={"created_to": LATE}, headers=desk.tier2.headers
    )

    assert response.status_code == 422, response.text


async def test_follow_up_due_beyond_utc(client: httpx.AsyncClient, desk: Desk) -> None:
    sr = await create_social_sr(client, desk.social)

    response = await client.post(
        f"/service-requests/{sr['number']}/follow-ups",
        json={"due_at": LATE, "channel": "email", "note": "Call back."},
        headers=desk.social.headers,
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/due_at"
    history = await client.get(
        f"/service-requests/{sr['number']}/history", headers=desk.social.headers
    )
    assert [item["event"] for item in history.json()["items"]] == [
        "created",
        "escalate",
    ]


async def test_triage_report_to_the_last_date(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/triage/report",
        params={"from": "9999-12-31", "to": "9999-12-31"},
        headers=desk.supervisor.headers,
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"location": "query", "parameter": "to", "detail": "to is too late"}
    ]
