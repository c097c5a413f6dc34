"""Erasure of a customer's personal data: the profile, its SRs, notes, history and stored responses."""

from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database, Tx
from app.domain.models import metadata
from tests.factories import Desk, profile_body, social_sr_body

CUSTOMER = {
    "first_name": "Mariana",
    "last_name": "Quintanilha",
    "email": "mariana.quintanilha@example.com",
    "phone": "+55 11 98765-4321",
    "imei": "490154203237518",
    "msa": "mari.q@outlook.com",
    "social_handle": "@mari_quintanilha",
}
PERSONAL_VALUES = [
    "Mariana",
    "Quintanilha",
    "mariana.quintanilha@example.com",
    "+5511987654321",
    "98765-4321",
    "490154203237518",
    "mari.q@outlook.com",
    "mari_quintanilha",
    "Rua das Flores",
    "01310-100",
]


def _all_rows(tx: Tx) -> str:
    dump: list[str] = []
    for table in metadata.sorted_tables:
        dump.extend(str(row) for row in tx.query(sa.select(table)))
    return "\n".join(dump)


async def _customer_with_sr(
    client: httpx.AsyncClient, desk: Desk
) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = await client.post(
        "/profiles",
        json=profile_body(**CUSTOMER),
        headers={**desk.social.headers, "Idempotency-Key": "profile-1"},
    )
    assert profile.status_code == 201, profile.text
    sr = await client.post(
        "/service-requests",
        json=social_sr_body(
            profile.json()["id"],
            msa=CUSTOMER["msa"],
            post_url="https://twitter.com/mari_quintanilha/status/880001112223334445",
            contact_reason="Mariana Quintanilha says the camera reboots the phone.",
            public_comments="Mariana here, write me at mariana.quintanilha@example.com",
        ),
        headers={**desk.social.headers, "Idempotency-Key": "sr-1"},
    )
    assert sr.status_code == 201, sr.text
    note = await client.post(
        f"/service-requests/{sr.json()['id']}/notes",
        json={"body": "Called Mariana Quintanilha on +55 11 98765-4321.\nShe agreed."},
        headers=desk.social.headers,
    )
    assert note.status_code == 201, note.text
    hold = await client.post(
        f"/service-requests/{sr.json()['id']}/hold",
        json={
            "reason": "Waiting for Quintanilha to send logs.",
            "follow_up": {
                "due_at": "2026-12-03T09:00:00-03:00",
                "channel": "private_message",
                "note": "Ask Mariana Quintanilha whether the logs were sent.",
            },
        },
        headers=desk.tier2.matching('"1"'),
    )
    assert hold.status_code == 200, hold.text
    return profile.json(), sr.json()


async def _erase(
    client: httpx.AsyncClient, desk: Desk, profile_id: str
) -> httpx.Response:
    return await client.post(
        f"/profiles/{profile_id}/erase", headers=desk.supervisor.headers
    )


async def test_erase_blanks_profile(client: httpx.AsyncClient, desk: Desk) -> None:
    profile, _ = await _customer_with_sr(client, desk)

    response = await _erase(client, desk, profile["id"])

    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["erased_at"] is not None
    assert erased["version"] == profile["version"] + 1
    for name in ("first_name", "last_name", "email", "phone", "imei", "msa"):
        assert erased[name] is None, name
    assert erased["social_handle"] is None
    assert erased["address"]["line1"] is None
    assert erased["address"]["country"] == "BR"


async def test_erase_keeps_sr_and_history(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    profile, sr = await _customer_with_sr(client, desk)

    await _erase(client, desk, profile["id"])
    read = await client.get(
        f"/service-requests/{sr['id']}", headers=desk.supervisor.headers
    )
    history = await client.get(
        f"/service-requests/{sr['id']}/history", headers=desk.supervisor.headers
    )

    assert read.status_code == 200
    kept = read.json()
    assert kept["status"] == "on_hold"
    assert kept["pii_erased_at"] is not None
    assert kept["msa"] is None
    assert kept["post_url"] is None
    assert kept["public_comments"] is None
    assert (
        kept["contact_reason"] == "[erased] [erased] says the camera reboots the phone."
    )
    events = [item["event"] for item in history.json()["items"]]
    assert events == ["created", "escalate", "note_added", "hold", "pii_erased"]
    assert history.json()["items"][-1]["actor_id"] == desk.supervisor.id
    assert history.json()["items"][3]["reason"] == "Waiting for [erased] to send logs."


async def test_erase_scrubs_notes(client: httpx.AsyncClient, desk: Desk) -> None:
    profile, sr = await _customer_with_sr(client, desk)

    await _erase(client, desk, profile["id"])
    notes = await client.get(
        f"/service-requests/{sr['id']}/notes", headers=desk.supervisor.headers
    )

    body = notes.json()["items"][0]["body"]
    assert "Quintanilha" not in body
    assert "98765" not in body
    assert body.endswith("\nShe agreed.")


async def test_erase_reaches_stored_responses(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    profile, _ = await _customer_with_sr(client, desk)
    await _erase(client, desk, profile["id"])

    replayed = await client.post(
        "/profiles",
        json=profile_body(**CUSTOMER),
        headers={**desk.social.headers, "Idempotency-Key": "profile-1"},
    )

    assert replayed.headers.get("Idempotent-Replayed") == "true"
    for value in PERSONAL_VALUES:
        assert value not in replayed.text, value


async def test_erase_leaves_no_value_in_database(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    profile, _ = await _customer_with_sr(client, desk)

    await _erase(client, desk, profile["id"])
    dump = db.run(_all_rows, write=False)

    for value in PERSONAL_VALUES:
        assert value not in dump, value


async def test_erase_is_audited(
    client: httpx.AsyncClient, desk: Desk, db: Database
) -> None:
    profile, _ = await _customer_with_sr(client, desk)

    await _erase(client, desk, profile["id"])

    def erasures(tx: Tx) -> list[dict[str, Any]]:
        return tx.query(
            sa.text(
                "SELECT actor_id, fields FROM profile_history WHERE event = 'erased'"
            )
        )

    records = db.run(erasures, write=False)
    assert len(records) == 1
    assert str(records[0]["actor_id"]).replace("-", "") == desk.supervisor.id.replace(
        "-", ""
    )


async def test_erase_twice_changes_nothing(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    profile, _ = await _customer_with_sr(client, desk)
    first = await _erase(client, desk, profile["id"])

    second = await _erase(client, desk, profile["id"])

    assert second.status_code == 200
    assert second.json() == first.json()


async def test_erased_profile_gets_no_new_sr(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    profile, _ = await _customer_with_sr(client, desk)
    await _erase(client, desk, profile["id"])

    response = await client.post(
        "/service-requests",
        json=social_sr_body(profile["id"]),
        headers=desk.social.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/profile_id"


async def test_erase_unknown_profile_is_404(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    response = await _erase(client, desk, "01900000-0000-7000-8000-000000000000")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
