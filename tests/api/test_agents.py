"""Agents and tokens: created by a supervisor, tokens shown once and stored as hashes."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.domain.agents.models import Agent, ApiToken
from app.main import create_app
from app.settings import Settings
from tests.factories import Desk, create_social_sr

token_table = ApiToken.__table__  # type: ignore[attr-defined]
agent_table = Agent.__table__  # type: ignore[attr-defined]

NEW_AGENT = {
    "name": "Iara Social",
    "tier": "tier1",
    "tier1_kind": "social_media",
    "default_queue": "social-br",
    "time_zone": "America/Sao_Paulo",
}


def _tokens(db: Database) -> list[dict[str, Any]]:
    return db.run(lambda tx: tx.query(sa.select(token_table)), write=False)


async def _create_agent_with_token(
    client: httpx.AsyncClient, desk: Desk
) -> tuple[dict[str, Any], dict[str, Any]]:
    created = await client.post(
        "/agents", json=NEW_AGENT, headers=desk.supervisor.headers
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    issued = await client.post(
        f"/agents/{agent['id']}/tokens",
        json={"label": "laptop", "ttl_days": 7},
        headers=desk.supervisor.headers,
    )
    assert issued.status_code == 201, issued.text
    return agent, issued.json()


async def test_supervisor_creates_agent_and_token(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    agent, token = await _create_agent_with_token(client, desk)

    for field, value in NEW_AGENT.items():
        assert agent[field] == value
    assert agent["active"] is True
    assert token["agent_id"] == agent["id"]
    assert token["label"] == "laptop"
    assert token["token"].startswith("cdk_")
    me = await client.get(
        "/agents/me", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == agent["id"]
    assert me.json()["name"] == NEW_AGENT["name"]


async def test_token_stored_only_as_hash(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    _, token = await _create_agent_with_token(client, desk)
    secret = token["token"]

    rows = [row for row in _tokens(db) if str(row["id"]) == token["id"]]

    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    for row in _tokens(db):
        assert all(secret not in str(value) for value in row.values())
        assert all(secret[4:] not in str(value) for value in row.values())


async def test_token_shown_only_once(client: httpx.AsyncClient, desk: Desk) -> None:
    agent, token = await _create_agent_with_token(client, desk)

    listed = await client.get(
        f"/agents/{agent['id']}/tokens", headers=desk.supervisor.headers
    )

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [token["id"]]
    assert "token" not in listed.json()[0]
    assert token["token"] not in listed.text


async def test_me_without_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/agents/me")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("login", ["social", "tier2"])
async def test_only_supervisor_manages_agents(
    client: httpx.AsyncClient, desk: Desk, db: Database, login: str
) -> None:
    headers = getattr(desk, login).headers
    agent_count = len(db.run(lambda tx: tx.query(sa.select(agent_table.c.id))))

    created = await client.post("/agents", json=NEW_AGENT, headers=headers)
    issued = await client.post(
        f"/agents/{desk.social.id}/tokens", json={}, headers=headers
    )
    listed = await client.get(f"/agents/{desk.social.id}/tokens", headers=headers)

    assert created.status_code == 403
    assert issued.status_code == 403
    assert listed.status_code == 403
    assert len(db.run(lambda tx: tx.query(sa.select(agent_table.c.id)))) == agent_count
    assert len(_tokens(db)) == 9


async def test_deactivated_agent_loses_access(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    agent, token = await _create_agent_with_token(client, desk)
    headers = {"Authorization": f"Bearer {token['token']}"}

    response = await client.post(
        f"/agents/{agent['id']}/deactivate", json={}, headers=desk.supervisor.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert response.json()["deactivated_at"] is not None
    assert (await client.get("/agents/me", headers=headers)).status_code == 401
    tokens = await client.get(
        f"/agents/{agent['id']}/tokens", headers=desk.supervisor.headers
    )
    assert all(item["revoked_at"] is not None for item in tokens.json())
    again = await client.post(
        f"/agents/{agent['id']}/tokens", json={}, headers=desk.supervisor.headers
    )
    assert again.status_code == 409


async def test_revoked_token_is_401(client: httpx.AsyncClient, desk: Desk) -> None:
    _, token = await _create_agent_with_token(client, desk)
    headers = {"Authorization": f"Bearer {token['token']}"}

    revoked = await client.post(f"/tokens/{token['id']}/revoke", headers=headers)

    assert revoked.status_code == 200
    assert (await client.get("/agents/me", headers=headers)).status_code == 401


def _casedesk_command() -> list[str]:
    script = Path(sys.executable).with_name("casedesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


async def test_cli_prints_working_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "CASEDESK_DATABASE_URL": url, "CASEDESK_LOG_FORMAT": "json"}

    result = subprocess.run(
        [
            *_casedesk_command(),
            "agents",
            "create",
            "--name",
            "First Supervisor",
            "--tier",
            "supervisor",
            "--queue",
            "leads",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    match = re.search(r"^token:\s+(\S+)$", result.stdout, re.MULTILINE)
    assert match is not None, result.stdout
    app = create_app(Settings(database_url=url), configure_logs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cli.test"
        ) as http:
            me = await http.get(
                "/agents/me", headers={"Authorization": f"Bearer {match.group(1)}"}
            )
            agents = await http.get(
                "/agents", headers={"Authorization": f"Bearer {match.group(1)}"}
            )
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "First Supervisor"
    assert me.json()["tier"] == "supervisor"
    assert agents.status_code == 200
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        hashes = connection.execute(sa.select(token_table.c.token_hash)).scalars().all()
    engine.dispose()
    assert hashes == [hashlib.sha256(match.group(1).encode()).hexdigest()]


def test_cli_rejects_tier1_without_kind(tmp_path: Path) -> None:
    env = {**os.environ, "CASEDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    result = subprocess.run(
        [
            *_casedesk_command(),
            "agents",
            "create",
            "--name",
            "Ana",
            "--tier",
            "tier1",
            "--queue",
            "q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "tier1_kind is required" in result.stderr
    assert "token:" not in result.stdout


async def test_deactivation_hands_over_srs(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)
    path = f"/agents/{desk.social.id}/deactivate"

    refused = await client.post(path, json={}, headers=desk.supervisor.headers)
    still_active = await client.get("/agents/me", headers=desk.social.headers)
    handed = await client.post(
        path, json={"reassign_to": desk.social_peer.id}, headers=desk.supervisor.headers
    )

    assert refused.status_code == 409
    assert refused.json()["held_service_requests"] == 1
    assert still_active.status_code == 200
    assert handed.status_code == 200, handed.text
    assert handed.json()["active"] is False
    moved = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.social_peer.headers
    )
    assert moved.json()["owner_id"] == desk.social_peer.id
    assert moved.json()["version"] == 2
    assert (
        await client.get("/agents/me", headers=desk.social.headers)
    ).status_code == 401


async def test_supervisor_cannot_deactivate_self(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.post(
        f"/agents/{desk.supervisor.id}/deactivate",
        json={},
        headers=desk.supervisor.headers,
    )

    assert response.status_code == 409
    me = await client.get("/agents/me", headers=desk.supervisor.headers)
    assert me.json()["active"] is True
