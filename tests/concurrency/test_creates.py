"""Concurrent creates through two server processes: idempotent retries and SR numbers."""

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from tests.concurrency.conftest import LiveServer
from tests.factories import Desk, create_profile, profile_body, social_sr_body

pytestmark = pytest.mark.slow

RETRIES = 8
CREATES = 100


@pytest.fixture
async def clients(
    servers: tuple[LiveServer, LiveServer],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    first, second = servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=60) as one,
        httpx.AsyncClient(base_url=second.url, timeout=60) as two,
    ):
        yield one, two


def count_rows(database_url: str, table: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text(f"SELECT count(*) FROM {table}")
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def test_concurrent_retries_create_one_sr(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    database_url: str,
) -> None:
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    body = social_sr_body(profile["id"])
    headers = {**live_desk.social.headers, "Idempotency-Key": "retry-while-running"}

    responses = await asyncio.gather(
        *(
            (one, two)[i % 2].post("/service-requests", json=body, headers=headers)
            for i in range(RETRIES)
        )
    )

    assert [r.status_code for r in responses] == [201] * RETRIES, [
        r.text for r in responses
    ]
    assert len({r.content for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") == "true" for r in responses]
    assert replayed.count(False) == 1
    assert count_rows(database_url, "service_request") == 1
    assert count_rows(database_url, "service_request_history") == 2


async def test_concurrent_retries_create_one_profile(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    database_url: str,
) -> None:
    one, two = clients
    body = profile_body()
    headers = {**live_desk.social.headers, "Idempotency-Key": "profile-retry"}

    responses = await asyncio.gather(
        *(
            (one, two)[i % 2].post("/profiles", json=body, headers=headers)
            for i in range(RETRIES)
        )
    )

    # Without the key the losers would get 409 for the duplicate email.
    assert [r.status_code for r in responses] == [201] * RETRIES, [
        r.text for r in responses
    ]
    assert len({r.content for r in responses}) == 1
    assert count_rows(database_url, "profile") == 1


async def test_concurrent_reuse_with_other_body_is_rejected(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    database_url: str,
) -> None:
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    bodies = [
        social_sr_body(profile["id"], contact_reason="First wording of the problem."),
        social_sr_body(profile["id"], contact_reason="Second wording of the problem."),
    ]
    headers = {**live_desk.social.headers, "Idempotency-Key": "two-bodies"}

    responses = await asyncio.gather(
        *(
            (one, two)[i % 2].post(
                "/service-requests", json=bodies[(i // 2) % 2], headers=headers
            )
            for i in range(RETRIES)
        )
    )

    created = [r for r in responses if r.status_code == 201]
    rejected = [r for r in responses if r.status_code == 422]
    assert len(created) + len(rejected) == RETRIES, [r.text for r in responses]
    assert len({r.content for r in created}) == 1
    winner = created[0].json()["contact_reason"]
    sent = [bodies[(i // 2) % 2]["contact_reason"] for i in range(RETRIES)]
    for response, reason in zip(responses, sent, strict=True):
        expected = 201 if reason == winner else 422
        assert response.status_code == expected, response.text
    assert all(r.json()["type"].endswith("/idempotency-key-reused") for r in rejected)
    assert count_rows(database_url, "service_request") == 1


async def test_sr_numbers_unique_under_concurrent_creates(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    report: Callable[[str], None],
) -> None:
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    responses = await asyncio.gather(
        *(
            (one, two)[i % 2].post(
                "/service-requests",
                json=social_sr_body(profile["id"]),
                headers=live_desk.social.headers,
            )
            for i in range(CREATES)
        )
    )

    assert [r.status_code for r in responses] == [201] * CREATES, [
        r.text for r in responses if r.status_code != 201
    ]
    numbers = sorted(r.json()["number"] for r in responses)
    # Every create committed, so the counter or sequence has no gaps either.
    assert numbers == [f"SR-{n:08d}" for n in range(1, CREATES + 1)]
    report(
        f"{CREATES} concurrent creates through two processes: {len(set(numbers))} distinct SR numbers"
    )


async def _wait_for_lock_waiters(connection: psycopg.Connection, count: int) -> None:
    """Poll until `count` sessions on this database wait for a lock."""
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        waiting = connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting is not None and waiting[0] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} sessions waited for a lock within 60 s")


async def test_retry_waits_for_the_running_first_request(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    live_desk: Desk,
    database_url: str,
    is_postgres: bool,
) -> None:
    """The first create is held inside its transaction, so the retry surely overlaps it."""
    if not is_postgres:
        pytest.skip("SQLite runs one write at a time, so a retry cannot overlap")
    one, two = clients
    profile = await create_profile(one, live_desk.social)
    body = social_sr_body(profile["id"])
    headers = {**live_desk.social.headers, "Idempotency-Key": "held-first"}
    url = database_url.replace("postgresql+psycopg://", "postgresql://")

    with (
        psycopg.connect(url) as blocker,
        psycopg.connect(url, autocommit=True) as probe,
    ):
        # The SR's foreign key check needs a share lock on the profile row, so
        # the first create stops there, after it claimed the key.
        blocker.execute(
            "SELECT id FROM profile WHERE id = %s FOR UPDATE", (profile["id"],)
        )
        first = asyncio.create_task(
            one.post("/service-requests", json=body, headers=headers)
        )
        await _wait_for_lock_waiters(probe, 1)
        retry = asyncio.create_task(
            two.post("/service-requests", json=body, headers=headers)
        )
        # The retry now waits on the first request's claim of the key.
        await _wait_for_lock_waiters(probe, 2)
        assert not first.done()
        assert not retry.done()
        blocker.rollback()
        first_response, retry_response = await first, await retry

    assert first_response.status_code == 201, first_response.text
    assert retry_response.status_code == 201, retry_response.text
    assert retry_response.content == first_response.content
    assert "Idempotent-Replayed" not in first_response.headers
    assert retry_response.headers["Idempotent-Replayed"] == "true"
    assert count_rows(database_url, "service_request") == 1
