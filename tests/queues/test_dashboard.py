"""The dashboard's counts and the per-tier clocks, computed from the history."""

from datetime import timedelta
from typing import Any

import httpx

from tests.factories import Desk, FrozenClock, create_shop_sr, create_social_sr
from tests.queues.conftest import step


async def _clocks(
    client: httpx.AsyncClient, desk: Desk, sr: dict[str, Any]
) -> dict[str, int]:
    response = await client.get(
        f"/service-requests/{sr['id']}/clocks", headers=desk.supervisor.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class TestClocks:
    async def test_hold_time_kept_apart(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        clock.advance(timedelta(hours=1))
        sr = await step(client, desk.tier2, sr, "hold")
        clock.advance(timedelta(hours=5))
        sr = await step(client, desk.tier2, sr, "resume")
        clock.advance(timedelta(hours=2))
        sr = await step(client, desk.tier2, sr, "resolve")
        clock.advance(timedelta(minutes=10))
        sr = await step(client, desk.tier2, sr, "de_escalate")
        clock.advance(timedelta(minutes=30))
        sr = await step(client, desk.social, sr, "close")
        clock.advance(timedelta(days=1))

        clocks = await _clocks(client, desk, sr)

        assert clocks == {
            "tier1_intake_seconds": 0,
            "tier2_resolve_seconds": 3 * 3600,
            "tier2_handback_seconds": 600,
            "tier1_close_seconds": 1800,
            "waiting_seconds": 5 * 3600,
            "working_seconds": 3 * 3600 + 600 + 1800,
        }

    async def test_kept_open_counts_as_waiting(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_shop_sr(
            client,
            desk.store,
            escalate=False,
            open_reason="Waiting for the customer's purchase receipt.",
        )
        clock.advance(timedelta(hours=4))
        sr = await step(client, desk.store, sr, "escalate")
        clock.advance(timedelta(minutes=15))

        clocks = await _clocks(client, desk, sr)

        assert clocks["tier1_intake_seconds"] == 0
        assert clocks["waiting_seconds"] == 4 * 3600
        assert clocks["tier2_resolve_seconds"] == 900

    async def test_tier1_cannot_read_others(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social_other_queue)

        response = await client.get(
            f"/service-requests/{sr['id']}/clocks", headers=desk.social.headers
        )

        assert response.status_code == 404


class TestDashboard:
    async def test_counts_and_clocks(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        first = await create_social_sr(client, desk.social)
        clock.advance(timedelta(hours=1))
        await create_social_sr(client, desk.social)
        await create_social_sr(client, desk.social_other_queue)
        resolved = await step(client, desk.tier2, first, "resolve")
        clock.advance(timedelta(hours=1))
        closed = await step(
            client, desk.tier2, await create_shop_sr(client, desk.store), "resolve"
        )
        await step(client, desk.tier2, closed, "close")
        clock.advance(timedelta(hours=2))

        response = await client.get("/dashboard", headers=desk.supervisor.headers)

        assert response.status_code == 200, response.text
        board = response.json()
        counts = [
            (
                row["queue"],
                row["status"],
                row["held_by"],
                row["count"],
                row["oldest_age_seconds"],
            )
            for row in board["queues"]
        ]
        assert counts == [
            ("social-br", "escalated", "tier2", 1, 3 * 3600),
            ("social-ru", "escalated", "tier2", 1, 3 * 3600),
            ("social-br", "resolved", "tier2", 1, 4 * 3600),
        ]
        assert resolved["status"] == "resolved"
        clocks = {row["clock"]: row for row in board["clocks"]}
        # The store SR was resolved and closed at once, so it charged no clock.
        assert clocks["tier2_resolve"]["service_requests"] == 3
        assert clocks["tier2_resolve"]["mean_seconds"] == (1 + 3 + 3) * 3600 // 3
        assert clocks["tier2_resolve"]["max_seconds"] == 3 * 3600
        assert clocks["tier2_handback"]["service_requests"] == 1
        assert clocks["tier2_handback"]["max_seconds"] == 3 * 3600
        assert clocks["waiting"]["service_requests"] == 0
        assert board["created_to"] == "2026-12-01T16:00:00Z"
        assert board["created_from"] == "2026-11-01T16:00:00Z"

    async def test_window_excludes_older(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        await create_social_sr(client, desk.social)
        clock.advance(timedelta(days=2))

        response = await client.get(
            "/dashboard",
            params={"created_from": "2026-12-02T00:00:00Z"},
            headers=desk.tier2.headers,
        )

        clocks = {row["clock"]: row for row in response.json()["clocks"]}
        assert clocks["tier2_resolve"]["service_requests"] == 0
        assert response.json()["queues"][0]["count"] == 1

    async def test_tier1_is_403(self, client: httpx.AsyncClient, desk: Desk) -> None:
        response = await client.get("/dashboard", headers=desk.social.headers)

        assert response.status_code == 403

    async def test_window_too_wide_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.get(
            "/dashboard",
            params={"created_from": "2026-01-01T00:00:00Z"},
            headers=desk.supervisor.headers,
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "created_from"
