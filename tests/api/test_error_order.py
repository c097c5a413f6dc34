"""The order of refusals: each request carries every later fault, and the earliest one wins.

401 no or bad token, 403 the tier may never do this, 404 not found or not
visible, 422 invalid body, 428/412 If-Match, 403 this actor may not act on this
object, 409 not allowed from the current state. After every refusal the SR's
status, version and history are as they were.
"""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    create_profile,
    create_shop_sr,
    create_social_sr,
)

BROKEN_JSON = b'{"closing_note": '


@dataclass(frozen=True)
class Attempt:
    login: str | None
    """Desk attribute of the caller, or None for no token."""
    body: bytes | dict[str, Any]
    if_match: str | None


async def _send(
    client: httpx.AsyncClient,
    desk: Desk,
    method: str,
    path: str,
    attempt: Attempt,
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if attempt.login is not None:
        login: AgentLogin = getattr(desk, attempt.login)
        headers.update(login.headers)
    if attempt.if_match is not None:
        headers["If-Match"] = attempt.if_match
    if isinstance(attempt.body, bytes):
        return await client.request(method, path, content=attempt.body, headers=headers)
    return await client.request(method, path, json=attempt.body, headers=headers)


async def _snapshot(
    client: httpx.AsyncClient, desk: Desk, sr: dict[str, Any]
) -> tuple[Any, ...]:
    current = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.supervisor.headers
    )
    history = await client.get(
        f"/service-requests/{sr['id']}/history", headers=desk.supervisor.headers
    )
    notes = await client.get(
        f"/service-requests/{sr['id']}/notes", headers=desk.supervisor.headers
    )
    body = current.json()
    return (
        body["status"],
        body["version"],
        body["updated_at"],
        body["contact_reason"],
        len(history.json()["items"]),
        len(notes.json()["items"]),
    )


CLOSE_STEPS = [
    # Everything is wrong: no token, an agent who may not see the SR, broken JSON, no If-Match.
    ("no token", Attempt(None, BROKEN_JSON, None), 401, "/problems/unauthenticated"),
    # A supervisor may never close.
    ("tier", Attempt("supervisor", BROKEN_JSON, None), 403, "/problems/role-forbidden"),
    # A Tier 1 agent of another queue may close SRs, but cannot see this one.
    (
        "visibility",
        Attempt("social_other_queue", BROKEN_JSON, None),
        404,
        "/problems/not-found",
    ),
    # A peer in the queue sees the SR, so the body is judged next.
    ("body", Attempt("social_peer", {}, None), 422, "/problems/invalid-input"),
    (
        "if-match missing",
        Attempt("social_peer", EVENT_BODIES["close"], None),
        428,
        "/problems/precondition-required",
    ),
    (
        "if-match stale",
        Attempt("social_peer", EVENT_BODIES["close"], '"9"'),
        412,
        "/problems/precondition-failed",
    ),
    # The peer is not the owner; the SR is also not de-escalated yet.
    (
        "object rule",
        Attempt("social_peer", EVENT_BODIES["close"], '"1"'),
        403,
        "/problems/actor-forbidden",
    ),
    (
        "state",
        Attempt("social", EVENT_BODIES["close"], '"1"'),
        409,
        "/problems/invalid-transition",
    ),
]


@pytest.mark.parametrize(
    ("step", "attempt", "status", "problem"),
    CLOSE_STEPS,
    ids=[step[0] for step in CLOSE_STEPS],
)
async def test_close_refusal_order(
    client: httpx.AsyncClient,
    desk: Desk,
    step: str,
    attempt: Attempt,
    status: int,
    problem: str,
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = await _snapshot(client, desk, sr)

    response = await _send(
        client, desk, "POST", f"/service-requests/{sr['id']}/close", attempt
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == problem
    assert await _snapshot(client, desk, sr) == before


async def test_bad_token_is_401(client: httpx.AsyncClient, desk: Desk) -> None:
    sr = await create_social_sr(client, desk.social)
    before = await _snapshot(client, desk, sr)

    response = await client.post(
        f"/service-requests/{sr['id']}/cancel",
        json=EVENT_BODIES["cancel"],
        headers={"Authorization": "Bearer cdk_not-a-token", "If-Match": '"1"'},
    )

    assert response.status_code == 401
    assert await _snapshot(client, desk, sr) == before


EDIT_STEPS = [
    ("no token", Attempt(None, {"status": "closed"}, None), 401),
    ("tier", Attempt("supervisor", {"status": "closed"}, None), 403),
    ("visibility", Attempt("social_other_queue", {"status": "closed"}, None), 404),
    ("body", Attempt("social_peer", {"status": "closed"}, None), 422),
    ("if-match missing", Attempt("social_peer", {"contact_reason": "New."}, None), 428),
    ("if-match stale", Attempt("social_peer", {"contact_reason": "New."}, '"9"'), 412),
    ("object rule", Attempt("social_peer", {"contact_reason": "New."}, '"1"'), 403),
]


@pytest.mark.parametrize(
    ("step", "attempt", "status"), EDIT_STEPS, ids=[step[0] for step in EDIT_STEPS]
)
async def test_edit_refusal_order(
    client: httpx.AsyncClient, desk: Desk, step: str, attempt: Attempt, status: int
) -> None:
    sr = await create_social_sr(client, desk.social)
    before = await _snapshot(client, desk, sr)

    response = await _send(
        client, desk, "PATCH", f"/service-requests/{sr['id']}", attempt
    )

    assert response.status_code == status, response.text
    assert await _snapshot(client, desk, sr) == before


async def test_edit_by_owner_passes_every_check(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)

    response = await _send(
        client,
        desk,
        "PATCH",
        f"/service-requests/{sr['id']}",
        Attempt("social", {"contact_reason": "New."}, '"1"'),
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize("if_match", [None, '"9"'])
async def test_edit_rule_beats_precondition(
    client: httpx.AsyncClient, desk: Desk, if_match: str | None
) -> None:
    """A body that breaks an edit rule is a 422 before If-Match is judged."""
    sr = await create_shop_sr(client, desk.store)
    before = await _snapshot(client, desk, sr)

    response = await _send(
        client,
        desk,
        "PATCH",
        f"/service-requests/{sr['id']}",
        Attempt("store", {"post_url": "https://example.com/post/1"}, if_match),
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/post_url"
    assert await _snapshot(client, desk, sr) == before


async def test_edit_rule_beats_object_rule(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)
    taken = await client.post(
        f"/service-requests/{sr['id']}/take", headers=desk.tier2.matching('"1"')
    )
    assert taken.status_code == 200, taken.text
    path = f"/service-requests/{sr['id']}"
    before = await _snapshot(client, desk, sr)

    invalid = await _send(
        client,
        desk,
        "PATCH",
        path,
        Attempt("tier2_peer", {"follower_count": None}, '"2"'),
    )
    valid = await _send(
        client, desk, "PATCH", path, Attempt("tier2_peer", {"follower_count": 5}, '"2"')
    )

    assert invalid.status_code == 422, invalid.text
    assert valid.status_code == 403, valid.text
    assert valid.json()["type"] == "/problems/actor-forbidden"
    assert await _snapshot(client, desk, sr) == before


PROFILE_STEPS = [
    ("no token", Attempt(None, {"collected_via": "nowhere"}, None), 401),
    ("tier", Attempt("supervisor", {"collected_via": "nowhere"}, None), 403),
    ("visibility", Attempt("store", {"collected_via": "nowhere"}, None), 404),
    ("body", Attempt("social", {"collected_via": "nowhere"}, None), 422),
    (
        "public channel",
        Attempt("social", {"last_name": "Lima", "collected_via": "public_post"}, '"9"'),
        422,
    ),
    (
        "if-match missing",
        Attempt("social", {"last_name": "Lima", "collected_via": "email"}, None),
        428,
    ),
    (
        "if-match stale",
        Attempt("social", {"last_name": "Lima", "collected_via": "email"}, '"9"'),
        412,
    ),
]


@pytest.mark.parametrize(
    ("step", "attempt", "status"),
    PROFILE_STEPS,
    ids=[step[0] for step in PROFILE_STEPS],
)
async def test_profile_edit_refusal_order(
    client: httpx.AsyncClient, desk: Desk, step: str, attempt: Attempt, status: int
) -> None:
    profile = await create_profile(client, desk.social)
    path = f"/profiles/{profile['id']}"

    response = await _send(client, desk, "PATCH", path, attempt)

    assert response.status_code == status, response.text
    current = (await client.get(path, headers=desk.social.headers)).json()
    assert current["version"] == 1
    assert current["last_name"] == profile["last_name"]
