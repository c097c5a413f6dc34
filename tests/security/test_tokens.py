"""Tokens expire and can be revoked; each token and each searcher is rate-limited."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.db import Database, Tx
from app.domain.agents import service as agents
from app.domain.vocabulary import Tier, Tier1Kind
from app.main import create_app
from app.settings import Settings
from tests.factories import Desk, FrozenClock, create_login, create_profile
from tests.security.conftest import row_counts


def _token_id(db: Database, agent_id: uuid.UUID) -> str:
    tokens = db.run(agents.list_tokens, agent_id)
    return str(tokens[0].id)


class TestRevoke:
    async def test_revoked_token_is_401(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        token_id = _token_id(db, desk.social.agent.id)

        revoked = await client.post(
            f"/tokens/{token_id}/revoke", headers=desk.social.headers
        )
        after = await client.get("/agents/me", headers=desk.social.headers)

        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        assert after.status_code == 401
        assert after.json()["type"] == "/problems/unauthenticated"
        assert "revoked" in after.json()["detail"]

    async def test_agent_cannot_revoke_another_agents_token(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        token_id = _token_id(db, desk.social_peer.agent.id)

        response = await client.post(
            f"/tokens/{token_id}/revoke", headers=desk.social.headers
        )
        still = await client.get("/agents/me", headers=desk.social_peer.headers)

        assert response.status_code == 404
        assert still.status_code == 200

    async def test_supervisor_revokes_any_token(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        token_id = _token_id(db, desk.tier2.agent.id)

        response = await client.post(
            f"/tokens/{token_id}/revoke", headers=desk.supervisor.headers
        )
        after = await client.get("/agents/me", headers=desk.tier2.headers)

        assert response.status_code == 200
        assert after.status_code == 401

    async def test_deactivated_agent_is_401(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            f"/agents/{desk.community.id}/deactivate",
            json={},
            headers=desk.supervisor.headers,
        )
        after = await client.get("/agents/me", headers=desk.community.headers)

        assert response.status_code == 200, response.text
        assert after.status_code == 401


class TestExpiry:
    async def test_token_works_until_expiry(
        self, client: httpx.AsyncClient, db: Database, clock: FrozenClock
    ) -> None:
        login = create_login(
            db,
            clock.now,
            tier=Tier.tier1,
            kind=Tier1Kind.store,
            token_ttl=timedelta(days=1),
        )

        clock.advance(timedelta(hours=23, minutes=59))
        before = await client.get("/agents/me", headers=login.headers)
        clock.advance(timedelta(minutes=1))
        at_expiry = await client.get("/agents/me", headers=login.headers)

        assert before.status_code == 200
        assert at_expiry.status_code == 401
        assert "expired" in at_expiry.json()["detail"]

    async def test_issued_token_carries_requested_lifetime(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        response = await client.post(
            f"/agents/{desk.store.id}/tokens",
            json={"label": "phone", "ttl_days": 7},
            headers=desk.supervisor.headers,
        )

        assert response.status_code == 201, response.text
        issued = response.json()
        assert issued["expires_at"] == (
            clock.now + timedelta(days=7)
        ).isoformat().replace("+00:00", "Z")

    async def test_unknown_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/agents/me", headers={"Authorization": "Bearer cdk_not-a-real-token"}
        )

        assert response.status_code == 401
        assert "cdk_not-a-real-token" not in response.text


@pytest.fixture
async def limited_app(settings: Settings, clock: FrozenClock) -> AsyncIterator[FastAPI]:
    """An app whose limits a test reaches in a few requests: 2 per token, 1 search."""
    limited = settings.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 2,
            "search_rate_limit_per_minute": 1,
        }
    )
    application = create_app(limited, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def limited_client(limited_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://casedesk.test"
    ) as http:
        yield http


class TestRateLimits:
    async def test_third_request_is_429(
        self, limited_client: httpx.AsyncClient, desk: Desk
    ) -> None:
        statuses = [
            (
                await limited_client.get("/agents/me", headers=desk.tier2.headers)
            ).status_code
            for _ in range(3)
        ]
        response = await limited_client.get("/agents/me", headers=desk.tier2.headers)

        assert statuses == [200, 200, 429]
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/rate-limited"
        retry_after = int(response.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        assert response.json()["retry_after"] == retry_after

    async def test_limit_is_per_token(
        self, limited_client: httpx.AsyncClient, desk: Desk
    ) -> None:
        for _ in range(3):
            await limited_client.get("/agents/me", headers=desk.tier2.headers)

        other = await limited_client.get("/agents/me", headers=desk.tier2_peer.headers)

        assert other.status_code == 200

    async def test_search_is_limited_and_audited(
        self, limited_client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        before = row_counts(db)["profile_search"]

        first = await limited_client.post(
            "/profiles/search",
            json={"email": "nobody@example.com"},
            headers=desk.supervisor.headers,
        )
        second = await limited_client.post(
            "/profiles/search",
            json={"email": "nobody@example.com"},
            headers=desk.supervisor.headers,
        )

        assert first.status_code == 200
        assert second.status_code == 429
        assert second.json()["type"] == "/problems/rate-limited"
        assert "Retry-After" in second.headers
        assert row_counts(db)["profile_search"] == before + 1


async def test_search_audit_records_no_identifier(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    profile = await create_profile(client, desk.social)

    await client.post(
        "/profiles/search", json={"email": profile["email"]}, headers=desk.tier2.headers
    )

    def audit(tx: Tx) -> list[dict[str, Any]]:
        return tx.query(sa.text("SELECT * FROM profile_search"))

    records = db.run(audit, write=False)
    assert len(records) == 1
    assert records[0]["identifier"] == "email"
    assert records[0]["matches"] == 1
    assert profile["email"] not in str(records[0])
