"""The per-process token cache: off by default; when on, a cached token is still revoked,
expired and deactivated at once by the API."""

from datetime import timedelta

import httpx
import pytest

from app.db import Database
from app.domain.agents import service as agents
from app.domain.vocabulary import Tier, Tier1Kind
from app.settings import Settings
from tests.factories import Desk, FrozenClock, create_login


class TestCacheEnabled:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"auth_cache_ttl": timedelta(seconds=2)})

    async def test_revoked_token_rejected_while_cached(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        me = await client.get("/agents/me", headers=desk.social.headers)
        assert me.status_code == 200
        tokens = await client.get(
            f"/agents/{desk.social.id}/tokens", headers=desk.supervisor.headers
        )
        token_id = tokens.json()[0]["id"]

        revoked = await client.post(
            f"/tokens/{token_id}/revoke", headers=desk.supervisor.headers
        )
        assert revoked.status_code == 200

        after = await client.get("/agents/me", headers=desk.social.headers)
        assert after.status_code == 401
        assert "revoked" in after.json()["detail"]

    async def test_deactivated_agent_rejected_while_cached(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        assert (
            await client.get("/agents/me", headers=desk.store.headers)
        ).status_code == 200

        deactivated = await client.post(
            f"/agents/{desk.store.id}/deactivate",
            json={"reassign_to": desk.sales.id},
            headers=desk.supervisor.headers,
        )
        assert deactivated.status_code == 200, deactivated.text

        after = await client.get("/agents/me", headers=desk.store.headers)
        assert after.status_code == 401

    async def test_cached_token_expires_on_time(
        self, client: httpx.AsyncClient, db: Database, clock: FrozenClock
    ) -> None:
        login = create_login(
            db,
            clock.now,
            tier=Tier.tier1,
            kind=Tier1Kind.social_media,
            token_ttl=timedelta(hours=1),
        )
        assert (
            await client.get("/agents/me", headers=login.headers)
        ).status_code == 200

        clock.advance(timedelta(hours=1))

        after = await client.get("/agents/me", headers=login.headers)
        assert after.status_code == 401
        assert "expired" in after.json()["detail"]

    async def test_revoke_outside_api_served_from_cache(
        self, client: httpx.AsyncClient, db: Database, desk: Desk, clock: FrozenClock
    ) -> None:
        """A revoke that bypasses the API (the CLI, another process) waits for the entry to age out."""
        assert (
            await client.get("/agents/me", headers=desk.sales.headers)
        ).status_code == 200
        supervisor = db.run(agents.authenticate, desk.supervisor.token, clock.now)
        token_id = db.run(agents.list_tokens, desk.sales.agent.id)[0].id
        db.run(agents.revoke_token, supervisor, token_id, clock.now)

        cached = await client.get("/agents/me", headers=desk.sales.headers)
        assert cached.status_code == 200


def test_cache_is_off_by_default() -> None:
    assert Settings().auth_cache_ttl == timedelta(0)


async def test_revoke_outside_api_applies_at_once(
    client: httpx.AsyncClient, db: Database, desk: Desk, clock: FrozenClock
) -> None:
    assert (
        await client.get("/agents/me", headers=desk.sales.headers)
    ).status_code == 200
    supervisor = db.run(agents.authenticate, desk.supervisor.token, clock.now)
    token_id = db.run(agents.list_tokens, desk.sales.agent.id)[0].id
    db.run(agents.revoke_token, supervisor, token_id, clock.now)

    after = await client.get("/agents/me", headers=desk.sales.headers)
    assert after.status_code == 401
