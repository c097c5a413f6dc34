"""Far-off dates and times get a 422 naming the field, never an overflow inside the service."""

import httpx
import pytest

from app.db import Database
from tests.factories import Desk, create_social_sr
from tests.security.conftest import row_counts

FAR_OFF_TIMES = [
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
]


def _assert_out_of_range(response: httpx.Response, where: str) -> None:
    """422 naming only `where`: a body pointer such as /due_at, or a query parameter."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {error.get("pointer") or error.get("parameter") for error in errors} == {
        where
    }
    assert all("1970-01-01 to 8999-12-31" in error["detail"] for error in errors)


@pytest.mark.parametrize("value", FAR_OFF_TIMES)
async def test_queue_filter_out_of_range(
    value: str, client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/queues/waiting_on_tier2",
        params={"created_from": value},
        headers=desk.social.headers,
    )

    _assert_out_of_range(response, "created_from")


@pytest.mark.parametrize("value", FAR_OFF_TIMES)
async def test_dashboard_window_out_of_range(
    value: str, client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/dashboard", params={"created_to": value}, headers=desk.supervisor.headers
    )

    _assert_out_of_range(response, "created_to")


@pytest.mark.parametrize("value", FAR_OFF_TIMES)
async def test_follow_up_due_out_of_range(
    value: str, client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = row_counts(db)

    response = await client.post(
        f"/service-requests/{sr['id']}/follow-ups",
        json={"due_at": value, "channel": "email"},
        headers=desk.social.headers,
    )

    _assert_out_of_range(response, "/due_at")
    assert row_counts(db) == before


@pytest.mark.parametrize("value", FAR_OFF_TIMES)
async def test_hold_follow_up_out_of_range(
    value: str, client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = row_counts(db)

    response = await client.post(
        f"/service-requests/{sr['id']}/hold",
        json={
            "reason": "Waiting for logs.",
            "follow_up": {"due_at": value, "channel": "email"},
        },
        headers=desk.tier2.matching(f'"{sr["version"]}"'),
    )

    _assert_out_of_range(response, "/follow_up/due_at")
    assert row_counts(db) == before


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("parameter", ["from", "to"])
async def test_triage_report_day_out_of_range(
    day: str, parameter: str, client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/triage/report", params={parameter: day}, headers=desk.supervisor.headers
    )

    _assert_out_of_range(response, parameter)
