"""Problem bodies name invalid fields by JSON path and never repeat the submitted values."""

from typing import Any

import httpx
import pytest

from tests.factories import Desk, create_profile, profile_body, social_sr_body

MARKER = "Zq7MarkerValue"


@pytest.mark.parametrize(
    "changes",
    [
        {"email": f"{MARKER}@@example.com"},
        {"phone": f"+55 {MARKER}"},
        {"imei": MARKER},
        {"msa": f"{MARKER} with spaces"},
        {"first_name": MARKER * 20},
        {"collected_via": MARKER},
        {"address": {"country": MARKER}},
        {"address": {"postal_code": MARKER}},
    ],
)
async def test_profile_errors_omit_values(
    client: httpx.AsyncClient, desk: Desk, changes: dict[str, Any]
) -> None:
    body = profile_body()
    for key, value in changes.items():
        if isinstance(value, dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value

    response = await client.post("/profiles", json=body, headers=desk.social.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert all(error["pointer"].startswith("/") for error in response.json()["errors"])
    assert MARKER not in response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"post_url": f"ftp://{MARKER}.example.com/"},
        {"post_url": MARKER},
        {"channel": MARKER},
        {"category": MARKER},
        {"follower_count": f"{MARKER}"},
        {"software_version": f"{MARKER} 1.0"},
        {"customer_type": MARKER},
    ],
)
async def test_sr_errors_omit_values(
    client: httpx.AsyncClient, desk: Desk, changes: dict[str, Any]
) -> None:
    profile = await create_profile(client, desk.social)

    response = await client.post(
        "/service-requests",
        json=social_sr_body(profile["id"], **changes),
        headers=desk.social.headers,
    )

    assert response.status_code == 422, response.text
    assert MARKER not in response.text


async def test_unknown_field_named_by_pointer(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await client.post(
        "/profiles",
        json=profile_body(nickname="Mari"),
        headers=desk.social.headers,
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["pointer"] for error in errors] == ["/nickname"]
    assert 'Mari"' not in response.text


@pytest.mark.parametrize(
    ("customer_type", "detail"),
    [
        (MARKER, "customer_type must be one of 'social_media', 'store', 'sales'."),
        (None, "customer_type is required."),
    ],
)
async def test_customer_type_error_points_at_field(
    client: httpx.AsyncClient, desk: Desk, customer_type: str | None, detail: str
) -> None:
    profile = await create_profile(client, desk.social)
    body = social_sr_body(profile["id"], customer_type=customer_type)
    if customer_type is None:
        del body["customer_type"]

    response = await client.post(
        "/service-requests", json=body, headers=desk.social.headers
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["pointer"] for error in errors] == ["/customer_type"]
    assert errors[0]["detail"] == detail
