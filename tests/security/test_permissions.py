"""The permission table, row by row: every operation for every tier over HTTP, and the object rules.

The tier tests are generated from PERMISSIONS: an allowed tier gets a success,
a tier missing from a row gets 403 role-forbidden. A snapshot of the table
makes a changed row fail even for operations no endpoint serves yet.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.db import Database
from app.domain.agents import service as agents
from app.domain.permissions import PERMISSIONS, Operation
from app.domain.vocabulary import Tier
from tests.factories import (
    EVENT_BODIES,
    AgentLogin,
    Desk,
    create_profile,
    create_social_sr,
    fire,
    profile_body,
    social_sr_body,
)
from tests.security.conftest import row_counts, sr_in_status

EXPECTED_TABLE: dict[Operation, dict[Tier, tuple[str, list[str] | None]]] = {
    Operation.agent_read_self: {Tier.tier1: ("any", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.agent_manage: {Tier.supervisor: ("any", None)},
    Operation.token_revoke_own: {Tier.tier1: ("any", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.profile_create: {Tier.tier1: ("any", None)},
    Operation.profile_read: {Tier.tier1: ("linked", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.profile_update: {Tier.tier1: ("linked", None), Tier.tier2: ("any", None)},
    Operation.profile_search: {Tier.tier1: ("linked", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.profile_erase: {Tier.supervisor: ("any", None)},
    Operation.triage_create: {Tier.tier1: ("any", None)},
    Operation.triage_report: {Tier.supervisor: ("any", None)},
    Operation.sr_create: {Tier.tier1: ("any", None)},
    Operation.sr_read: {Tier.tier1: ("owner or queue", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.sr_update: {Tier.tier1: ("owner", None), Tier.tier2: ("unassigned or theirs", None)},
    Operation.sr_history: {Tier.tier1: ("owner or queue", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.note_read: {Tier.tier1: ("owner or queue", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.note_create: {Tier.tier1: ("owner or queue", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.follow_up_create: {Tier.tier1: ("owner", None), Tier.tier2: ("unassigned or theirs", None)},
    Operation.follow_up_update: {Tier.tier1: ("owner", None), Tier.tier2: ("unassigned or theirs", None), Tier.supervisor: ("any", None)},
    Operation.sr_take: {Tier.tier2: ("unassigned or theirs", None)},
    Operation.sr_reassign: {Tier.supervisor: ("any", None)},
    Operation.queue_read: {Tier.tier1: ("owner", None), Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.dashboard_read: {Tier.tier2: ("any", None), Tier.supervisor: ("any", None)},
    Operation.escalate: {Tier.tier1: ("owner", None)},
    Operation.hold: {Tier.tier2: ("unassigned or theirs", None)},
    Operation.resume: {Tier.tier2: ("unassigned or theirs", None)},
    Operation.resolve: {Tier.tier2: ("unassigned or theirs", None)},
    Operation.de_escalate: {Tier.tier2: ("unassigned or theirs", None)},
    Operation.close: {Tier.tier1: ("owner", ["de_escalated"]), Tier.tier2: ("not social media and unassigned or theirs", ["resolved"])},
    Operation.reject_resolution: {Tier.tier1: ("owner", None)},
    Operation.reopen: {Tier.tier1: ("owner", None)},
    Operation.cancel: {Tier.tier1: ("owner", None), Tier.supervisor: ("any", None)},
}  # fmt: skip


@pytest.mark.parametrize("operation", list(Operation))
def test_table_row_matches_snapshot(operation: Operation) -> None:
    row = {
        tier: (
            grant.rule.name,
            sorted(state.value for state in grant.from_states)
            if grant.from_states
            else None,
        )
        for tier, grant in PERMISSIONS[operation].items()
    }

    assert row == EXPECTED_TABLE[operation]


@dataclass
class Scene:
    """What one call needs: the client, the desk and the caller."""

    client: httpx.AsyncClient
    desk: Desk
    db: Database
    login: AgentLogin


Call = Callable[[Scene], Awaitable[httpx.Response]]


async def _own_profile(scene: Scene) -> dict[str, Any]:
    return await create_profile(scene.client, scene.desk.social)


async def _own_sr(scene: Scene) -> dict[str, Any]:
    return await create_social_sr(scene.client, scene.desk.social)


async def _read_self(scene: Scene) -> httpx.Response:
    return await scene.client.get("/agents/me", headers=scene.login.headers)


async def _list_agents(scene: Scene) -> httpx.Response:
    return await scene.client.get("/agents", headers=scene.login.headers)


async def _revoke_own_token(scene: Scene) -> httpx.Response:
    tokens = scene.db.run(agents.list_tokens, scene.login.agent.id)
    return await scene.client.post(
        f"/tokens/{tokens[0].id}/revoke", headers=scene.login.headers
    )


async def _create_profile(scene: Scene) -> httpx.Response:
    return await scene.client.post(
        "/profiles", json=profile_body(), headers=scene.login.headers
    )


async def _read_profile(scene: Scene) -> httpx.Response:
    profile = await _own_profile(scene)
    return await scene.client.get(
        f"/profiles/{profile['id']}", headers=scene.login.headers
    )


async def _update_profile(scene: Scene) -> httpx.Response:
    profile = await _own_profile(scene)
    return await scene.client.patch(
        f"/profiles/{profile['id']}",
        json={"first_name": "Maria", "collected_via": "email"},
        headers=scene.login.matching('"1"'),
    )


async def _search_profiles(scene: Scene) -> httpx.Response:
    profile = await _own_profile(scene)
    return await scene.client.post(
        "/profiles/search",
        json={"email": profile["email"]},
        headers=scene.login.headers,
    )


async def _erase_profile(scene: Scene) -> httpx.Response:
    profile = await _own_profile(scene)
    return await scene.client.post(
        f"/profiles/{profile['id']}/erase", headers=scene.login.headers
    )


async def _create_sr(scene: Scene) -> httpx.Response:
    profile = await _own_profile(scene)
    return await scene.client.post(
        "/service-requests",
        json=social_sr_body(profile["id"]),
        headers=scene.login.headers,
    )


def _sr_get(suffix: str) -> Call:
    async def call(scene: Scene) -> httpx.Response:
        sr = await _own_sr(scene)
        return await scene.client.get(
            f"/service-requests/{sr['id']}{suffix}", headers=scene.login.headers
        )

    return call


async def _update_sr(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    return await scene.client.patch(
        f"/service-requests/{sr['id']}",
        json={"contact_reason": "The camera app also freezes."},
        headers=scene.login.matching('"1"'),
    )


async def _add_note(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    return await scene.client.post(
        f"/service-requests/{sr['id']}/notes",
        json={"body": "Called the customer."},
        headers=scene.login.headers,
    )


async def _take(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    return await scene.client.post(
        f"/service-requests/{sr['id']}/take", headers=scene.login.matching('"1"')
    )


async def _reassign(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    return await scene.client.post(
        f"/service-requests/{sr['id']}/reassign",
        json={"owner_id": scene.desk.social_peer.id},
        headers=scene.login.matching('"1"'),
    )


async def _triage(scene: Scene) -> httpx.Response:
    return await scene.client.post(
        "/triage",
        json={"channel": "twitter", "problems": [{"category": "os_bug"}]},
        headers=scene.login.headers,
    )


async def _triage_report(scene: Scene) -> httpx.Response:
    return await scene.client.get("/triage/report", headers=scene.login.headers)


FOLLOW_UP = {"due_at": "2026-12-02T09:00:00-03:00", "channel": "private_message"}


def _sr_login(scene: Scene) -> AgentLogin:
    """The SR owner stands in for a Tier 1 caller; other tiers act as themselves."""
    return scene.desk.social if scene.login.agent.tier is Tier.tier1 else scene.login


async def _schedule_follow_up(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    return await scene.client.post(
        f"/service-requests/{sr['id']}/follow-ups",
        json=FOLLOW_UP,
        headers=_sr_login(scene).headers,
    )


async def _complete_follow_up(scene: Scene) -> httpx.Response:
    sr = await _own_sr(scene)
    scheduled = await scene.client.post(
        f"/service-requests/{sr['id']}/follow-ups",
        json=FOLLOW_UP,
        headers=scene.desk.social.headers,
    )
    assert scheduled.status_code == 201, scheduled.text
    return await scene.client.post(
        f"/service-requests/{sr['id']}/follow-ups/{scheduled.json()['id']}/complete",
        json={"note": "Customer confirmed the fix."},
        headers=_sr_login(scene).headers,
    )


QUEUE_VIEWS = {
    Tier.tier1: "waiting_on_tier2",
    Tier.tier2: "escalated",
    Tier.supervisor: "escalated",
}


async def _read_queue(scene: Scene) -> httpx.Response:
    await _own_sr(scene)
    view = QUEUE_VIEWS[scene.login.agent.tier]
    return await scene.client.get(f"/queues/{view}", headers=scene.login.headers)


async def _read_dashboard(scene: Scene) -> httpx.Response:
    await _own_sr(scene)
    return await scene.client.get("/dashboard", headers=scene.login.headers)


EVENT_STATUS = {
    "escalate": "open",
    "hold": "escalated",
    "resume": "on_hold",
    "resolve": "escalated",
    "de_escalate": "resolved",
    "close": "de_escalated",
    "reject_resolution": "de_escalated",
    "reopen": "closed",
    "cancel": "escalated",
}
"""A status each event fires from; Tier 2 closes a resolved store SR instead."""


def _event(event: str) -> Call:
    async def call(scene: Scene) -> httpx.Response:
        tier2_close = event == "close" and scene.login.agent.tier is Tier.tier2
        status = "resolved" if tier2_close else EVENT_STATUS[event]
        sr, owner = await sr_in_status(
            scene.client, scene.desk, status, store=tier2_close
        )
        login = owner if scene.login.agent.tier is Tier.tier1 else scene.login
        return await fire(scene.client, login, sr, event, EVENT_BODIES[event])

    return call


CALLS: dict[Operation, Call] = {
    Operation.agent_read_self: _read_self,
    Operation.agent_manage: _list_agents,
    Operation.token_revoke_own: _revoke_own_token,
    Operation.profile_create: _create_profile,
    Operation.profile_read: _read_profile,
    Operation.profile_update: _update_profile,
    Operation.profile_search: _search_profiles,
    Operation.profile_erase: _erase_profile,
    Operation.sr_create: _create_sr,
    Operation.sr_read: _sr_get(""),
    Operation.sr_update: _update_sr,
    Operation.sr_history: _sr_get("/history"),
    Operation.note_read: _sr_get("/notes"),
    Operation.note_create: _add_note,
    Operation.sr_take: _take,
    Operation.triage_create: _triage,
    Operation.triage_report: _triage_report,
    Operation.follow_up_create: _schedule_follow_up,
    Operation.follow_up_update: _complete_follow_up,
    Operation.queue_read: _read_queue,
    Operation.dashboard_read: _read_dashboard,
    Operation.sr_reassign: _reassign,
    **{
        operation: _event(operation.value.removeprefix("event."))
        for operation in Operation
        if operation.is_event
    },
}
"""One request per operation, made so that an allowed caller succeeds."""

TIER_LOGINS = {Tier.tier1: "social", Tier.tier2: "tier2", Tier.supervisor: "supervisor"}


def _served_operations(app: FastAPI) -> set[Operation]:
    served = set()
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        pending = list(route.dependant.dependencies)
        while pending:
            dependant = pending.pop()
            operation = getattr(dependant.call, "operation", None)
            if operation is not None:
                served.add(operation)
            pending.extend(dependant.dependencies)
    return served


def test_every_served_operation_is_tested(app: FastAPI) -> None:
    assert _served_operations(app) == set(CALLS)


@pytest.mark.parametrize(
    ("operation", "tier"),
    [(operation, tier) for operation in CALLS for tier in Tier],
    ids=lambda value: str(value.value),
)
async def test_tier_gate(
    operation: Operation,
    tier: Tier,
    client: httpx.AsyncClient,
    desk: Desk,
    db: Database,
) -> None:
    scene = Scene(client, desk, db, getattr(desk, TIER_LOGINS[tier]))

    response = await CALLS[operation](scene)

    if tier in PERMISSIONS[operation]:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/role-forbidden"


HIDDEN_SHAPES = [
    ("GET", "/service-requests/{id}", None),
    ("GET", "/service-requests/{number}", None),
    ("GET", "/service-requests/{id}/transitions", None),
    ("GET", "/service-requests/{number}/history", None),
    ("GET", "/service-requests/{id}/notes", None),
    ("POST", "/service-requests/{id}/notes", {"body": "A note."}),
    ("PATCH", "/service-requests/{id}", {"contact_reason": "Changed."}),
    ("POST", "/service-requests/{id}/cancel", EVENT_BODIES["cancel"]),
    ("POST", "/service-requests/{number}/escalate", {}),
    ("GET", "/profiles/{profile_id}", None),
    ("PATCH", "/profiles/{profile_id}", {"first_name": "X", "collected_via": "email"}),
]
"""Every way to reach an SR, its notes, history and profile."""


@pytest.mark.parametrize(("method", "path", "body"), HIDDEN_SHAPES)
async def test_tier1_other_queue_sees_nothing(
    method: str,
    path: str,
    body: dict[str, Any] | None,
    client: httpx.AsyncClient,
    desk: Desk,
) -> None:
    sr = await create_social_sr(client, desk.social_other_queue)
    url = path.format(id=sr["id"], number=sr["number"], profile_id=sr["profile_id"])

    response = await client.request(
        method, url, json=body, headers=desk.social.matching('"1"')
    )

    assert response.status_code == 404, response.text
    assert response.json()["type"] == "/problems/not-found"
    assert sr["owner_id"] not in response.text
    assert sr["profile_id"] not in response.text or "{profile_id}" in path


async def test_tier1_search_hides_unlinked_profiles(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    profile = await create_profile(client, desk.social_other_queue)
    before = row_counts(db)["profile_search"]

    hidden = await client.post(
        "/profiles/search",
        json={"email": profile["email"]},
        headers=desk.social.headers,
    )
    found = await client.post(
        "/profiles/search", json={"email": profile["email"]}, headers=desk.tier2.headers
    )

    assert hidden.status_code == 200
    assert hidden.json()["items"] == []
    assert [item["id"] for item in found.json()["items"]] == [profile["id"]]
    assert row_counts(db)["profile_search"] == before + 2


class TestQueueMate:
    """A Tier 1 agent reads the SRs of their default queue but acts only on their own."""

    @pytest.mark.parametrize(
        "path",
        [
            "/service-requests/{id}",
            "/service-requests/{id}/history",
            "/service-requests/{id}/notes",
            "/service-requests/{id}/transitions",
            "/profiles/{profile_id}",
        ],
    )
    async def test_reads_queue_sr(
        self, path: str, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social_peer)

        response = await client.get(
            path.format(id=sr["id"], profile_id=sr["profile_id"]),
            headers=desk.social.headers,
        )

        assert response.status_code == 200, response.text

    async def test_adds_note_to_queue_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social_peer)

        response = await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": "Customer called again."},
            headers=desk.social.headers,
        )

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("PATCH", "", {"contact_reason": "Changed."}),
            ("POST", "/cancel", EVENT_BODIES["cancel"]),
        ],
    )
    async def test_cannot_act_on_queue_sr(
        self,
        method: str,
        suffix: str,
        body: dict[str, Any],
        client: httpx.AsyncClient,
        desk: Desk,
    ) -> None:
        sr = await create_social_sr(client, desk.social_peer)

        response = await client.request(
            method,
            f"/service-requests/{sr['id']}{suffix}",
            json=body,
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/actor-forbidden"


async def test_tier2_cannot_edit_sr_taken_by_peer(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    sr = await create_social_sr(client, desk.social)
    taken = await client.post(
        f"/service-requests/{sr['id']}/take", headers=desk.tier2.matching('"1"')
    )
    assert taken.status_code == 200, taken.text

    response = await client.patch(
        f"/service-requests/{sr['id']}",
        json={"contact_reason": "Changed."},
        headers=desk.tier2_peer.matching(taken.headers["ETag"]),
    )

    assert response.status_code == 403, response.text
    assert response.json()["type"] == "/problems/actor-forbidden"
