"""The SR lifecycle over HTTP: the happy path, each guard and the order of refusals."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    FrozenClock,
    create_profile,
    create_shop_sr,
    create_social_sr,
    fire,
)


async def _history(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/service-requests/{sr['id']}/history", headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def _read(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(f"/service-requests/{sr['id']}", headers=login.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _step(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any], event: str
) -> dict[str, Any]:
    response = await fire(client, login, sr, event, EVENT_BODIES[event])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class TestHappyPath:
    async def test_social_sr_walks_to_closed(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        assert sr["status"] == "escalated"
        assert sr["number"] == "SR-00000001"

        sr = await _step(client, desk.tier2, sr, "resolve")
        assert sr["status"] == "resolved"
        assert sr["assignee_id"] == desk.tier2.id
        sr = await _step(client, desk.tier2, sr, "de_escalate")
        assert sr["status"] == "de_escalated"
        assert sr["held_by"] == "tier1"
        sr = await _step(client, desk.social, sr, "close")
        assert sr["status"] == "closed"
        assert sr["version"] == 4

        history = await _history(client, desk.supervisor, sr)
        steps = [
            (h["event"], h["from_status"], h["to_status"], h["actor_id"])
            for h in history
        ]
        assert steps == [
            ("created", None, "open", desk.social.id),
            ("escalate", "open", "escalated", desk.social.id),
            ("resolve", "escalated", "resolved", desk.tier2.id),
            ("de_escalate", "resolved", "de_escalated", desk.tier2.id),
            ("close", "de_escalated", "closed", desk.social.id),
        ]
        assert history[2]["reason"] == EVENT_BODIES["resolve"]["resolution"]
        assert history[4]["reason"] == EVENT_BODIES["close"]["closing_note"]

    async def test_response_carries_etag_and_allowed_events(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        response = await client.get(
            f"/service-requests/{sr['id']}", headers=desk.tier2.headers
        )

        assert response.headers["etag"] == '"1"'
        assert response.json()["allowed_events"] == ["hold", "resolve"]
        owner_view = await _read(client, desk.social, sr)
        assert owner_view["allowed_events"] == ["cancel"]

    async def test_transitions_endpoint_lists_caller_events(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "resolve")

        response = await client.get(
            f"/service-requests/{sr['id']}/transitions", headers=desk.tier2.headers
        )

        assert response.status_code == 200
        assert response.json() == {
            "status": "resolved",
            "allowed_events": ["de_escalate"],
        }

    async def test_sr_number_addresses_the_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.get(
            f"/service-requests/{sr['number']}", headers=desk.social.headers
        )

        assert response.status_code == 200
        assert response.json()["id"] == sr["id"]


class TestRefusals:
    """Each refusal leaves status, version and history as they were."""

    async def _assert_unchanged(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        sr: dict[str, Any],
        history_length: int,
    ) -> None:
        current = await _read(client, desk.supervisor, sr)
        assert current["status"] == sr["status"]
        assert current["version"] == sr["version"]
        assert len(await _history(client, desk.supervisor, sr)) == history_length

    async def test_tier2_cannot_close_social_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "resolve")

        response = await fire(client, desk.tier2, sr, "close", EVENT_BODIES["close"])

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/actor-forbidden"
        assert "never closes a social-media SR" in response.json()["detail"]
        await self._assert_unchanged(client, desk, sr, history_length=3)

    async def test_tier2_cannot_close_de_escalated_social_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "resolve")
        sr = await _step(client, desk.tier2, sr, "de_escalate")

        response = await fire(client, desk.tier2, sr, "close", EVENT_BODIES["close"])

        assert response.status_code == 403
        await self._assert_unchanged(client, desk, sr, history_length=4)

    async def test_tier1_cannot_resolve(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await fire(
            client, desk.social, sr, "resolve", EVENT_BODIES["resolve"]
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"
        await self._assert_unchanged(client, desk, sr, history_length=2)

    async def test_other_tier1_in_queue_cannot_close(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "resolve")
        sr = await _step(client, desk.tier2, sr, "de_escalate")

        response = await fire(
            client, desk.social_peer, sr, "close", EVENT_BODIES["close"]
        )

        assert response.status_code == 403
        assert response.json()["detail"] == "Only the SR's Tier 1 owner may do this."
        await self._assert_unchanged(client, desk, sr, history_length=4)

    async def test_tier1_in_other_queue_gets_not_found(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "resolve")
        sr = await _step(client, desk.tier2, sr, "de_escalate")

        response = await fire(
            client, desk.social_other_queue, sr, "close", EVENT_BODIES["close"]
        )

        assert response.status_code == 404
        await self._assert_unchanged(client, desk, sr, history_length=4)

    async def test_owner_cannot_close_before_de_escalation(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await fire(client, desk.social, sr, "close", EVENT_BODIES["close"])

        assert response.status_code == 409
        body = response.json()
        assert body["type"] == "/problems/invalid-transition"
        assert body["status"] == 409
        assert body["allowed_events"] == ["cancel"]
        assert "'escalated'" in body["detail"]
        await self._assert_unchanged(client, desk, sr, history_length=2)

    async def test_stale_if_match_is_412(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        updated = await _step(client, desk.tier2, sr, "hold")

        response = await fire(client, desk.tier2, sr, "resume", version=1)

        assert response.status_code == 412
        assert response.json()["type"] == "/problems/precondition-failed"
        await self._assert_unchanged(client, desk, updated, history_length=3)

    async def test_missing_if_match_is_428(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.post(
            f"/service-requests/{sr['id']}/resolve",
            json=EVENT_BODIES["resolve"],
            headers=desk.tier2.headers,
        )

        assert response.status_code == 428
        await self._assert_unchanged(client, desk, sr, history_length=2)

    async def test_missing_resolution_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await fire(client, desk.tier2, sr, "resolve", {})

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/resolution"
        await self._assert_unchanged(client, desk, sr, history_length=2)

    async def test_taken_sr_is_refused_to_other_tier2(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        sr = await _step(client, desk.tier2, sr, "hold")

        response = await fire(client, desk.tier2_peer, sr, "resume")

        assert response.status_code == 403
        assert "Another Tier 2 agent" in response.json()["detail"]


class TestRefusalOrder:
    """401, then 403 for the tier, then 404, then 422, then 428/412, then 403 on the SR, then 409."""

    async def test_no_token_beats_everything(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/service-requests/SR-99999999/resolve",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 401

    async def test_tier_beats_not_found(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/service-requests/SR-99999999/resolve",
            json={},
            headers=desk.social.headers,
        )
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"

    async def test_not_found_beats_invalid_body(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/service-requests/SR-99999999/resolve",
            content=b"{not json",
            headers={**desk.tier2.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 404

    async def test_invalid_body_beats_missing_if_match(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        response = await client.post(
            f"/service-requests/{sr['id']}/resolve",
            json={"resolution": ""},
            headers=desk.tier2.headers,
        )
        assert response.status_code == 422

    async def test_precondition_beats_object_rule(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        response = await fire(
            client, desk.social_peer, sr, "cancel", EVENT_BODIES["cancel"], version=7
        )
        assert response.status_code == 412

    async def test_object_rule_beats_state(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        response = await fire(
            client, desk.social_peer, sr, "close", EVENT_BODIES["close"]
        )
        assert response.status_code == 403


class TestSideRoads:
    async def test_reject_resolution_returns_to_tier2(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        for login, event in ((desk.tier2, "resolve"), (desk.tier2, "de_escalate")):
            sr = await _step(client, login, sr, event)

        sr = await _step(client, desk.social, sr, "reject_resolution")

        assert sr["status"] == "escalated"
        assert sr["resolution"] is None
        history = await _history(client, desk.social, sr)
        assert history[-1]["reason"] == EVENT_BODIES["reject_resolution"]["reason"]

    async def test_reopen_within_window(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        for login, event in (
            (desk.tier2, "resolve"),
            (desk.tier2, "de_escalate"),
            (desk.social, "close"),
        ):
            sr = await _step(client, login, sr, event)
        clock.advance(timedelta(days=29))

        sr = await _step(client, desk.social, sr, "reopen")

        assert sr["status"] == "escalated"
        assert sr["closed_at"] is None

    async def test_reopen_after_window_is_refused(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        for login, event in (
            (desk.tier2, "resolve"),
            (desk.tier2, "de_escalate"),
            (desk.social, "close"),
        ):
            sr = await _step(client, login, sr, event)
        clock.advance(timedelta(days=30, seconds=1))

        response = await fire(client, desk.social, sr, "reopen", EVENT_BODIES["reopen"])

        assert response.status_code == 409
        assert response.json()["type"] == "/problems/reopen-window-closed"
        assert "related_sr_id" in response.json()["detail"]

    async def test_follow_up_sr_links_closed_one(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        for login, event in (
            (desk.tier2, "resolve"),
            (desk.tier2, "de_escalate"),
            (desk.social, "close"),
        ):
            sr = await _step(client, login, sr, event)
        clock.advance(timedelta(days=45))

        follow_up = await create_social_sr(
            client, desk.social, profile_id=sr["profile_id"], related_sr_id=sr["id"]
        )

        assert follow_up["related_sr_id"] == sr["id"]

    @pytest.mark.parametrize("canceller", ["social", "supervisor"])
    async def test_cancel_by_owner_or_supervisor(
        self, client: httpx.AsyncClient, desk: Desk, canceller: str
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        sr = await _step(client, getattr(desk, canceller), sr, "cancel")

        assert sr["status"] == "cancelled"
        assert sr["allowed_events"] == []

    async def test_tier2_closes_resolved_store_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_shop_sr(client, desk.store)
        sr = await _step(client, desk.tier2, sr, "resolve")

        sr = await _step(client, desk.tier2, sr, "close")

        assert sr["status"] == "closed"
        assert sr["closing_note"] == EVENT_BODIES["close"]["closing_note"]

    async def test_store_sr_kept_open_then_escalated(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_shop_sr(
            client,
            desk.store,
            escalate=False,
            open_reason="Waiting for the customer's receipt.",
        )
        assert sr["status"] == "open"
        assert sr["open_reason"] == "Waiting for the customer's receipt."
        assert sr["sla_first_action_due_at"] is None

        sr = await _step(client, desk.store, sr, "escalate")

        assert sr["status"] == "escalated"
        assert sr["open_reason"] is None
        assert sr["sla_first_action_due_at"] is not None

    async def test_hold_and_resume(self, client: httpx.AsyncClient, desk: Desk) -> None:
        sr = await create_social_sr(client, desk.social)

        sr = await _step(client, desk.tier2, sr, "hold")
        assert sr["status"] == "on_hold"
        sr = await _step(client, desk.tier2, sr, "resume")

        assert sr["status"] == "escalated"


async def test_profile_for_sr_exists(client: httpx.AsyncClient, desk: Desk) -> None:
    profile = await create_profile(client, desk.social)
    sr = await create_social_sr(client, desk.social, profile_id=profile["id"])
    assert sr["profile_id"] == profile["id"]
