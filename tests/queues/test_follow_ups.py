"""Follow-ups over HTTP: scheduling, the due view in the agent's zone, and the audit."""

from datetime import timedelta
from typing import Any

import httpx

from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    FrozenClock,
    create_social_sr,
    fire,
)
from tests.queues.conftest import history_events, step


async def _schedule(
    client: httpx.AsyncClient,
    login: AgentLogin,
    sr: dict[str, Any],
    **body: str,
) -> httpx.Response:
    payload = {"due_at": "2026-12-01T15:00:00Z", "channel": "private_message", **body}
    return await client.post(
        f"/service-requests/{sr['id']}/follow-ups", json=payload, headers=login.headers
    )


async def _due(
    client: httpx.AsyncClient, login: AgentLogin, **params: str
) -> list[dict[str, Any]]:
    response = await client.get("/follow-ups/due", params=params, headers=login.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


class TestDueView:
    async def test_appears_at_due_time(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        scheduled = await _schedule(
            client, desk.social, sr, due_at="2026-12-01T11:30:00-03:00"
        )
        assert scheduled.status_code == 201, scheduled.text

        before = await _due(client, desk.social)
        clock.advance(timedelta(hours=2, minutes=29, seconds=59))
        just_before = await _due(client, desk.social)
        clock.advance(timedelta(seconds=1))
        at_due = await _due(client, desk.social)

        assert before == []
        assert just_before == []
        assert [item["id"] for item in at_due] == [scheduled.json()["id"]]
        item = at_due[0]
        assert item["due_at"] == "2026-12-01T14:30:00Z"
        assert item["time_zone"] == "America/Sao_Paulo"
        assert item["due_local"] == "2026-12-01T11:30:00-03:00"
        assert item["service_request_number"] == sr["number"]
        assert item["overdue"] is False

    async def test_shown_in_agents_zone(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        response = await _schedule(
            client,
            desk.social,
            sr,
            due_at="2026-12-01T23:00:00+09:00",
            time_zone="Asia/Tokyo",
        )
        assert response.json()["due_local"] == "2026-12-01T23:00:00+09:00"

        clock.advance(timedelta(hours=3))
        items = await _due(client, desk.social)

        assert items[0]["due_local"] == "2026-12-01T11:00:00-03:00"
        assert items[0]["overdue"] is True

    async def test_within_and_other_agents(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        own = await create_social_sr(client, desk.social)
        peer = await create_social_sr(client, desk.social_peer)
        await _schedule(client, desk.social, own)
        await _schedule(client, desk.social_peer, peer)

        soon = await _due(client, desk.social, within="PT3H")
        later = await _due(client, desk.social, within="PT2H")

        assert [item["service_request_number"] for item in soon] == [own["number"]]
        assert later == []

    async def test_completed_leaves_view_and_audit(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        follow_up = (await _schedule(client, desk.social, sr)).json()
        clock.advance(timedelta(hours=3))

        response = await client.post(
            f"/service-requests/{sr['id']}/follow-ups/{follow_up['id']}/complete",
            json={"note": "Customer confirmed the logs are attached."},
            headers=desk.social.headers,
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "completed"
        assert response.json()["completed_at"] == "2026-12-01T15:00:00Z"
        assert await _due(client, desk.social) == []
        history = await history_events(client, desk.supervisor, sr)
        audit = [(h["event"], h["actor_id"], h["details"]) for h in history[2:]]
        assert audit == [
            (
                "follow_up_scheduled",
                desk.social.id,
                {
                    "follow_up_id": follow_up["id"],
                    "due_at": "2026-12-01T15:00:00+00:00",
                    "channel": "private_message",
                },
            ),
            ("follow_up_completed", desk.social.id, {"follow_up_id": follow_up["id"]}),
        ]
        assert history[3]["reason"] == "Customer confirmed the logs are attached."

    async def test_paging(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        ids = []
        for hour in (13, 14, 15):
            response = await _schedule(
                client, desk.social, sr, due_at=f"2026-12-01T{hour}:00:00Z"
            )
            ids.append(response.json()["id"])
        clock.advance(timedelta(hours=4))

        first = await client.get(
            "/follow-ups/due", params={"limit": 2}, headers=desk.social.headers
        )
        second = await client.get(
            "/follow-ups/due",
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=desk.social.headers,
        )

        assert [item["id"] for item in first.json()["items"]] == ids[:2]
        assert [item["id"] for item in second.json()["items"]] == ids[2:]
        assert second.json()["next_cursor"] is None


class TestScheduleRules:
    async def test_past_due_is_422(self, client: httpx.AsyncClient, desk: Desk) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _schedule(
            client, desk.social, sr, due_at="2026-12-01T11:00:00Z"
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/due_at"

    async def test_naive_due_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _schedule(
            client, desk.social, sr, due_at="2026-12-02T11:00:00"
        )

        assert response.status_code == 422

    async def test_not_owner_is_403(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _schedule(client, desk.social_peer, sr)

        assert response.status_code == 403

    async def test_cancel_needs_reason_and_is_audited(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        follow_up = (await _schedule(client, desk.social, sr)).json()
        path = f"/service-requests/{sr['id']}/follow-ups/{follow_up['id']}/cancel"

        missing = await client.post(path, json={}, headers=desk.social.headers)
        cancelled = await client.post(
            path,
            json={"reason": "Customer answered by email."},
            headers=desk.social.headers,
        )
        again = await client.post(
            path, json={"reason": "Twice."}, headers=desk.social.headers
        )

        assert missing.status_code == 422
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert again.status_code == 409
        history = await history_events(client, desk.social, sr)
        assert history[-1]["event"] == "follow_up_cancelled"
        assert history[-1]["reason"] == "Customer answered by email."

    async def test_other_srs_follow_up_is_404(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        other = await create_social_sr(client, desk.social)
        follow_up = (await _schedule(client, desk.social, sr)).json()

        response = await client.post(
            f"/service-requests/{other['id']}/follow-ups/{follow_up['id']}/complete",
            json={},
            headers=desk.social.headers,
        )

        assert response.status_code == 404


class TestHold:
    async def test_hold_needs_follow_up(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await fire(
            client, desk.tier2, sr, "hold", {"reason": "Waiting for logs."}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/follow_up"

    async def test_hold_schedules_follow_up(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        held = await step(client, desk.tier2, sr, "hold")

        assert held["status"] == "on_hold"
        listed = await client.get(
            f"/service-requests/{sr['id']}/follow-ups", headers=desk.tier2.headers
        )
        follow_ups = listed.json()
        assert len(follow_ups) == 1
        assert follow_ups[0]["agent_id"] == desk.tier2.id
        assert follow_ups[0]["due_at"] == "2030-01-15T12:00:00Z"
        assert follow_ups[0]["note"] == EVENT_BODIES["hold"]["follow_up"]["note"]
        history = await history_events(client, desk.tier2, sr)
        assert history[-1]["event"] == "hold"
        assert history[-1]["details"]["follow_up_id"] == follow_ups[0]["id"]

    async def test_hold_with_past_follow_up_saves_nothing(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        body = {
            "reason": "Waiting for logs.",
            "follow_up": {"due_at": "2026-11-30T10:00:00Z", "channel": "email"},
        }

        response = await fire(client, desk.tier2, sr, "hold", body)

        assert response.status_code == 422
        read = await client.get(
            f"/service-requests/{sr['id']}", headers=desk.tier2.headers
        )
        assert read.json()["status"] == "escalated"
        assert read.json()["version"] == sr["version"]
