"""Profiles at intake: search before create, no duplicates, details only from private channels."""

from typing import Any

import httpx
import pytest

from tests.factories import Desk, create_profile, profile_body

IMEI = "352789071234563"


async def _post_profile(
    client: httpx.AsyncClient, desk: Desk, **overrides: Any
) -> httpx.Response:
    return await client.post(
        "/profiles", json=profile_body(**overrides), headers=desk.social.headers
    )


class TestDuplicates:
    async def test_email_in_other_case(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        first = await create_profile(
            client, desk.social, email="Mariana.Souza@example.com"
        )

        response = await _post_profile(client, desk, email="MARIANA.SOUZA@EXAMPLE.COM")

        assert response.status_code == 409
        body = response.json()
        assert body["type"].endswith("/duplicate-profile")
        assert body["existing_profile_id"] == first["id"]
        assert "mariana" not in response.text.lower()

    @pytest.mark.parametrize(
        "written", ["+5511912345678", "(11) 91234-5678", "+55 (11) 9 1234-5678"]
    )
    async def test_phone_in_other_format(
        self, client: httpx.AsyncClient, desk: Desk, written: str
    ) -> None:
        first = await create_profile(client, desk.social, phone="+55 11 91234-5678")

        response = await _post_profile(client, desk, phone=written)

        assert response.status_code == 409
        body = response.json()
        assert body["type"].endswith("/possible-duplicate-profile")
        assert body["candidates"] == [
            {"profile_id": first["id"], "matched_on": ["phone"]}
        ]
        assert "91234" not in response.text

    async def test_same_imei(self, client: httpx.AsyncClient, desk: Desk) -> None:
        first = await create_profile(client, desk.social, imei=IMEI)

        response = await _post_profile(client, desk, imei=IMEI)

        assert response.status_code == 409
        assert response.json()["candidates"] == [
            {"profile_id": first["id"], "matched_on": ["imei"]}
        ]
        assert IMEI not in response.text

    async def test_confirmed_different_person(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_profile(client, desk.social, imei=IMEI)

        response = await _post_profile(
            client, desk, imei=IMEI, confirmed_different_person=True
        )

        assert response.status_code == 201, response.text


class TestSearch:
    async def test_email_in_other_case(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        first = await create_profile(client, desk.social, email="olga.iv@example.ru")
        response = await client.post(
            "/profiles/search",
            json={"email": "Olga.IV@Example.RU"},
            headers=desk.social.headers,
        )
        assert response.status_code == 200
        assert [item["id"] for item in response.json()["items"]] == [first["id"]]

    async def test_phone_in_e164(self, client: httpx.AsyncClient, desk: Desk) -> None:
        first = await create_profile(client, desk.social, phone="+55 11 91234-5678")
        response = await client.post(
            "/profiles/search",
            json={"phone": "+5511912345678"},
            headers=desk.social.headers,
        )
        assert [item["id"] for item in response.json()["items"]] == [first["id"]]


class TestPrivateChannel:
    async def test_public_post_rejected(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        response = await _post_profile(
            client, desk, email="jordan.lee@example.net", collected_via="public_post"
        )

        assert response.status_code == 422
        body = response.json()
        assert body["type"].endswith("/pii-from-public-channel")
        assert body["errors"][0]["pointer"] == "/collected_via"
        assert "jordan" not in response.text

    @pytest.mark.parametrize("channel", ["private_message", "email", "phone_call"])
    async def test_private_channels_accepted(
        self, client: httpx.AsyncClient, desk: Desk, channel: str
    ) -> None:
        response = await _post_profile(client, desk, collected_via=channel)
        assert response.status_code == 201, response.text
        assert response.json()["collected_via"] == channel

    @pytest.mark.parametrize(
        ("identifiers", "path"),
        [
            ({"email": None, "phone": "+52 55 1234 5678"}, "hardware"),
            ({"phone": None}, "subscription"),
            ({}, "subscription"),
        ],
    )
    async def test_creation_path(
        self,
        client: httpx.AsyncClient,
        desk: Desk,
        identifiers: dict[str, Any],
        path: str,
    ) -> None:
        profile = await create_profile(client, desk.social, **identifiers)
        assert profile["creation_path"] == path


async def test_short_imei_is_named_in_one_sentence(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    created = await _post_profile(client, desk, imei="35278907123456")
    searched = await client.post(
        "/profiles/search", json={"imei": "1"}, headers=desk.social.headers
    )

    assert created.status_code == 422
    assert created.json()["errors"] == [
        {
            "location": "body",
            "pointer": "/imei",
            "detail": "imei is not an IMEI: an IMEI is exactly 15 digits",
        }
    ]
    assert searched.status_code == 422
    assert searched.json()["detail"] == (
        "The imei to search for is not an IMEI: an IMEI is exactly 15 digits."
    )
