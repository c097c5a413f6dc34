"""Queue views over HTTP: which SRs each agent reads, their order, and paging during inserts."""

from collections import Counter
from datetime import timedelta

import httpx

from tests.factories import (
    Desk,
    FrozenClock,
    create_profile,
    create_shop_sr,
    create_social_sr,
)
from tests.queues.conftest import queue_numbers, read_queue, step


class TestTier1Views:
    async def test_sees_exactly_own_srs(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        own = [await create_social_sr(client, desk.social) for _ in range(3)]
        peer = await create_social_sr(client, desk.social_peer)
        back = await step(client, desk.tier2, own[0], "resolve")
        back = await step(client, desk.tier2, back, "de_escalate")
        peer_back = await step(client, desk.tier2, peer, "resolve")
        await step(client, desk.tier2, peer_back, "de_escalate")

        waiting = await queue_numbers(client, desk.social, "waiting_on_tier2")
        returned = await queue_numbers(client, desk.social, "de_escalated")
        peer_waiting = await queue_numbers(client, desk.social_peer, "waiting_on_tier2")
        peer_returned = await queue_numbers(client, desk.social_peer, "de_escalated")

        assert waiting == [own[1]["number"], own[2]["number"]]
        assert returned == [own[0]["number"]]
        assert peer_waiting == []
        assert peer_returned == [peer["number"]]

    async def test_waiting_includes_hold_and_resolved(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        held = await create_social_sr(client, desk.social)
        resolved = await create_social_sr(client, desk.social)
        await step(client, desk.tier2, held, "hold")
        await step(client, desk.tier2, resolved, "resolve")

        waiting = await queue_numbers(client, desk.social, "waiting_on_tier2")
        only_held = await queue_numbers(
            client, desk.social, "waiting_on_tier2", status="on_hold"
        )

        assert waiting == [held["number"], resolved["number"]]
        assert only_held == [held["number"]]

    async def test_other_agent_is_403(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_social_sr(client, desk.social_peer)

        response = await read_queue(
            client, desk.social, "waiting_on_tier2", agent_id=desk.social_peer.id
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/actor-forbidden"

    async def test_tier2_view_is_403(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(client, desk.social, "escalated")

        assert response.status_code == 403

    async def test_priority_sort_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(
            client, desk.social, "waiting_on_tier2", sort="priority"
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "sort"


class TestSupervisorViews:
    async def test_reads_any_agent(self, client: httpx.AsyncClient, desk: Desk) -> None:
        sr = await create_social_sr(client, desk.social_peer)

        numbers = await queue_numbers(
            client, desk.supervisor, "waiting_on_tier2", agent_id=desk.social_peer.id
        )

        assert numbers == [sr["number"]]

    async def test_owner_view_needs_agent(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(client, desk.supervisor, "de_escalated")

        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "agent_id"

    async def test_reads_tier2_queue_of_one_owner_queue(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        br = await create_social_sr(client, desk.social)
        await create_social_sr(client, desk.social_other_queue)

        numbers = await queue_numbers(
            client, desk.supervisor, "escalated", queue="social-br"
        )

        assert numbers == [br["number"]]


class TestTier2Order:
    async def test_priority_then_oldest(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        cases = [
            ("os_bug", 100),  # priority 9
            ("rrt", 60_000),  # priority 4
            ("elp_press", 10),  # priority 3
            ("os_bug", 100),  # priority 9, newer than the first
            ("elp_legal", 60_000),  # priority 1
            ("rrt", 60_000),  # priority 4, newer
        ]
        created = []
        for category, followers in cases:
            clock.advance(timedelta(minutes=5))
            created.append(
                await create_social_sr(
                    client, desk.social, category=category, follower_count=followers
                )
            )

        response = await read_queue(client, desk.tier2, "escalated")

        assert response.status_code == 200, response.text
        page = response.json()
        assert page["sort"] == "priority"
        assert [item["priority"] for item in page["items"]] == [1, 3, 4, 4, 9, 9]
        expected = [created[i]["number"] for i in (4, 2, 1, 5, 0, 3)]
        assert [item["number"] for item in page["items"]] == expected

    async def test_oldest_and_newest_sorts(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        created = []
        for category in ("os_bug", "elp_legal", "rrt"):
            clock.advance(timedelta(minutes=1))
            created.append(
                await create_social_sr(client, desk.social, category=category)
            )
        numbers = [sr["number"] for sr in created]

        oldest = await queue_numbers(client, desk.tier2, "escalated", sort="oldest")
        newest = await queue_numbers(client, desk.tier2, "escalated", sort="newest")

        assert oldest == numbers
        assert newest == numbers[::-1]

    async def test_resolved_view_lists_not_de_escalated(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        resolved = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "resolve"
        )
        handed_back = await step(
            client, desk.tier2, await create_social_sr(client, desk.social), "resolve"
        )
        await step(client, desk.tier2, handed_back, "de_escalate")
        await create_social_sr(client, desk.social)

        numbers = await queue_numbers(client, desk.tier2, "resolved")

        assert numbers == [resolved["number"]]


class TestItems:
    async def test_item_carries_decision_fields(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(
            client, desk.social, category="elp_press", follower_count=60_000
        )
        clock.advance(timedelta(hours=3))

        response = await read_queue(client, desk.tier2, "escalated")

        item = response.json()["items"][0]
        assert item["number"] == sr["number"]
        assert item["category"] == "elp_press"
        assert item["channel"] == "twitter"
        assert item["status"] == "escalated"
        assert item["priority"] == 1
        assert item["follower_count"] == 60_000
        assert item["age_seconds"] == 3 * 3600
        assert item["time_in_status_seconds"] == 3 * 3600
        assert item["sla_first_action_due_at"] == "2026-12-01T13:00:00Z"
        assert item["first_action_breached"] is True
        assert item["resolution_breached"] is False
        assert item["follow_up_due_at"] is None

    async def test_follow_up_due_shown(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        for due in ("2026-12-03T10:00:00Z", "2026-12-02T10:00:00Z"):
            response = await client.post(
                f"/service-requests/{sr['id']}/follow-ups",
                json={"due_at": due, "channel": "email"},
                headers=desk.social.headers,
            )
            assert response.status_code == 201, response.text

        response = await read_queue(client, desk.social, "waiting_on_tier2")

        assert response.json()["items"][0]["follow_up_due_at"] == "2026-12-02T10:00:00Z"


class TestFilters:
    async def test_each_filter(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        profile = await create_profile(client, desk.social)
        first = await create_social_sr(
            client, desk.social, profile["id"], category="rrt", channel="facebook"
        )
        clock.advance(timedelta(hours=1))
        second = await create_social_sr(client, desk.social)
        store = await create_shop_sr(client, desk.store)

        async def tier2(**params: str) -> list[str]:
            return await queue_numbers(
                client, desk.tier2, "escalated", sort="oldest", **params
            )

        assert await tier2(category="rrt") == [first["number"]]
        assert await tier2(channel="facebook") == [first["number"]]
        assert await tier2(customer_type="store") == [store["number"]]
        assert await tier2(profile_id=profile["id"]) == [first["number"]]
        assert await tier2(number=second["number"].lower()) == [second["number"]]
        assert await tier2(created_to="2026-12-01T12:30:00Z") == [first["number"]]
        assert await tier2(created_from="2026-12-01T12:30:00Z") == [
            second["number"],
            store["number"],
        ]
        assert await tier2(updated_from="2026-12-01T12:30:00+00:00") == [
            second["number"],
            store["number"],
        ]


class TestPaging:
    async def _walk(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        clock: FrozenClock,
        view: str,
        login_name: str,
        **params: str,
    ) -> list[str]:
        login = getattr(desk, login_name)
        seen: list[str] = []
        cursor = None
        categories = ("elp_legal", "os_bug", "rrt")
        for page_index in range(50):
            query = {**params, "limit": "2"}
            if cursor is not None:
                query["cursor"] = cursor
            response = await read_queue(client, login, view, **query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(item["number"] for item in page["items"])
            # Another agent creates SRs of every priority between pages.
            clock.advance(timedelta(seconds=1))
            await create_social_sr(
                client, desk.social, category=categories[page_index % 3]
            )
            cursor = page["next_cursor"]
            if cursor is None:
                break
        return seen

    async def _existing(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> list[str]:
        numbers = []
        for index in range(7):
            clock.advance(timedelta(seconds=1))
            category = ("os_bug", "rrt", "elp_press")[index % 3]
            sr = await create_social_sr(client, desk.social, category=category)
            numbers.append(sr["number"])
        return numbers

    async def test_tier2_walk_returns_each_once(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        existing = await self._existing(client, desk, clock)

        seen = await self._walk(client, desk, clock, "escalated", "tier2")

        counts = Counter(seen)
        assert all(counts[number] == 1 for number in existing), counts
        assert len(seen) == len(set(seen))

    async def test_tier1_walk_returns_each_once(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        existing = await self._existing(client, desk, clock)

        seen = await self._walk(client, desk, clock, "waiting_on_tier2", "social")

        counts = Counter(seen)
        assert all(counts[number] == 1 for number in existing), counts
        assert len(seen) == len(set(seen))

    async def test_newest_walk_returns_each_once(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        existing = await self._existing(client, desk, clock)

        seen = await self._walk(
            client, desk, clock, "escalated", "tier2", sort="newest"
        )

        assert seen == existing[::-1]

    async def test_limit_above_maximum_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(client, desk.tier2, "escalated", limit=201)

        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "limit"

    async def test_cursor_of_other_filters_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        for _ in range(3):
            await create_social_sr(client, desk.social)
        first = await read_queue(client, desk.tier2, "escalated", limit=1)
        cursor = first.json()["next_cursor"]

        response = await read_queue(
            client, desk.tier2, "escalated", limit=1, cursor=cursor, category="rrt"
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "cursor"

    async def test_garbled_cursor_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(client, desk.tier2, "escalated", cursor="abc!")

        assert response.status_code == 422

    async def test_unknown_parameter_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await read_queue(client, desk.tier2, "escalated", colour="red")

        assert response.status_code == 422
