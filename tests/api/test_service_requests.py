"""SR create, edit, notes and history over HTTP."""

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.domain.service_requests.models import ServiceRequest
from tests.factories import (
    AgentLogin,
    Desk,
    FrozenClock,
    create_profile,
    create_shop_sr,
    create_social_sr,
    shop_sr_body,
    social_sr_body,
)

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]

SOCIAL_REQUIRED = [
    "contact_reason",
    "resolution_needed",
    "channel",
    "post_url",
    "public_comments",
    "community_level",
    "follower_count",
    "software_version",
    "firmware_version",
]


def _sr_count(db: Database) -> int:
    return len(db.run(lambda tx: tx.query(sa.select(sr_table.c.id)), write=False))


async def _history(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/service-requests/{sr['id']}/history", headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def _read(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(f"/service-requests/{sr['id']}", headers=login.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _post_sr(
    client: httpx.AsyncClient, login: AgentLogin, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/service-requests", json=body, headers=login.headers)


class TestCreateSocialMedia:
    async def test_every_field_is_stored(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        profile = await create_profile(client, desk.social)
        body = social_sr_body(
            profile["id"],
            channel="other",
            channel_details="Telegram group of the device's fans",
            msa="mariana.souza@outlook.com",
            additional_categories=["rrt"],
        )

        response = await _post_sr(client, desk.social, body)

        assert response.status_code == 201, response.text
        sr = response.json()
        for field in (
            "customer_type",
            "profile_id",
            "category",
            "additional_categories",
            "contact_reason",
            "resolution_needed",
            "channel",
            "channel_details",
            "post_url",
            "public_comments",
            "msa",
            "community_level",
            "follower_count",
            "software_version",
            "firmware_version",
        ):
            assert sr[field] == body[field], field
        assert sr["owner_id"] == desk.social.id
        assert sr["queue"] == "social-br"
        assert sr["assignee_id"] is None
        assert sr["created_at"] == clock.now.isoformat().replace("+00:00", "Z")
        assert response.headers["location"] == f"/service-requests/{sr['id']}"
        assert response.headers["etag"] == '"1"'
        stored = await _read(client, desk.social, sr)
        assert {key: stored[key] for key in body if key in stored} == {
            key: sr[key] for key in body if key in sr
        }

    async def test_msa_is_optional(self, client: httpx.AsyncClient, desk: Desk) -> None:
        sr = await create_social_sr(client, desk.social)

        assert sr["msa"] is None

    @pytest.mark.parametrize("field", SOCIAL_REQUIRED)
    async def test_required_field_missing_is_422(
        self, client: httpx.AsyncClient, desk: Desk, db: Database, field: str
    ) -> None:
        profile = await create_profile(client, desk.social)
        body = social_sr_body(profile["id"])
        del body[field]

        response = await _post_sr(client, desk.social, body)

        assert response.status_code == 422
        assert [error["pointer"] for error in response.json()["errors"]] == [
            f"/{field}"
        ]
        assert _sr_count(db) == 0

    async def test_other_channel_needs_details(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await _post_sr(
            client, desk.social, social_sr_body(profile["id"], channel="other")
        )

        assert response.status_code == 422
        assert "channel_details" in response.json()["detail"]
        assert _sr_count(db) == 0

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://example.com/post/1",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "twitter.com/status/1",
        ],
    )
    async def test_url_must_be_http_or_https(
        self, client: httpx.AsyncClient, desk: Desk, db: Database, url: str
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await _post_sr(
            client, desk.social, social_sr_body(profile["id"], post_url=url)
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/post_url"
        assert url not in response.text
        assert _sr_count(db) == 0

    @pytest.mark.parametrize(
        "url", ["http://forum.example.com/t/1", "https://vk.com/wall-1_2"]
    )
    async def test_http_and_https_urls_pass(
        self, client: httpx.AsyncClient, desk: Desk, url: str
    ) -> None:
        sr = await create_social_sr(client, desk.social, post_url=url)

        assert sr["post_url"] == url

    async def test_follower_count_not_negative(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)

        negative = await _post_sr(
            client, desk.social, social_sr_body(profile["id"], follower_count=-1)
        )
        zero = await _post_sr(
            client, desk.social, social_sr_body(profile["id"], follower_count=0)
        )

        assert negative.status_code == 422
        assert negative.json()["errors"][0]["pointer"] == "/follower_count"
        assert zero.status_code == 201
        assert zero.json()["follower_count"] == 0
        assert _sr_count(db) == 1

    async def test_social_sr_cannot_stay_open(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await _post_sr(
            client,
            desk.social,
            social_sr_body(profile["id"], escalate=False, open_reason="Later."),
        )

        assert response.status_code == 422
        assert _sr_count(db) == 0

    async def test_created_open_then_escalated_in_one_write(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.community)

        assert sr["status"] == "escalated"
        assert sr["held_by"] == "tier2"
        assert sr["version"] == 1
        history = await _history(client, desk.community, sr)
        assert [
            (h["event"], h["from_status"], h["to_status"], h["actor_id"], h["at"])
            for h in history
        ] == [
            ("created", None, "open", desk.community.id, sr["created_at"]),
            ("escalate", "open", "escalated", desk.community.id, sr["created_at"]),
        ]

    async def test_store_agent_cannot_create_social_sr(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.store)

        response = await _post_sr(client, desk.store, social_sr_body(profile["id"]))

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/customer_type"
        assert _sr_count(db) == 0

    @pytest.mark.parametrize("login", ["tier2", "supervisor"])
    async def test_only_tier1_creates(
        self, client: httpx.AsyncClient, desk: Desk, db: Database, login: str
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await _post_sr(
            client, getattr(desk, login), social_sr_body(profile["id"])
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"
        assert _sr_count(db) == 0

    async def test_unknown_profile_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await _post_sr(
            client,
            desk.social,
            social_sr_body("01900000-0000-7000-8000-000000000000"),
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/profile_id"

    async def test_non_sr_category_is_rejected(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await _post_sr(
            client, desk.social, social_sr_body(profile["id"], category="hardware")
        )

        assert response.status_code == 422
        assert response.json()["type"] == "/problems/category-gets-no-sr"
        assert _sr_count(db) == 0


class TestCreateStoreAndSales:
    @pytest.mark.parametrize(
        ("kind", "login"), [("store", "store"), ("sales", "sales")]
    )
    async def test_minimal_body_escalates(
        self, client: httpx.AsyncClient, desk: Desk, kind: str, login: str
    ) -> None:
        agent = getattr(desk, login)
        sr = await create_shop_sr(client, agent, kind)

        assert sr["customer_type"] == kind
        assert sr["status"] == "escalated"
        assert sr["software_version"] is None
        assert sr["firmware_version"] is None
        assert sr["channel"] is None
        events = [h["event"] for h in await _history(client, agent, sr)]
        assert events == ["created", "escalate"]

    async def test_versions_recorded_when_known(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_shop_sr(
            client,
            desk.sales,
            "sales",
            software_version="10.0.15063.297",
            firmware_version="02177.00000.16045.36000",
        )

        assert sr["software_version"] == "10.0.15063.297"
        assert sr["firmware_version"] == "02177.00000.16045.36000"

    async def test_kept_open_records_reason(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        reason = "Waiting for the invoice from the customer."
        sr = await create_shop_sr(
            client, desk.sales, "sales", escalate=False, open_reason=reason
        )

        assert sr["status"] == "open"
        assert sr["held_by"] == "tier1"
        history = await _history(client, desk.sales, sr)
        assert [(h["event"], h["to_status"], h["reason"]) for h in history] == [
            ("created", "open", reason)
        ]

    @pytest.mark.parametrize(
        "changes",
        [
            {"escalate": False},
            {"escalate": True, "open_reason": "Not needed when escalating."},
        ],
    )
    async def test_open_reason_only_when_kept_open(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        changes: dict[str, Any],
    ) -> None:
        profile = await create_profile(client, desk.store)

        response = await _post_sr(
            client, desk.store, shop_sr_body(profile["id"], **changes)
        )

        assert response.status_code == 422
        assert _sr_count(db) == 0

    @pytest.mark.parametrize(
        "field",
        ["channel", "post_url", "public_comments", "community_level", "follower_count"],
    )
    async def test_social_fields_are_rejected(
        self, client: httpx.AsyncClient, desk: Desk, field: str
    ) -> None:
        profile = await create_profile(client, desk.store)
        social = social_sr_body(profile["id"])

        response = await _post_sr(
            client, desk.store, shop_sr_body(profile["id"], **{field: social[field]})
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == f"/{field}"


class TestNumbers:
    async def test_numbers_are_sequential_and_readable(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        first = await create_social_sr(client, desk.social)
        second = await create_shop_sr(client, desk.store)

        assert first["number"] == "SR-00000001"
        assert second["number"] == "SR-00000002"

    async def test_unique_under_concurrent_creates(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)
        count = 40

        responses = await asyncio.gather(
            *(
                _post_sr(client, desk.social, social_sr_body(profile["id"]))
                for _ in range(count)
            )
        )

        assert [response.status_code for response in responses] == [201] * count
        numbers = [response.json()["number"] for response in responses]
        assert len(set(numbers)) == count
        assert all(re.fullmatch(r"SR-\d{8}", number) for number in numbers)
        assert sorted(numbers) == [f"SR-{value:08d}" for value in range(1, count + 1)]
        assert _sr_count(db) == count


class TestEdit:
    async def test_editable_fields_change(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        clock.advance(timedelta(minutes=5))
        changes = {
            "contact_reason": "The phone reboots when the camera or the gallery opens.",
            "software_version": "10.0.15063.300",
            "follower_count": 2100,
            "additional_categories": ["rrt"],
        }

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json=changes,
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 200, response.text
        edited = response.json()
        for field, value in changes.items():
            assert edited[field] == value, field
        assert edited["version"] == 2
        assert response.headers["etag"] == '"2"'
        assert edited["status"] == sr["status"]
        history = await _history(client, desk.social, sr)
        assert history[-1]["event"] == "edited"
        assert history[-1]["actor_id"] == desk.social.id
        assert history[-1]["fields"] == sorted(changes)
        assert history[-1]["from_status"] is None
        assert history[-1]["at"] == clock.now.isoformat().replace("+00:00", "Z")

    async def test_same_values_change_nothing(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": sr["community_level"]},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 200
        assert response.json()["version"] == 1
        assert len(await _history(client, desk.social, sr)) == 2

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("status", "closed"),
            ("owner_id", "01900000-0000-7000-8000-000000000000"),
            ("customer_type", "store"),
            ("assignee_id", "01900000-0000-7000-8000-000000000000"),
            ("held_by", "tier1"),
            ("version", 9),
        ],
    )
    async def test_lifecycle_fields_are_not_editable(
        self, client: httpx.AsyncClient, desk: Desk, field: str, value: Any
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"contact_reason": "Still rebooting.", field: value},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 422
        errors = response.json()["errors"]
        assert [error["pointer"] for error in errors] == [f"/{field}"]
        assert field in errors[0]["detail"]
        current = await _read(client, desk.social, sr)
        assert current[field] == sr[field]
        assert current["contact_reason"] == sr["contact_reason"]
        assert current["version"] == 1

    async def test_required_social_field_cannot_be_removed(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"follower_count": None},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/follower_count"

    async def test_negative_follower_count_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"follower_count": -5},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 422

    async def test_store_sr_rejects_social_fields(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_shop_sr(client, desk.store)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"post_url": "https://example.com/post/1"},
            headers=desk.store.matching('"1"'),
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/post_url"

    async def test_missing_if_match_is_428(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": "Level 3"},
            headers=desk.social.headers,
        )

        assert response.status_code == 428
        assert response.json()["type"] == "/problems/precondition-required"

    @pytest.mark.parametrize("etag", ['"2"', '"0"', 'W/"1"', '"abc"', "*"])
    async def test_stale_or_foreign_if_match_is_412(
        self, client: httpx.AsyncClient, desk: Desk, etag: str
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": "Level 3"},
            headers=desk.social.matching(etag),
        )

        assert response.status_code == 412
        current = await _read(client, desk.social, sr)
        assert current["community_level"] == sr["community_level"]
        assert current["version"] == 1

    async def test_second_edit_with_old_etag_is_412(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        path = f"/service-requests/{sr['id']}"

        first = await client.patch(
            path,
            json={"community_level": "Level 3"},
            headers=desk.social.matching('"1"'),
        )
        second = await client.patch(
            path,
            json={"community_level": "Level 4"},
            headers=desk.social.matching('"1"'),
        )

        assert first.status_code == 200
        assert second.status_code == 412
        current = await _read(client, desk.social, sr)
        assert current["community_level"] == "Level 3"
        assert current["version"] == 2

    async def test_get_returns_current_etag(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": "Level 3"},
            headers=desk.social.matching('"1"'),
        )

        response = await client.get(
            f"/service-requests/{sr['id']}", headers=desk.social.headers
        )

        assert response.headers["etag"] == '"2"'
        assert response.json()["version"] == 2

    async def test_peer_cannot_edit(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": "Level 3"},
            headers=desk.social_peer.matching('"1"'),
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/actor-forbidden"

    async def test_tier2_edits_unassigned_sr(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"firmware_version": "02177.00000.16045.36001"},
            headers=desk.tier2.matching('"1"'),
        )

        assert response.status_code == 200, response.text
        assert response.json()["firmware_version"] == "02177.00000.16045.36001"
        assert response.json()["assignee_id"] is None
        history = await _history(client, desk.tier2, sr)
        assert (history[-1]["event"], history[-1]["actor_id"]) == (
            "edited",
            desk.tier2.id,
        )

    async def test_supervisor_cannot_edit(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.patch(
            f"/service-requests/{sr['id']}",
            json={"community_level": "Level 3"},
            headers=desk.supervisor.matching('"1"'),
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"


class TestNotes:
    async def test_notes_keep_author_and_time(
        self, client: httpx.AsyncClient, desk: Desk, clock: FrozenClock
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        path = f"/service-requests/{sr['id']}/notes"

        first = await client.post(
            path,
            json={"body": "Asked for the crash logs."},
            headers=desk.social.headers,
        )
        clock.advance(timedelta(hours=1))
        second = await client.post(
            path,
            json={"body": "Logs point at the camera driver."},
            headers=desk.tier2.headers,
        )

        assert first.status_code == 201, first.text
        assert second.status_code == 201, second.text
        notes = (await client.get(path, headers=desk.supervisor.headers)).json()[
            "items"
        ]
        assert [(n["author_id"], n["body"], n["created_at"]) for n in notes] == [
            (desk.social.id, "Asked for the crash logs.", "2026-12-01T12:00:00Z"),
            (desk.tier2.id, "Logs point at the camera driver.", "2026-12-01T13:00:00Z"),
        ]
        history = await _history(client, desk.social, sr)
        assert [
            (h["event"], h["actor_id"], h["details"]["note_id"]) for h in history[2:]
        ] == [
            ("note_added", desk.social.id, first.json()["id"]),
            ("note_added", desk.tier2.id, second.json()["id"]),
        ]

    async def test_notes_do_not_change_version(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": "Called the customer."},
            headers=desk.social.headers,
        )

        current = await _read(client, desk.social, sr)
        assert current["version"] == 1

    async def test_notes_cannot_be_changed_or_deleted(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        path = f"/service-requests/{sr['id']}/notes"
        note = (
            await client.post(
                path, json={"body": "First."}, headers=desk.social.headers
            )
        ).json()

        put_all = await client.put(path, json=[], headers=desk.social.headers)
        delete_all = await client.delete(path, headers=desk.social.headers)
        patch_one = await client.patch(
            f"{path}/{note['id']}",
            json={"body": "Changed."},
            headers=desk.social.headers,
        )
        delete_one = await client.delete(
            f"{path}/{note['id']}", headers=desk.social.headers
        )

        assert put_all.status_code == 405
        assert delete_all.status_code == 405
        assert patch_one.status_code in (404, 405)
        assert delete_one.status_code in (404, 405)
        notes = (await client.get(path, headers=desk.social.headers)).json()["items"]
        assert [n["body"] for n in notes] == ["First."]

    async def test_notes_page_in_order_without_gaps(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        path = f"/service-requests/{sr['id']}/notes"
        for index in range(7):
            response = await client.post(
                path, json={"body": f"Note {index}."}, headers=desk.social.headers
            )
            assert response.status_code == 201, response.text

        bodies, cursor, pages = [], None, 0
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = await client.get(path, params=params, headers=desk.social.headers)
            assert page.status_code == 200, page.text
            bodies += [note["body"] for note in page.json()["items"]]
            pages += 1
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break

        assert bodies == [f"Note {index}." for index in range(7)]
        assert pages == 3

    async def test_notes_limit_is_capped(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.get(
            f"/service-requests/{sr['id']}/notes",
            params={"limit": 501},
            headers=desk.social.headers,
        )

        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["parameter"] == "limit"

    async def test_empty_note_is_422(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": "   "},
            headers=desk.social.headers,
        )

        assert response.status_code == 422
        assert len(await _history(client, desk.social, sr)) == 2

    async def test_other_queue_cannot_add_note(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.post(
            f"/service-requests/{sr['id']}/notes",
            json={"body": "Not mine."},
            headers=desk.social_other_queue.headers,
        )

        assert response.status_code == 404
        assert len(await _history(client, desk.social, sr)) == 2


@pytest.mark.parametrize(
    ("extra", "pointer"),
    [
        (["rrt", "rrt"], "/additional_categories/1"),
        (["os_bug"], "/additional_categories/0"),
    ],
)
async def test_a_category_listed_twice_is_refused(
    client: httpx.AsyncClient, desk: Desk, extra: list[str], pointer: str
) -> None:
    sr = await create_social_sr(client, desk.social)
    profile_id = sr["profile_id"]

    created = await _post_sr(
        client,
        desk.social,
        social_sr_body(profile_id, category="os_bug", additional_categories=extra),
    )
    edited = await client.patch(
        f"/service-requests/{sr['number']}",
        json={"category": "os_bug", "additional_categories": extra},
        headers=desk.social.matching('"1"'),
    )

    for response in (created, edited):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["pointer"] == pointer
    unchanged = await client.get(
        f"/service-requests/{sr['number']}", headers=desk.social.headers
    )
    assert unchanged.json()["version"] == 1
    assert unchanged.json()["additional_categories"] == []
