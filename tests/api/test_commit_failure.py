"""A commit that fails reaches the client as a 5xx problem, and nothing is written."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.domain.models import metadata
from tests.factories import (
    EVENT_BODIES,
    Desk,
    create_social_sr,
    fire,
    profile_body,
    social_sr_body,
)
from tests.factories import create_profile as make_profile


class CommitFailure:
    """Replaces `Database._commit` so that the next commit raises the driver's error."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.original: Callable[[Any], None] = db._commit
        self.armed = False
        self.failures = 0

    def arm(self) -> None:
        self.armed = True

    def __call__(self, dbapi: Any) -> None:
        if self.armed:
            self.armed = False
            self.failures += 1
            raise self.db.dialect.loaded_dbapi.OperationalError("commit failed")
        self.original(dbapi)


@pytest.fixture
def failing_commit(db: Database, monkeypatch: pytest.MonkeyPatch) -> CommitFailure:
    failure = CommitFailure(db)
    monkeypatch.setattr(db, "_commit", failure)
    return failure


def _row_counts(db: Database) -> dict[str, int]:
    def count(tx: Any) -> dict[str, int]:
        return {
            table.name: len(tx.query(sa.select(*table.primary_key.columns)))
            for table in metadata.sorted_tables
        }

    return db.run(count, write=False)


def _assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/internal-error"
    assert "commit failed" not in response.text


async def test_profile_create(
    client: httpx.AsyncClient, desk: Desk, db: Database, failing_commit: CommitFailure
) -> None:
    before = _row_counts(db)
    failing_commit.arm()

    response = await client.post(
        "/profiles", json=profile_body(), headers=desk.social.headers
    )

    _assert_internal_error(response)
    assert failing_commit.failures == 1
    assert _row_counts(db) == before


async def test_sr_create_with_escalation(
    client: httpx.AsyncClient, desk: Desk, db: Database, failing_commit: CommitFailure
) -> None:
    profile = await make_profile(client, desk.social)
    before = _row_counts(db)
    failing_commit.arm()

    response = await client.post(
        "/service-requests",
        json=social_sr_body(profile["id"]),
        headers={**desk.social.headers, "Idempotency-Key": "create-once"},
    )

    _assert_internal_error(response)
    assert _row_counts(db) == before
    retry = await client.post(
        "/service-requests",
        json=social_sr_body(profile["id"]),
        headers={**desk.social.headers, "Idempotency-Key": "create-once"},
    )
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert _row_counts(db)["service_request"] == 1


async def test_lifecycle_event(
    client: httpx.AsyncClient, desk: Desk, db: Database, failing_commit: CommitFailure
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = _row_counts(db)
    failing_commit.arm()

    response = await fire(client, desk.tier2, sr, "resolve", EVENT_BODIES["resolve"])

    _assert_internal_error(response)
    assert _row_counts(db) == before
    current = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.tier2.headers
    )
    assert current.json()["status"] == "escalated"
    assert current.json()["version"] == 1
    assert current.json()["resolution"] is None
    assert current.json()["assignee_id"] is None


async def test_edit_and_note(
    client: httpx.AsyncClient, desk: Desk, db: Database, failing_commit: CommitFailure
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = _row_counts(db)

    failing_commit.arm()
    edit = await client.patch(
        f"/service-requests/{sr['id']}",
        json={"community_level": "Level 9"},
        headers=desk.social.matching('"1"'),
    )
    failing_commit.arm()
    note = await client.post(
        f"/service-requests/{sr['id']}/notes",
        json={"body": "Lost note."},
        headers=desk.social.headers,
    )

    _assert_internal_error(edit)
    _assert_internal_error(note)
    assert failing_commit.failures == 2
    assert _row_counts(db) == before
    current = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.social.headers
    )
    assert current.json()["community_level"] == sr["community_level"]
    assert current.json()["version"] == 1


async def test_service_recovers_after_failure(
    client: httpx.AsyncClient, desk: Desk, db: Database, failing_commit: CommitFailure
) -> None:
    failing_commit.arm()
    failed = await client.post(
        "/profiles", json=profile_body(), headers=desk.social.headers
    )

    created = await client.post(
        "/profiles", json=profile_body(), headers=desk.social.headers
    )

    _assert_internal_error(failed)
    assert created.status_code == 201, created.text
    assert _row_counts(db)["profile"] == 1
