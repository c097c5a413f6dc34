"""Every error is RFC 9457 problem details, without stack traces, SQL or personal data."""

import sqlite3
from typing import Any

import httpx
import pytest

from app.db import Database
from tests.factories import Desk, profile_body
from tests.security.conftest import row_counts

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}


def _assert_problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert PROBLEM_MEMBERS <= set(problem)
    assert problem["status"] == status
    assert problem["type"] == f"/problems/{kind}"
    assert problem["instance"] == response.request.url.path
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem  # type: ignore[no-any-return]


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/path")

    _assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/profiles"),
        ("PUT", "/service-requests/SR-00000001"),
        ("POST", "/health/live"),
    ],
)
async def test_wrong_method_is_405(
    method: str, path: str, client: httpx.AsyncClient
) -> None:
    response = await client.request(method, path)

    problem = _assert_problem(response, 405, "method-not-allowed")
    assert method in problem["detail"]
    assert response.headers["allow"]


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/agents/me")

    _assert_problem(response, 401, "unauthenticated")


async def test_problem_types_are_documented(client: httpx.AsyncClient) -> None:
    catalog = (await client.get("/problems")).json()
    slugs = {entry["type"].rsplit("/", 1)[-1] for entry in catalog}

    assert {
        "not-found",
        "method-not-allowed",
        "unsupported-media-type",
        "content-too-large",
        "internal-error",
        "rate-limited",
        "invalid-input",
    } <= slugs


class TestServerError:
    """A failure deep in the database layer becomes a bare 500 and rolls back."""

    SECRET = "mariana.leak@example.com"

    def _break_commit(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        def failing_commit(dbapi: Any) -> None:
            raise sqlite3.OperationalError(
                f"INSERT INTO profile (email) VALUES ('{self.SECRET}') failed: disk I/O error"
            )

        monkeypatch.setattr(db, "_commit", failing_commit)

    async def test_body_hides_the_cause(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self._break_commit(db, monkeypatch)

        response = await client.post(
            "/profiles",
            json=profile_body(email=self.SECRET),
            headers=desk.social.headers,
        )

        problem = _assert_problem(response, 500, "internal-error")
        for leak in (
            self.SECRET,
            "INSERT",
            "profile (",
            "Traceback",
            "OperationalError",
        ):
            assert leak not in response.text, leak
        assert "nothing was saved" in problem["detail"]

    async def test_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        before = row_counts(db)
        self._break_commit(db, monkeypatch)

        await client.post("/profiles", json=profile_body(), headers=desk.social.headers)
        monkeypatch.undo()

        assert row_counts(db) == before

    async def test_log_names_only_the_error_class(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        self._break_commit(db, monkeypatch)

        await client.post(
            "/profiles",
            json=profile_body(email=self.SECRET),
            headers=desk.social.headers,
        )
        logs = capfd.readouterr().err

        assert '"error_type":"OperationalError"' in logs
        assert self.SECRET not in logs
        assert "INSERT" not in logs
