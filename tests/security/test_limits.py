"""Bad input gets problem details and stores nothing: size, syntax, types, characters, fields, pages."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.db import Database
from tests.factories import (
    Desk,
    create_profile,
    create_social_sr,
    profile_body,
    social_sr_body,
)
from tests.security.conftest import row_counts

TWO_MB = 2 * 1024 * 1024


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["instance"] == response.request.url.path
    return problem  # type: ignore[no-any-return]


async def test_two_megabyte_body_is_413(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    before = row_counts(db)
    body = profile_body(first_name="A" * TWO_MB)

    response = await client.post("/profiles", json=body, headers=desk.social.headers)

    problem = _assert_problem(response, 413)
    assert problem["type"] == "/problems/content-too-large"
    assert row_counts(db) == before


async def test_streamed_body_without_length_is_413(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    before = row_counts(db)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"first_name": "'
        for _ in range(32):
            yield b"A" * 65_536
        yield b'"}'

    response = await client.post(
        "/profiles",
        content=chunks(),
        headers={**desk.social.headers, "Content-Type": "application/json"},
    )

    problem = _assert_problem(response, 413)
    assert problem["type"] == "/problems/content-too-large"
    assert row_counts(db) == before


BAD_PROFILES = [
    pytest.param(b'{"first_name": "Ana", ', "", "json_invalid", id="malformed-json"),
    pytest.param(b'\xff\xfe{"a": 1}', "", "json_invalid", id="not-utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "", "json_invalid", id="too-deep"),
    pytest.param(
        b'{"first_name": "Ana", "first_name": "Bia"}',
        "",
        "json_invalid",
        id="duplicate-key",
    ),
    pytest.param(
        b'{"follower_count": ' + b"9" * 5000 + b"}",
        "",
        "json_invalid",
        id="too-many-digits",
    ),
    pytest.param(
        json.dumps(profile_body(first_name=123)).encode(),
        "/first_name",
        "string_type",
        id="wrong-type",
    ),
    pytest.param(
        json.dumps(profile_body(address="Rua A")).encode(),
        "/address",
        "model_attributes_type",
        id="object-as-string",
    ),
    pytest.param(
        json.dumps(profile_body(first_name="Ana\x00")).encode(),
        "/first_name",
        "string_pattern_mismatch",
        id="nul-character",
    ),
    pytest.param(
        json.dumps(profile_body(last_name="Souza\nSilva")).encode(),
        "/last_name",
        "string_pattern_mismatch",
        id="newline-in-name",
    ),
    pytest.param(
        json.dumps(profile_body(is_admin=True)).encode(),
        "/is_admin",
        "extra_forbidden",
        id="unknown-field",
    ),
    pytest.param(
        json.dumps(profile_body(first_name="A" * 101)).encode(),
        "/first_name",
        "string_too_long",
        id="long-string",
    ),
    pytest.param(
        json.dumps(profile_body(email="a" * 400 + "@example.com")).encode(),
        "/email",
        "string_too_long",
        id="long-email",
    ),
]


@pytest.mark.parametrize(("content", "pointer", "kind"), BAD_PROFILES)
async def test_bad_profile_body_is_rejected(
    content: bytes,
    pointer: str,
    kind: str,
    client: httpx.AsyncClient,
    desk: Desk,
    db: Database,
) -> None:
    before = row_counts(db)

    response = await client.post(
        "/profiles",
        content=content,
        headers={**desk.social.headers, "Content-Type": "application/json"},
    )

    problem = _assert_problem(response, 422)
    assert problem["type"] == "/problems/invalid-input"
    assert {"location": "body", "pointer": pointer, "type": kind} in [
        {key: entry.get(key) for key in ("location", "pointer", "type")}
        for entry in problem["errors"]
    ]
    assert row_counts(db) == before


async def test_body_values_are_not_echoed(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    secret = "mariana.secret@example"
    response = await client.post(
        "/profiles",
        json=profile_body(email=secret, phone="call-me-maybe 0000"),
        headers=desk.social.headers,
    )

    _assert_problem(response, 422)
    assert secret not in response.text
    assert "call-me-maybe" not in response.text


async def test_wrong_media_type_is_415(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    before = row_counts(db)

    response = await client.post(
        "/profiles",
        content=json.dumps(profile_body()),
        headers={**desk.social.headers, "Content-Type": "text/plain"},
    )

    problem = _assert_problem(response, 415)
    assert problem["type"] == "/problems/unsupported-media-type"
    assert row_counts(db) == before


async def test_lifecycle_field_is_rejected(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = row_counts(db)

    response = await client.patch(
        f"/service-requests/{sr['id']}",
        json={"status": "closed"},
        headers=desk.social.matching('"1"'),
    )

    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["pointer"] == "/status"
    assert "lifecycle event" in problem["errors"][0]["detail"]
    assert row_counts(db) == before


async def test_too_many_categories_is_rejected(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = row_counts(db)

    response = await client.patch(
        f"/service-requests/{sr['id']}",
        json={"additional_categories": ["rrt"] * 5},
        headers=desk.social.matching('"1"'),
    )

    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["pointer"] == "/additional_categories"
    assert problem["errors"][0]["type"] == "too_long"
    assert row_counts(db) == before


class TestNoteText:
    """Notes keep line breaks and tabs; other control characters are rejected."""

    async def test_newlines_are_kept(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": "Line one.\r\n\tLine two."},
            headers=desk.social.headers,
        )

        assert response.status_code == 201, response.text
        assert response.json()["body"] == "Line one.\r\n\tLine two."

    @pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x0c"])
    async def test_control_character_is_rejected(
        self, character: str, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        before = row_counts(db)

        response = await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": f"Colour{character}[31m"},
            headers=desk.social.headers,
        )

        problem = _assert_problem(response, 422)
        assert problem["errors"][0]["pointer"] == "/body"
        assert row_counts(db) == before


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/agents", {"limit": "1000000"}),
        ("/agents", {"limit": "0"}),
        ("/agents", {"limit": "many"}),
        ("/agents", {"cursor": "x" * 600}),
        ("/agents", {"cursor": "not-a-cursor"}),
    ],
)
async def test_bad_page_parameters_are_rejected(
    path: str, query: dict[str, str], client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(path, params=query, headers=desk.supervisor.headers)

    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["location"] == "query"
    assert problem["errors"][0]["parameter"] == next(iter(query))


async def test_huge_history_page_is_rejected(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)

    response = await client.get(
        f"/service-requests/{sr['id']}/history",
        params={"limit": 100_000},
        headers=desk.social.headers,
    )

    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["parameter"] == "limit"


async def test_oversized_headers_get_431(client: httpx.AsyncClient, desk: Desk) -> None:
    response = await client.get(
        "/agents/me", headers={**desk.social.headers, "X-Padding": "a" * 20_000}
    )

    problem = _assert_problem(response, 431)
    assert problem["type"] == "/problems/header-fields-too-large"
    catalog = (await client.get("/problems")).json()
    assert "/problems/header-fields-too-large" in {entry["type"] for entry in catalog}


async def test_headers_under_the_limit_pass(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.get(
        "/agents/me", headers={**desk.social.headers, "X-Padding": "a" * 8_000}
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("value", [True, "12", 12.5])
async def test_follower_count_must_be_a_json_integer(
    value: object, client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    profile = await create_profile(client, desk.social)
    before = row_counts(db)

    response = await client.post(
        "/service-requests",
        json=social_sr_body(profile["id"], follower_count=value),
        headers=desk.social.headers,
    )

    problem = _assert_problem(response, 422)
    assert [error["pointer"] for error in problem["errors"]] == ["/follower_count"]
    assert row_counts(db) == before


@pytest.mark.parametrize(
    "name",
    ["Ana\u202eanA", "Ana\u2028Souza", "Ana\u2066Souza"],
    ids=["bidi-override", "line-separator", "bidi-isolate"],
)
async def test_names_refuse_unicode_format_controls(
    name: str, client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    before = row_counts(db)

    response = await client.post(
        "/profiles", json=profile_body(first_name=name), headers=desk.social.headers
    )

    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["pointer"] == "/first_name"
    assert "bidirectional override" in problem["errors"][0]["detail"]
    assert name not in response.text
    assert row_counts(db) == before
