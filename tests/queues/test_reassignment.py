"""Taking and reassigning SRs, and handing an agent's SRs over on deactivation."""

from typing import Any

import httpx

from tests.factories import AgentLogin, Desk, create_shop_sr, create_social_sr
from tests.queues.conftest import history_events, queue_numbers, step


async def _reassign(
    client: httpx.AsyncClient,
    login: AgentLogin,
    sr: dict[str, Any],
    body: dict[str, Any],
) -> httpx.Response:
    return await client.post(
        f"/service-requests/{sr['id']}/reassign",
        json=body,
        headers=login.matching(f'"{sr["version"]}"'),
    )


async def _deactivate(
    client: httpx.AsyncClient, desk: Desk, agent: AgentLogin, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/agents/{agent.id}/deactivate", json=body, headers=desk.supervisor.headers
    )


class TestTake:
    async def test_take_then_peer_is_403(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        taken = await client.post(
            f"/service-requests/{sr['id']}/take",
            headers=desk.tier2.matching(f'"{sr["version"]}"'),
        )
        again = await client.post(
            f"/service-requests/{sr['id']}/take",
            headers=desk.tier2_peer.matching(f'"{taken.json()["version"]}"'),
        )

        assert taken.status_code == 200, taken.text
        assert taken.json()["assignee_id"] == desk.tier2.id
        assert again.status_code == 403
        history = await history_events(client, desk.supervisor, sr)
        assert history[-1]["event"] == "taken"
        assert history[-1]["details"] == {"assignee_id": desk.tier2.id}

    async def test_take_de_escalated_is_409(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "resolve"
        )
        sr = await step(client, desk.tier2, sr, "de_escalate")

        response = await client.post(
            f"/service-requests/{sr['id']}/take",
            headers=desk.tier2.matching(f'"{sr["version"]}"'),
        )

        assert response.status_code == 409


class TestReassign:
    async def test_owner_moves_between_views(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _reassign(
            client, desk.supervisor, sr, {"owner_id": desk.social_peer.id}
        )

        assert response.status_code == 200, response.text
        assert await queue_numbers(client, desk.social, "waiting_on_tier2") == []
        assert await queue_numbers(client, desk.social_peer, "waiting_on_tier2") == [
            sr["number"]
        ]
        history = await history_events(client, desk.supervisor, sr)
        assert history[-1]["event"] == "reassigned"
        assert history[-1]["actor_id"] == desk.supervisor.id
        assert history[-1]["details"] == {
            "owner_id": {"from": desk.social.id, "to": desk.social_peer.id}
        }

    async def test_de_escalation_returns_to_new_owner(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "resolve"
        )
        sr = (
            await _reassign(
                client, desk.supervisor, sr, {"owner_id": desk.community.id}
            )
        ).json()

        await step(client, desk.tier2, sr, "de_escalate")

        assert await queue_numbers(client, desk.community, "de_escalated") == [
            sr["number"]
        ]
        assert await queue_numbers(client, desk.social, "de_escalated") == []

    async def test_tier2_agent_as_owner_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _reassign(
            client, desk.supervisor, sr, {"owner_id": desk.tier2.id}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/owner_id"

    async def test_tier1_agent_as_assignee_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _reassign(
            client, desk.supervisor, sr, {"assignee_id": desk.social_peer.id}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/assignee_id"

    async def test_store_agent_owning_social_sr_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _reassign(
            client, desk.supervisor, sr, {"owner_id": desk.store.id}
        )

        assert response.status_code == 422

    async def test_closed_sr_is_409(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_shop_sr(client, desk.store)
        sr = await step(client, desk.tier2, sr, "resolve")
        sr = await step(client, desk.tier2, sr, "close")

        response = await _reassign(
            client, desk.supervisor, sr, {"assignee_id": desk.tier2_peer.id}
        )

        assert response.status_code == 409

    async def test_tier2_may_not_reassign(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _reassign(
            client, desk.tier2, sr, {"assignee_id": desk.tier2_peer.id}
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"


class TestDeactivation:
    async def test_hands_all_srs_to_successor(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        own = [await create_social_sr(client, desk.social) for _ in range(2)]
        follow_up = await client.post(
            f"/service-requests/{own[0]['id']}/follow-ups",
            json={"due_at": "2026-12-01T13:00:00Z", "channel": "email"},
            headers=desk.social.headers,
        )
        closed = await step(client, desk.tier2, own[1], "resolve")
        closed = await step(client, desk.tier2, closed, "de_escalate")
        closed = await step(client, desk.social, closed, "close")

        response = await _deactivate(
            client, desk, desk.social, {"reassign_to": desk.social_peer.id}
        )

        assert response.status_code == 200, response.text
        assert response.json()["active"] is False
        assert await queue_numbers(client, desk.social_peer, "waiting_on_tier2") == [
            own[0]["number"]
        ]
        history = await history_events(client, desk.supervisor, own[0])
        assert history[-1]["event"] == "reassigned"
        assert history[-1]["details"] == {
            "reason": "agent deactivated",
            "owner_id": {"from": desk.social.id, "to": desk.social_peer.id},
        }
        closed_history = await history_events(client, desk.supervisor, closed)
        assert closed_history[-1]["event"] == "close"
        listed = await client.get(
            f"/service-requests/{own[0]['id']}/follow-ups",
            headers=desk.supervisor.headers,
        )
        assert listed.json()[0]["id"] == follow_up.json()["id"]
        assert listed.json()[0]["agent_id"] == desk.social_peer.id

    async def test_tier2_assignee_handed_over(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "hold"
        )

        response = await _deactivate(
            client, desk, desk.tier2, {"reassign_to": desk.tier2_peer.id}
        )

        assert response.status_code == 200, response.text
        read = await client.get(
            f"/service-requests/{sr['id']}", headers=desk.supervisor.headers
        )
        assert read.json()["assignee_id"] == desk.tier2_peer.id
        assert read.json()["version"] == sr["version"] + 1

    async def test_without_successor_is_409(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_social_sr(client, desk.social)

        response = await _deactivate(client, desk, desk.social, {})

        assert response.status_code == 409
        assert response.json()["held_service_requests"] == 1
        me = await client.get("/agents/me", headers=desk.social.headers)
        assert me.status_code == 200

    async def test_wrong_tier_successor_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await _deactivate(
            client, desk, desk.social, {"reassign_to": desk.tier2.id}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/reassign_to"
        history = await history_events(client, desk.supervisor, sr)
        assert [h["event"] for h in history] == ["created", "escalate"]

    async def test_wrong_kind_successor_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_social_sr(client, desk.social)

        response = await _deactivate(
            client, desk, desk.social, {"reassign_to": desk.store.id}
        )

        assert response.status_code == 422


class TestFollowUpsMove:
    async def test_new_owner_gets_follow_ups(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        scheduled = await client.post(
            f"/service-requests/{sr['id']}/follow-ups",
            json={"due_at": "2026-12-01T13:00:00Z", "channel": "email"},
            headers=desk.social.headers,
        )
        assert scheduled.status_code == 201, scheduled.text

        response = await _reassign(
            client, desk.supervisor, sr, {"owner_id": desk.social_peer.id}
        )

        assert response.status_code == 200, response.text
        listed = await client.get(
            f"/service-requests/{sr['id']}/follow-ups", headers=desk.supervisor.headers
        )
        assert listed.json()[0]["agent_id"] == desk.social_peer.id

    async def test_new_assignee_gets_hold_follow_up(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "hold"
        )

        response = await _reassign(
            client, desk.supervisor, sr, {"assignee_id": desk.tier2_peer.id}
        )

        assert response.status_code == 200, response.text
        listed = await client.get(
            f"/service-requests/{sr['id']}/follow-ups", headers=desk.supervisor.headers
        )
        assert listed.json()[0]["agent_id"] == desk.tier2_peer.id
