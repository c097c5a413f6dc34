"""Customer profiles over HTTP: validation, creation path, duplicates, search and edit."""

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.domain.profiles.models import Profile, ProfileHistory, ProfileSearch
from tests.factories import Desk, create_profile, profile_body

profile_table = Profile.__table__  # type: ignore[attr-defined]
profile_history = ProfileHistory.__table__  # type: ignore[attr-defined]
search_table = ProfileSearch.__table__  # type: ignore[attr-defined]

VALID_IMEI = "490154203237518"
OTHER_VALID_IMEI = "356938035643809"


def _rows(db: Database, statement: sa.Select[Any]) -> list[dict[str, Any]]:
    return db.run(lambda tx: tx.query(statement), write=False)


def _profile_count(db: Database) -> int:
    return len(_rows(db, sa.select(profile_table.c.id)))


def _pointers(response: httpx.Response) -> list[str]:
    return [error["pointer"] for error in response.json()["errors"]]


class TestValidation:
    async def test_identifiers_are_normalised(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(
            client,
            desk.social,
            email="Mariana.Souza@EXAMPLE.com",
            phone="(11) 98765-4321",
            imei="49-015420-323751-8",
        )

        assert profile["email"] == "Mariana.Souza@example.com"
        assert profile["phone"] == "+5511987654321"
        assert profile["imei"] == VALID_IMEI

    async def test_national_phone_is_read_in_address_country(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body(
            phone="020 7946 0018",
            address={
                "line1": "10 Downing Street",
                "city": "London",
                "postal_code": "SW1A 2AA",
                "country": "GB",
            },
        )
        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 201, response.text
        assert response.json()["phone"] == "+442079460018"

    @pytest.mark.parametrize(
        ("field", "value", "pointer"),
        [
            ("email", "not-an-address", "/email"),
            ("phone", "+55 11 1234", "/phone"),
            ("imei", "490154203237519", "/imei"),
            ("imei", "49015420323751", "/imei"),
            ("msa", "no-at-sign", "/msa"),
        ],
    )
    async def test_invalid_identifier_is_422(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        field: str,
        value: str,
        pointer: str,
    ) -> None:
        response = await client.post(
            "/profiles",
            json=profile_body(**{field: value}),
            headers=desk.social.headers,
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert _pointers(response) == [pointer]
        assert value not in response.text
        assert _profile_count(db) == 0

    async def test_postal_code_required_in_brazil(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body()
        del body["address"]["postal_code"]

        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 422
        assert _pointers(response) == ["/address/postal_code"]

    async def test_postal_code_optional_without_one(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body(
            phone="+971 50 123 4567",
            address={
                "line1": "Sheikh Zayed Road 1",
                "city": "Dubai",
                "region": "Dubai",
                "country": "AE",
            },
        )

        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 201, response.text
        assert response.json()["address"]["postal_code"] is None

    async def test_every_error_is_listed(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body(email="bad", imei="123")
        del body["address"]["postal_code"]

        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 422
        assert sorted(_pointers(response)) == [
            "/address/postal_code",
            "/email",
            "/imei",
        ]

    async def test_email_or_phone_required(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        body = profile_body(email=None, phone=None)

        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 422
        assert _profile_count(db) == 0


class TestCreation:
    @pytest.mark.parametrize(
        ("identifiers", "path"),
        [
            ({"email": None}, "hardware"),
            ({}, "subscription"),
            ({"phone": None}, "subscription"),
        ],
    )
    async def test_creation_path_follows_identifiers(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        identifiers: dict[str, Any],
        path: str,
    ) -> None:
        profile = await create_profile(client, desk.social, **identifiers)

        assert profile["creation_path"] == path

    @pytest.mark.parametrize("channel", ["private_message", "email", "phone_call"])
    async def test_private_channel_is_recorded(
        self, client: httpx.AsyncClient, desk: Desk, channel: str
    ) -> None:
        profile = await create_profile(client, desk.social, collected_via=channel)

        assert profile["collected_via"] == channel
        assert profile["created_by"] == desk.social.id

    async def test_public_channel_is_rejected(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        response = await client.post(
            "/profiles",
            json=profile_body(collected_via="public_post"),
            headers=desk.social.headers,
        )

        assert response.status_code == 422
        assert response.json()["type"] == "/problems/pii-from-public-channel"
        assert _pointers(response) == ["/collected_via"]
        assert _profile_count(db) == 0

    async def test_creation_is_audited(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social, imei=VALID_IMEI)

        records = _rows(db, sa.select(profile_history))
        assert len(records) == 1
        assert str(records[0]["profile_id"]) == profile["id"]
        assert str(records[0]["actor_id"]) == desk.social.id
        assert records[0]["event"] == "created"
        assert records[0]["fields"] == [
            "address",
            "first_name",
            "last_name",
            "email",
            "phone",
            "imei",
        ]

    async def test_location_and_etag(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/profiles", json=profile_body(), headers=desk.social.headers
        )

        assert response.status_code == 201
        assert response.headers["location"] == f"/profiles/{response.json()['id']}"
        assert response.headers["etag"] == '"1"'

    async def test_tier2_cannot_create(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        response = await client.post(
            "/profiles", json=profile_body(), headers=desk.tier2.headers
        )

        assert response.status_code == 403
        assert response.json()["type"] == "/problems/role-forbidden"
        assert _profile_count(db) == 0


class TestDuplicates:
    async def test_same_email_is_409_naming_profile(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        existing = await create_profile(client, desk.social, email="dup@example.com")

        response = await client.post(
            "/profiles",
            json=profile_body(email="DUP@Example.COM"),
            headers=desk.social_peer.headers,
        )

        assert response.status_code == 409
        body = response.json()
        assert body["type"] == "/problems/duplicate-profile"
        assert body["existing_profile_id"] == existing["id"]
        assert existing["id"] in body["detail"]
        assert "DUP@Example.COM" not in response.text
        assert _profile_count(db) == 1

    async def test_same_email_beats_confirmation(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_profile(client, desk.social, email="same@example.com")

        response = await client.post(
            "/profiles",
            json=profile_body(
                email="same@example.com", confirmed_different_person=True
            ),
            headers=desk.social.headers,
        )

        assert response.status_code == 409
        assert response.json()["type"] == "/problems/duplicate-profile"

    @pytest.mark.parametrize(
        ("shared", "other_format"),
        [
            ("phone", {"phone": "+55 (11) 98888-7777"}),
            ("imei", {"imei": "49 015420 323751 8"}),
        ],
    )
    async def test_shared_identifier_lists_candidates(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        shared: str,
        other_format: dict[str, str],
    ) -> None:
        first = await create_profile(
            client, desk.social, phone="+5511988887777", imei=VALID_IMEI
        )

        body = profile_body(**other_format)
        if shared == "imei":
            body["phone"] = None
        response = await client.post(
            "/profiles", json=body, headers=desk.social.headers
        )

        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "/problems/possible-duplicate-profile"
        assert problem["candidates"] == [
            {"profile_id": first["id"], "matched_on": [shared]}
        ]
        assert _profile_count(db) == 1

    async def test_confirmed_different_person_is_audited(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        first = await create_profile(client, desk.social, phone="+5511977776666")

        second = await create_profile(
            client,
            desk.social,
            phone="+55 11 97777-6666",
            confirmed_different_person=True,
        )

        assert second["phone"] == first["phone"]
        records = _rows(
            db,
            sa.select(profile_history).where(
                profile_history.c.event == "confirmed_different_person"
            ),
        )
        assert len(records) == 1
        assert str(records[0]["profile_id"]) == second["id"]
        assert str(records[0]["actor_id"]) == desk.social.id
        assert records[0]["related_profile_ids"] == [first["id"]]

    async def test_unmatched_confirmation_records_nothing(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        await create_profile(client, desk.social, confirmed_different_person=True)

        events = [row["event"] for row in _rows(db, sa.select(profile_history))]
        assert events == ["created"]


class TestSearch:
    @pytest.mark.parametrize(
        ("kind", "value"),
        [
            ("email", "SEARCH.ME@example.COM"),
            ("phone", "+55 (11) 95555-4444"),
            ("phone", "+5511955554444"),
            ("imei", "49-015420-323751-8"),
        ],
    )
    async def test_exact_match_in_other_form(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        db: Database,
        kind: str,
        value: str,
    ) -> None:
        profile = await create_profile(
            client,
            desk.social,
            email="search.me@example.com",
            phone="11 95555-4444",
            imei=VALID_IMEI,
        )
        await create_profile(client, desk.social, imei=OTHER_VALID_IMEI)

        response = await client.post(
            "/profiles/search", json={kind: value}, headers=desk.tier2.headers
        )

        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [profile["id"]]
        searches = _rows(db, sa.select(search_table))
        assert [(row["identifier"], row["matches"]) for row in searches] == [(kind, 1)]
        assert str(searches[0]["actor_id"]) == desk.tier2.id

    async def test_partial_value_finds_nothing(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_profile(client, desk.social, email="partial@example.com")

        response = await client.post(
            "/profiles/search",
            json={"email": "partial@example.co"},
            headers=desk.social.headers,
        )

        assert response.status_code == 200
        assert response.json()["items"] == []

    @pytest.mark.parametrize(
        "body",
        [{}, {"email": "a@example.com", "phone": "+5511955554444"}],
    )
    async def test_exactly_one_identifier(
        self, client: httpx.AsyncClient, desk: Desk, body: dict[str, str]
    ) -> None:
        response = await client.post(
            "/profiles/search", json=body, headers=desk.social.headers
        )

        assert response.status_code == 422

    async def test_invalid_identifier_is_422(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        response = await client.post(
            "/profiles/search",
            json={"imei": "490154203237519"},
            headers=desk.social.headers,
        )

        assert response.status_code == 422
        assert _pointers(response) == ["/imei"]
        assert "490154203237519" not in response.text
        assert _rows(db, sa.select(search_table)) == []


class TestEdit:
    async def test_edit_changes_fields_and_version(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await client.patch(
            f"/profiles/{profile['id']}",
            json={
                "last_name": "Souza Lima",
                "imei": "49-015420-323751-8",
                "collected_via": "email",
            },
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["last_name"] == "Souza Lima"
        assert updated["imei"] == VALID_IMEI
        assert updated["collected_via"] == "email"
        assert updated["version"] == 2
        assert response.headers["etag"] == '"2"'
        assert updated["first_name"] == profile["first_name"]
        records = _rows(
            db,
            sa.select(profile_history).where(profile_history.c.event == "updated"),
        )
        assert [row["fields"] for row in records] == [["imei", "last_name"]]

    async def test_edit_needs_if_match(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)
        path = f"/profiles/{profile['id']}"
        body = {"last_name": "Lima", "collected_via": "email"}

        missing = await client.patch(path, json=body, headers=desk.social.headers)
        stale = await client.patch(path, json=body, headers=desk.social.matching('"7"'))

        assert missing.status_code == 428
        assert stale.status_code == 412
        current = await client.get(path, headers=desk.social.headers)
        assert current.json()["last_name"] == profile["last_name"]
        assert current.json()["version"] == 1
        assert current.headers["etag"] == '"1"'

    async def test_edit_to_taken_email_is_409(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        taken = await create_profile(client, desk.social, email="taken@example.com")
        profile = await create_profile(client, desk.social)

        response = await client.patch(
            f"/profiles/{profile['id']}",
            json={"email": "Taken@example.com", "collected_via": "email"},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 409
        assert response.json()["existing_profile_id"] == taken["id"]

    async def test_edit_from_public_post_is_rejected(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)

        response = await client.patch(
            f"/profiles/{profile['id']}",
            json={"last_name": "Lima", "collected_via": "public_post"},
            headers=desk.social.matching('"1"'),
        )

        assert response.status_code == 422
        assert response.json()["type"] == "/problems/pii-from-public-channel"

    async def test_unlinked_tier1_gets_not_found(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)

        read = await client.get(
            f"/profiles/{profile['id']}", headers=desk.store.headers
        )
        edit = await client.patch(
            f"/profiles/{profile['id']}",
            json={"last_name": "Lima", "collected_via": "email"},
            headers=desk.store.matching('"1"'),
        )

        assert read.status_code == 404
        assert edit.status_code == 404


class TestEditDuplicates:
    async def test_edit_to_shared_phone_lists_candidates(
        self, client: httpx.AsyncClient, desk: Desk, db: Database
    ) -> None:
        other = await create_profile(client, desk.social, phone="+5511966665555")
        profile = await create_profile(client, desk.social)
        path = f"/profiles/{profile['id']}"
        body = {"phone": "(11) 96666-5555", "collected_via": "phone_call"}

        unconfirmed = await client.patch(
            path, json=body, headers=desk.social.matching('"1"')
        )
        confirmed = await client.patch(
            path,
            json={**body, "confirmed_different_person": True},
            headers=desk.social.matching('"1"'),
        )

        assert unconfirmed.status_code == 409
        assert unconfirmed.json()["candidates"] == [
            {"profile_id": other["id"], "matched_on": ["phone"]}
        ]
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["phone"] == "+5511966665555"
        records = _rows(
            db,
            sa.select(profile_history).where(
                profile_history.c.profile_id == uuid.UUID(profile["id"])
            ),
        )
        assert [row["event"] for row in records] == [
            "created",
            "updated",
            "confirmed_different_person",
        ]
        assert records[2]["related_profile_ids"] == [other["id"]]
