"""A full run of the desk with a customer's data: none of it reaches a log line or an error body."""

from typing import Any

import httpx
import pytest

from tests.factories import EVENT_BODIES, Desk, fire, profile_body, social_sr_body

CUSTOMER = {
    "first_name": "Marisol",
    "last_name": "Quintanilha",
    "address": {
        "line1": "Rua Bartira Lemos, 777",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": "04571-010",
        "country": "BR",
    },
    "email": "marisol.quintanilha@example.com",
    "phone": "+55 11 98765-4321",
    "imei": "490154203237518",
    "msa": "marisol.q@outlook.com",
    "social_handle": "@marisol_q",
}
PERSONAL_VALUES = (
    "Marisol",
    "Quintanilha",
    "Bartira",
    "04571",
    "marisol.quintanilha",
    "98765",
    "987654321",
    "490154203237518",
    "marisol.q@outlook",
    "marisol_q",
)


class Recorder:
    """Sends requests and keeps every error response."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.errors: list[httpx.Response] = []

    async def __call__(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, url, **kwargs)
        if response.status_code >= 400:
            self.errors.append(response)
        return response


async def _run_desk(call: Recorder, desk: Desk) -> None:
    social, tier2 = desk.social, desk.tier2
    created = await call(
        "POST", "/profiles", json=profile_body(**CUSTOMER), headers=social.headers
    )
    assert created.status_code == 201, created.text
    profile = created.json()

    # Refusals that see the customer's data in the request.
    await call(
        "POST", "/profiles", json=profile_body(**CUSTOMER), headers=social.headers
    )
    await call(
        "POST",
        "/profiles",
        json=profile_body(
            **{
                **CUSTOMER,
                "email": "Marisol Quintanilha <marisol@",
                "imei": "4901542032375",
            }
        ),
        headers=social.headers,
    )
    await call(
        "POST",
        "/profiles",
        json=profile_body(**{**CUSTOMER, "collected_via": "public_post"}),
        headers=social.headers,
    )
    for identifier in (
        {"email": CUSTOMER["email"]},
        {"phone": CUSTOMER["phone"]},
        {"imei": CUSTOMER["imei"]},
    ):
        await call("POST", "/profiles/search", json=identifier, headers=social.headers)
        await call(
            "POST",
            "/profiles/search",
            json=identifier,
            headers=desk.social_other_queue.headers,
        )
    await call(
        "POST",
        "/profiles/search",
        json={"email": "marisol.quintanilha@"},
        headers=social.headers,
    )
    await call(
        "POST",
        "/profiles/search",
        json={"email": CUSTOMER["email"], "phone": CUSTOMER["phone"]},
        headers=social.headers,
    )
    await call(
        "GET", f"/profiles/{profile['id']}", headers=desk.social_other_queue.headers
    )

    sr_response = await call(
        "POST",
        "/service-requests",
        json=social_sr_body(
            profile["id"],
            msa=CUSTOMER["msa"],
            public_comments="Marisol here: marisol.quintanilha@example.com, +55 11 98765-4321",
        ),
        headers={**social.headers, "Idempotency-Key": "sr-create-1"},
    )
    assert sr_response.status_code == 201, sr_response.text
    sr = sr_response.json()
    await call(
        "POST",
        "/service-requests",
        json=social_sr_body(profile["id"], msa="Marisol Quintanilha has no MSA"),
        headers={**social.headers, "Idempotency-Key": "sr-create-1"},
    )
    await call(
        "POST",
        f"/service-requests/{sr['id']}/notes",
        json={"body": "Marisol Quintanilha called from +55 11 98765-4321.\x07"},
        headers=social.headers,
    )
    await call(
        "POST",
        f"/service-requests/{sr['id']}/notes",
        json={"body": "Marisol Quintanilha called from +55 11 98765-4321."},
        headers=social.headers,
    )
    await call(
        "PATCH",
        f"/profiles/{profile['id']}",
        json={"phone": "+55 11 98765-4322", "collected_via": "phone_call"},
        headers=social.matching('"7"'),
    )
    await call(
        "PATCH",
        f"/profiles/{profile['id']}",
        json={"phone": "+55 11 98765-4322", "collected_via": "phone_call"},
        headers=social.matching('"1"'),
    )
    for login, event in (
        (tier2, "resolve"),
        (tier2, "close"),
        (tier2, "de_escalate"),
        (social, "close"),
    ):
        current = (
            await call("GET", f"/service-requests/{sr['id']}", headers=login.headers)
        ).json()
        await fire(call.client, login, current, event, EVENT_BODIES[event])
    await call("POST", f"/profiles/{profile['id']}/erase", headers=social.headers)
    erased = await call(
        "POST", f"/profiles/{profile['id']}/erase", headers=desk.supervisor.headers
    )
    assert erased.status_code == 200, erased.text


async def test_no_personal_data_in_logs_or_errors(
    capfd: pytest.CaptureFixture[str], client: httpx.AsyncClient, desk: Desk
) -> None:
    call = Recorder(client)

    await _run_desk(call, desk)
    logs = capfd.readouterr().err

    assert {response.status_code for response in call.errors} >= {
        403,
        404,
        409,
        412,
        422,
    }
    assert '"event":"request.completed"' in logs
    assert '"event":"profile.erased"' in logs
    for value in PERSONAL_VALUES:
        assert value not in logs, value
        for response in call.errors:
            assert value not in response.text, (
                value,
                response.request.url,
                response.text,
            )
