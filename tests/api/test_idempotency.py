"""`Idempotency-Key` on creates: replay, reuse with another body, scope and expiry."""

from datetime import timedelta

import httpx
import sqlalchemy as sa

from app.db import Database, Tx
from app.main import create_app
from app.settings import Settings
from tests.factories import (
    Desk,
    FrozenClock,
    create_profile,
    profile_body,
    social_sr_body,
)


def _count(db: Database, table: str) -> int:
    def count(tx: Tx) -> int:
        return int(tx.query(sa.text(f"SELECT count(*) AS n FROM {table}"))[0]["n"])

    return db.run(count, write=False)


async def _post(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
    key: str,
) -> httpx.Response:
    return await client.post(
        path, json=body, headers={**headers, "Idempotency-Key": key}
    )


class TestReplay:
    async def test_profile_retry_returns_first_response(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        body = profile_body()
        first = await _post(client, "/profiles", body, desk.social.headers, "profile-1")
        retry = await _post(client, "/profiles", body, desk.social.headers, "profile-1")

        assert first.status_code == 201, first.text
        assert retry.status_code == 201, retry.text
        assert retry.content == first.content
        assert retry.headers["Location"] == first.headers["Location"]
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert _count(db, "profile") == 1

    async def test_sr_retry_creates_one_sr(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)
        body = social_sr_body(profile["id"])
        responses = [
            await _post(client, "/service-requests", body, desk.social.headers, "sr-1")
            for _ in range(3)
        ]

        assert [r.status_code for r in responses] == [201, 201, 201]
        assert {r.content for r in responses} == {responses[0].content}
        assert responses[0].json()["number"] == "SR-00000001"
        assert _count(db, "service_request") == 1
        history = await client.get(
            "/service-requests/SR-00000001/history", headers=desk.social.headers
        )
        assert [h["event"] for h in history.json()["items"]] == ["created", "escalate"]

    async def test_key_order_does_not_matter(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body()
        first = await _post(client, "/profiles", body, desk.social.headers, "same-body")
        reordered = dict(reversed(list(body.items())))
        retry = await _post(
            client, "/profiles", reordered, desk.social.headers, "same-body"
        )

        assert retry.status_code == 201, retry.text
        assert retry.json()["id"] == first.json()["id"]


class TestReuse:
    async def test_another_body_is_rejected(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        await _post(client, "/profiles", profile_body(), desk.social.headers, "k")
        reused = await _post(
            client, "/profiles", profile_body(), desk.social.headers, "k"
        )

        assert reused.status_code == 422, reused.text
        assert reused.json()["type"].endswith("/idempotency-key-reused")
        assert reused.json()["errors"][0]["parameter"] == "Idempotency-Key"
        assert _count(db, "profile") == 1

    async def test_another_operation_is_rejected(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await _post(
            client, "/profiles", profile_body(), desk.social.headers, "k"
        )
        sr = await _post(
            client,
            "/service-requests",
            social_sr_body(profile.json()["id"]),
            desk.social.headers,
            "k",
        )

        assert sr.status_code == 422, sr.text
        assert sr.json()["type"].endswith("/idempotency-key-reused")

    async def test_keys_belong_to_one_agent(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        mine = await _post(
            client, "/profiles", profile_body(), desk.social.headers, "k"
        )
        theirs = await _post(
            client, "/profiles", profile_body(), desk.social_peer.headers, "k"
        )

        assert mine.status_code == 201, mine.text
        assert theirs.status_code == 201, theirs.text
        assert theirs.json()["id"] != mine.json()["id"]
        assert _count(db, "profile") == 2


class TestExpiry:
    async def test_key_is_remembered_until_the_window_ends(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        clock: FrozenClock,
        settings: Settings,
    ) -> None:
        body = profile_body()
        first = await _post(client, "/profiles", body, desk.social.headers, "k")
        clock.advance(settings.idempotency_ttl - timedelta(seconds=1))
        retry = await _post(client, "/profiles", body, desk.social.headers, "k")

        assert settings.idempotency_ttl == timedelta(hours=24)
        assert retry.status_code == 201, retry.text
        assert retry.content == first.content
        assert retry.headers["Idempotent-Replayed"] == "true"

    async def test_expired_key_starts_a_new_create(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        clock: FrozenClock,
        settings: Settings,
        db: Database,
    ) -> None:
        await _post(client, "/profiles", profile_body(), desk.social.headers, "k")
        clock.advance(settings.idempotency_ttl)
        other = await _post(
            client, "/profiles", profile_body(), desk.social.headers, "k"
        )
        retry = await _post(
            client, "/profiles", profile_body(), desk.social.headers, "k"
        )

        assert other.status_code == 201, other.text
        assert "Idempotent-Replayed" not in other.headers
        assert _count(db, "profile") == 2
        # The key now belongs to the second create, for a new window.
        assert retry.status_code == 422, retry.text

    async def test_window_follows_the_setting(
        self, desk: Desk, clock: FrozenClock, settings: Settings
    ) -> None:
        short = settings.model_copy(update={"idempotency_ttl": timedelta(minutes=5)})
        app = create_app(short, clock=clock, configure_logs=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://casedesk.test"
            ) as client,
        ):
            body = profile_body()
            first = await _post(client, "/profiles", body, desk.social.headers, "k")
            clock.advance(timedelta(minutes=4, seconds=59))
            replay = await _post(client, "/profiles", body, desk.social.headers, "k")
            clock.advance(timedelta(seconds=1))
            fresh = await _post(client, "/profiles", body, desk.social.headers, "k")

        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json()["id"] == first.json()["id"]
        # Same body after expiry: a new create, which the email check rejects.
        assert fresh.status_code == 409, fresh.text
        assert fresh.json()["type"].endswith("/duplicate-profile")
