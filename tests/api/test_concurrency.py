"""Concurrent writes: the version check and the unique email hold when requests overlap.

On PostgreSQL the requests run in worker threads over separate connections, so
their transactions overlap. On SQLite they run one after the other.
"""

import asyncio
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.domain.profiles import service as profile_service
from app.domain.profiles.models import Profile
from app.domain.service_requests import lifecycle as sr_lifecycle
from app.domain.service_requests import service as sr_service
from tests.factories import (
    EVENT_BODIES,
    Desk,
    create_profile,
    create_social_sr,
    fire,
    profile_body,
)

profile_table = Profile.__table__  # type: ignore[attr-defined]

REQUESTS = 8


async def test_one_edit_wins_per_version(client: httpx.AsyncClient, desk: Desk) -> None:
    sr = await create_social_sr(client, desk.social)

    responses = await asyncio.gather(
        *(
            client.patch(
                f"/service-requests/{sr['id']}",
                json={"community_level": f"Level {index + 10}"},
                headers=desk.social.matching('"1"'),
            )
            for index in range(REQUESTS)
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 412: REQUESTS - 1}
    winner = next(r.json() for r in responses if r.status_code == 200)
    current = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.social.headers
    )
    assert current.json()["version"] == 2
    assert current.json()["community_level"] == winner["community_level"]
    history = await client.get(
        f"/service-requests/{sr['id']}/history", headers=desk.social.headers
    )
    events = [item["event"] for item in history.json()["items"]]
    assert events == ["created", "escalate", "edited"]


async def test_one_event_wins_per_version(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)

    responses = await asyncio.gather(
        *(
            fire(client, desk.tier2, sr, "resolve", EVENT_BODIES["resolve"])
            for _ in range(REQUESTS)
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 412: REQUESTS - 1}
    history = await client.get(
        f"/service-requests/{sr['id']}/history", headers=desk.social.headers
    )
    events = [item["event"] for item in history.json()["items"]]
    assert events == ["created", "escalate", "resolve"]


async def test_one_profile_per_email(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/profiles",
                json=profile_body(email="Same.Customer@example.com"),
                headers=desk.social.headers,
            )
            for _ in range(REQUESTS)
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: REQUESTS - 1}
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {
        "/problems/duplicate-profile"
    }
    rows = db.run(lambda tx: tx.query(sa.select(profile_table.c.email_key)))
    assert rows == [{"email_key": "same.customer@example.com"}]


def _skip_version_read_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Disable the early version comparison, so only the UPDATE's own condition is left."""

    def no_check(current: int, expected: int) -> None:
        return None

    for module in (sr_service, sr_lifecycle, profile_service):
        monkeypatch.setattr(module, "check_version", no_check)


async def test_edit_update_checks_version(
    client: httpx.AsyncClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sr = await create_social_sr(client, desk.social)
    path = f"/service-requests/{sr['id']}"
    first = await client.patch(
        path, json={"community_level": "Level 3"}, headers=desk.social.matching('"1"')
    )
    assert first.status_code == 200
    _skip_version_read_check(monkeypatch)

    stale = await client.patch(
        path, json={"community_level": "Level 4"}, headers=desk.social.matching('"1"')
    )

    assert stale.status_code == 412
    current = (await client.get(path, headers=desk.social.headers)).json()
    assert current["community_level"] == "Level 3"
    assert current["version"] == 2


async def test_event_update_checks_version(
    client: httpx.AsyncClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sr = await create_social_sr(client, desk.social)
    held = await fire(client, desk.tier2, sr, "hold", EVENT_BODIES["hold"])
    assert held.status_code == 200
    _skip_version_read_check(monkeypatch)

    stale = await fire(client, desk.social, sr, "cancel", EVENT_BODIES["cancel"])

    assert stale.status_code == 412
    current = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.social.headers
    )
    assert current.json()["status"] == "on_hold"
    assert current.json()["version"] == 2


async def test_profile_update_checks_version(
    client: httpx.AsyncClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = await create_profile(client, desk.social)
    path = f"/profiles/{profile['id']}"
    body = {"collected_via": "email"}
    first = await client.patch(
        path, json={**body, "last_name": "Lima"}, headers=desk.social.matching('"1"')
    )
    assert first.status_code == 200
    _skip_version_read_check(monkeypatch)

    stale = await client.patch(
        path, json={**body, "last_name": "Costa"}, headers=desk.social.matching('"1"')
    )

    assert stale.status_code == 412
    current = (await client.get(path, headers=desk.social.headers)).json()
    assert current["last_name"] == "Lima"
    assert current["version"] == 2
