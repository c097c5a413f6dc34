"""Two server processes on one PostgreSQL database, driven like replicas behind a load balancer.

Hundreds of creates (some retried through the other replica with the same
Idempotency-Key), then rounds of conflicting edits and lifecycle events with
one If-Match each. Afterwards the database must hold no duplicate SR number,
no status its history does not explain, and exactly one history record per
accepted request, in version order.
"""

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.concurrency.conftest import LiveServer
from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    fire,
    profile_body,
    social_sr_body,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CASEDESK_TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="replicas need a shared database server; SQLite serves one host",
    ),
]

SERVICE_REQUESTS = 200
PROFILES = 40
ROUNDS = 4
RETRIED_EVERY = 3
"""Every third create is also sent through the other replica with the same key."""
MAX_SRS_IN_FLIGHT = 16
"""SRs whose rounds run at once; each round sends two to four requests together."""

TERMINAL = {"cancelled"}


@dataclass
class Accepted:
    """A 2xx response to an edit or event: the history record it must have left."""

    event: str
    from_status: str | None
    to_status: str | None
    version: int


@dataclass
class Tally:
    create_requests: int = 0
    create_replays: int = 0
    write_requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    caught_by_update: int = 0
    rounds: int = 0


@pytest.fixture
async def clients(
    servers: tuple[LiveServer, LiveServer],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    first, second = servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=120) as one,
        httpx.AsyncClient(base_url=second.url, timeout=120) as two,
    ):
        yield one, two


def _contenders(
    status: str, owner: AgentLogin, desk: Desk, index: int, round_number: int
) -> list[tuple[AgentLogin, str]]:
    """Requests that are each valid from `status`, so only the version picks the winner."""
    choices = {
        "escalated": [(desk.tier2, "resolve"), (desk.tier2, "hold"), (owner, "edit")],
        "on_hold": [(desk.tier2, "resume"), (owner, "edit"), (desk.tier2, "edit")],
        "resolved": [(desk.tier2, "de_escalate"), (owner, "edit")],
        "de_escalated": [(owner, "close"), (owner, "reject_resolution")],
        "closed": [(owner, "reopen"), (owner, "reopen")],
    }
    contenders = choices[status]
    if index % 10 == 0 and round_number == 2 and status != "closed":
        # Cancel ends an SR from any status but Closed.
        contenders = [(owner, "cancel"), *contenders]
    return contenders


async def _create_all(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], desk: Desk, tally: Tally
) -> list[tuple[dict[str, Any], AgentLogin]]:
    """Create the profiles, then the SRs, each create with a key and some retried at once."""
    owners = [desk.social, desk.social_peer]

    async def create(
        index: int, path: str, body: dict[str, Any], login: AgentLogin
    ) -> dict[str, Any]:
        headers = {**login.headers, "Idempotency-Key": f"{path}-{index}"}
        copies = 2 if index % RETRIED_EVERY == 0 else 1
        responses = await asyncio.gather(
            *(
                clients[(index + copy) % 2].post(path, json=body, headers=headers)
                for copy in range(copies)
            )
        )
        tally.create_requests += copies
        tally.create_replays += sum(
            r.headers.get("Idempotent-Replayed") == "true" for r in responses
        )
        for response in responses:
            assert response.status_code == 201, response.text
            assert response.content == responses[0].content
        return responses[0].json()  # type: ignore[no-any-return]

    profiles = await asyncio.gather(
        *(
            create(i, "/profiles", profile_body(), owners[i % 2])
            for i in range(PROFILES)
        )
    )
    srs = await asyncio.gather(
        *(
            create(
                i,
                "/service-requests",
                social_sr_body(profiles[i % PROFILES]["id"]),
                owners[(i % PROFILES) % 2],
            )
            for i in range(SERVICE_REQUESTS)
        )
    )
    return [(sr, owners[(i % PROFILES) % 2]) for i, sr in enumerate(srs)]


async def _play_rounds(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    desk: Desk,
    index: int,
    sr: dict[str, Any],
    owner: AgentLogin,
    tally: Tally,
) -> list[Accepted]:
    """Fire conflicting requests with one If-Match per round; exactly one must win."""
    accepted: list[Accepted] = []
    for round_number in range(ROUNDS):
        reader = clients[(index + round_number) % 2]
        current = await reader.get(
            f"/service-requests/{sr['id']}", headers=owner.headers
        )
        assert current.status_code == 200, current.text
        sr = current.json()
        if sr["status"] in TERMINAL:
            break

        contenders = _contenders(sr["status"], owner, desk, index, round_number)
        requests: list[Awaitable[httpx.Response]] = []
        for position, (login, kind) in enumerate(contenders):
            client = clients[(index + round_number + position) % 2]
            if kind == "edit":
                requests.append(
                    client.patch(
                        f"/service-requests/{sr['id']}",
                        json={
                            "contact_reason": f"Round {round_number} edit {position}: reboots."
                        },
                        headers=login.matching(f'"{sr["version"]}"'),
                    )
                )
            else:
                requests.append(fire(client, login, sr, kind, EVENT_BODIES[kind]))
        responses = await asyncio.gather(*requests)
        tally.rounds += 1
        tally.write_requests += len(responses)
        tally.statuses.update(r.status_code for r in responses)

        winners = [
            (kind, r)
            for (_, kind), r in zip(contenders, responses, strict=True)
            if r.is_success
        ]
        losers = [r for r in responses if not r.is_success]
        assert len(winners) == 1, [r.text for r in responses]
        assert [r.status_code for r in losers] == [412] * len(losers), [
            r.text for r in losers
        ]
        tally.caught_by_update += sum(
            "service request changed" in r.json()["detail"] for r in losers
        )
        kind, response = winners[0]
        after = response.json()
        assert after["version"] == sr["version"] + 1
        if kind == "edit":
            accepted.append(Accepted("edited", None, None, after["version"]))
        else:
            accepted.append(
                Accepted(kind, sr["status"], after["status"], after["version"])
            )
    return accepted


def _load(database_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            srs = [
                dict(row._mapping)
                for row in connection.execute(
                    sa.text("SELECT id, number, status, version FROM service_request")
                )
            ]
            history = [
                dict(row._mapping)
                for row in connection.execute(
                    sa.text(
                        "SELECT id, service_request_id, event, from_status, to_status "
                        "FROM service_request_history ORDER BY id"
                    )
                )
            ]
            keys = connection.execute(
                sa.text("SELECT count(*) FROM idempotency_record")
            ).scalar_one()
    finally:
        engine.dispose()
    return srs, history, int(keys)


async def test_two_replicas_keep_every_invariant(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    database_url: str,
    report: Callable[[str], None],
) -> None:
    tally = Tally()
    created = await _create_all(clients, live_desk, tally)

    limit = asyncio.Semaphore(MAX_SRS_IN_FLIGHT)

    async def play(index: int) -> list[Accepted]:
        sr, owner = created[index]
        async with limit:
            return await _play_rounds(clients, live_desk, index, sr, owner, tally)

    accepted_per_sr = await asyncio.gather(*(play(i) for i in range(len(created))))

    srs, history, keys = _load(database_url)
    by_id = {str(row["id"]): row for row in srs}
    numbers = [row["number"] for row in srs]

    assert len(srs) == SERVICE_REQUESTS
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == sorted(sr["number"] for sr, _ in created)
    assert keys == PROFILES + SERVICE_REQUESTS

    records: dict[str, list[dict[str, Any]]] = {str(row["id"]): [] for row in srs}
    for record in history:
        records[str(record["service_request_id"])].append(record)

    for (sr, _), accepted in zip(created, accepted_per_sr, strict=True):
        stored = by_id[sr["id"]]
        trail = records[sr["id"]]
        # Rounds run one after another per SR, so accepted writes are in version order.
        assert [a.version for a in accepted] == list(range(2, 2 + len(accepted)))
        steps = [(r["event"], r["from_status"], r["to_status"]) for r in trail]
        assert steps == [
            ("created", None, "open"),
            ("escalate", "open", "escalated"),
            *((a.event, a.from_status, a.to_status) for a in accepted),
        ], sr["number"]

        # Replay the status changes: each starts where the last ended.
        status = None
        for record in trail:
            if record["to_status"] is None:
                continue
            assert record["from_status"] == status, sr["number"]
            status = record["to_status"]
        assert stored["status"] == status, sr["number"]
        assert stored["version"] == 1 + len(accepted), sr["number"]

    accepted_total = sum(len(accepted) for accepted in accepted_per_sr)
    report(
        f"replicas: {len(srs)} SRs from {tally.create_requests} create requests "
        f"({PROFILES} profiles included, {tally.create_replays} answered by replay); "
        f"{len(set(numbers))} distinct SR numbers; "
        f"{tally.rounds} rounds with {tally.write_requests} conflicting writes: "
        f"{dict(sorted(tally.statuses.items()))}, "
        f"{tally.caught_by_update} losers stopped by the UPDATE's version check; "
        f"{accepted_total} accepted writes, {len(history)} history records checked, "
        f"final statuses {dict(Counter(row['status'] for row in srs))}"
    )
