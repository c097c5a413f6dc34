"""Conditional writes racing on one SR through two server processes.

Every request of a round carries the same If-Match, so exactly one may win;
the others must get 412 and leave nothing behind, on SQLite and PostgreSQL.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.concurrency.conftest import LiveServer
from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    create_profile,
    create_social_sr,
    fire,
)

pytestmark = pytest.mark.slow

ROUNDS = 50


@pytest.fixture
async def clients(
    servers: tuple[LiveServer, LiveServer],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """One HTTP client per server process; concurrent requests use separate connections."""
    first, second = servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=60) as one,
        httpx.AsyncClient(base_url=second.url, timeout=60) as two,
    ):
        yield one, two


async def history(
    client: httpx.AsyncClient, login: AgentLogin, sr_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/service-requests/{sr_id}/history",
        params={"limit": 500},
        headers=login.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def read(
    client: httpx.AsyncClient, login: AgentLogin, sr_id: str
) -> dict[str, Any]:
    response = await client.get(f"/service-requests/{sr_id}", headers=login.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_two_resolves_one_wins_each_round(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    report: Callable[[str], None],
) -> None:
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    outcomes = Counter[tuple[int, ...]]()
    caught_by_update = 0
    for _ in range(ROUNDS):
        sr = await create_social_sr(one, live_desk.social, profile["id"])
        body = EVENT_BODIES["resolve"]
        responses = await asyncio.gather(
            fire(one, live_desk.tier2, sr, "resolve", body),
            fire(two, live_desk.tier2, sr, "resolve", body),
        )
        statuses = tuple(sorted(response.status_code for response in responses))
        outcomes[statuses] += 1
        assert statuses == (200, 412), [r.text for r in responses]

        loser = next(r for r in responses if r.status_code == 412)
        assert loser.headers["content-type"].startswith("application/problem+json")
        # The read check names "the object"; the UPDATE's version condition
        # names "the service request", so it shows the loser read the old row.
        caught_by_update += "service request changed" in loser.json()["detail"]
        winner = next(r for r in responses if r.status_code == 200)
        assert winner.json()["version"] == sr["version"] + 1

        records = await history(one, live_desk.tier2, sr["id"])
        assert [r["event"] for r in records].count("resolve") == 1
        assert len(records) == 3  # created, escalate, resolve
        current = await read(two, live_desk.tier2, sr["id"])
        assert current["status"] == "resolved"
        assert current["version"] == sr["version"] + 1
    report(
        f"{ROUNDS} rounds of two concurrent resolves: {dict(outcomes)}; "
        f"losers that read the old version and failed in the UPDATE: {caught_by_update}"
    )


@pytest.mark.parametrize("contenders", [8])
async def test_mixed_events_one_wins(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    contenders: int,
) -> None:
    """Resolve, hold and cancel with one If-Match: one status change, no more."""
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    plan = [
        (live_desk.tier2, "resolve"),
        (live_desk.tier2, "hold"),
        (live_desk.social, "cancel"),
    ]
    for _ in range(20):
        sr = await create_social_sr(one, live_desk.social, profile["id"])
        requests = [
            fire(
                (one, two)[i % 2],
                plan[i % len(plan)][0],
                sr,
                plan[i % len(plan)][1],
                EVENT_BODIES[plan[i % len(plan)][1]],
            )
            for i in range(contenders)
        ]
        responses = await asyncio.gather(*requests)
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * (contenders - 1), [r.text for r in responses]

        winner = next(r.json() for r in responses if r.status_code == 200)
        records = await history(two, live_desk.supervisor, sr["id"])
        assert [r["event"] for r in records][:2] == ["created", "escalate"]
        assert len(records) == 3
        assert records[2]["to_status"] == winner["status"]
        current = await read(one, live_desk.supervisor, sr["id"])
        assert current["status"] == winner["status"]
        assert current["version"] == sr["version"] + 1


async def test_concurrent_edits_one_wins(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], live_desk: Desk
) -> None:
    """PATCH with one If-Match from owner and Tier 2: one edit lands, whole."""
    one, two = clients
    sr = await create_social_sr(one, live_desk.social)
    for round_number in range(ROUNDS):
        sr = await read(one, live_desk.social, sr["id"])
        editors = [live_desk.social, live_desk.tier2] * 3
        responses = await asyncio.gather(
            *(
                (one, two)[i % 2].patch(
                    f"/service-requests/{sr['id']}",
                    json={
                        "contact_reason": f"Round {round_number}, editor {i}: the camera reboots.",
                        "follower_count": 1000 * round_number + i,
                    },
                    headers=editor.matching(f'"{sr["version"]}"'),
                )
                for i, editor in enumerate(editors)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * (len(editors) - 1), [
            r.text for r in responses
        ]
        winner = next(r.json() for r in responses if r.status_code == 200)
        current = await read(two, live_desk.social, sr["id"])
        assert current["version"] == sr["version"] + 1
        assert current["contact_reason"] == winner["contact_reason"]
        # Both fields come from the same request: no mix of two edits.
        editor = int(current["contact_reason"].split("editor ")[1].split(":")[0])
        assert current["follower_count"] == 1000 * round_number + editor

    records = await history(one, live_desk.social, sr["id"])
    assert [r["event"] for r in records] == ["created", "escalate"] + [
        "edited"
    ] * ROUNDS
