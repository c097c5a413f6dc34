"""The demo replay of the example contacts, in process and against a served API."""

import copy
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.demo.replay import Contact, leaked, load_contacts, replay, summarize
from app.settings import Settings
from tests.factories import Desk, create_profile

PORTS = range(8110, 8150)
"""Ports the served-API tests may bind on 127.0.0.1."""

SERVICE_REQUESTS_PER_CONTACT = {
    "twitter-os-update-bug": 1,
    "facebook-cracked-screen": 0,
    "community-billing-question": 0,
    "vkontakte-two-unrelated": 2,
    "weibo-two-related": 1,
    "twitter-xbox-question": 0,
    "twitter-public-pii": 1,
    "phone-only-hardware-profile": 1,
    "email-and-phone-subscription-profile": 1,
    "out-of-warranty-repair": 0,
}


def personal_values(contacts: list[Contact]) -> list[str]:
    """Every identifier, name and street line of the contacts' private details."""
    values: list[str] = []
    for contact in contacts:
        details = contact.get("private_details") or {}
        for key in ("email", "phone", "imei", "msa"):
            if details.get(key):
                values.append(details[key])
        values.append(f"{details.get('first_name')} {details.get('last_name')}")
        if details.get("address"):
            values.append(details["address"]["line1"])
        values.extend(contact.get("expected", {}).get("public_comments_contain_no", []))
    return sorted({value for value in values if value and value != "None None"})


def test_bundled_contacts_load() -> None:
    contacts = load_contacts()
    assert [contact["id"] for contact in contacts] == list(SERVICE_REQUESTS_PER_CONTACT)


def test_pii_values_cover_the_public_post() -> None:
    values = personal_values(load_contacts())
    assert "+1 206 555 0134" in values
    assert "jordan.lee@example.net" in values
    assert "353456789012348" in values


async def test_replay_passes_every_contact(
    client: httpx.AsyncClient, desk: Desk, settings: Settings
) -> None:
    lines: list[str] = []
    contacts = load_contacts()

    results = await replay(client, desk.supervisor.token, contacts, out=lines.append)

    assert [result.contact_id for result in results] == list(
        SERVICE_REQUESTS_PER_CONTACT
    )
    for result in results:
        assert result.failures == [], result.contact_id
    assert summarize(results, out=lines.append) == 0
    assert lines[-1] == "10 contacts: 10 PASS, 0 FAIL"
    assert lines.count("   PASS") == 10

    engine = sa.create_engine(settings.database_url)
    with engine.connect() as connection:
        statuses = connection.execute(
            sa.text("SELECT status, triage_id FROM service_request")
        ).all()
        triages = connection.execute(sa.text("SELECT count(*) FROM triage")).scalar()
    engine.dispose()
    assert len(statuses) == sum(SERVICE_REQUESTS_PER_CONTACT.values())
    assert {status for status, _ in statuses} == {"closed"}
    assert all(triage_id is not None for _, triage_id in statuses)
    assert triages == len(contacts)

    report = await client.get(
        "/triage/report?from=2026-12-01&to=2026-12-01", headers=desk.supervisor.headers
    )
    counts = report.json()
    assert counts["triages"] == 10
    assert counts["service_requests"] == 7
    assert counts["by_outcome"]["redirect"] == 2
    assert counts["by_outcome"]["transfer"] == 1
    assert counts["by_outcome"]["decline"] == 1


async def test_replay_mixed_contact(client: httpx.AsyncClient, desk: Desk) -> None:
    contact = copy.deepcopy(load_contacts()[0])
    contact["id"] = "mixed"
    contact["problems"] = [
        {"summary": "Cracked screen.", "category": "hardware"},
        {"summary": "Charged twice.", "category": "accounts_and_billing"},
        {"summary": "Wi-Fi drops.", "category": "os_bug", "related_group": "net"},
        {"summary": "Hotspot fails.", "category": "os_bug", "related_group": "net"},
        {"summary": "Lawyer asks for records.", "category": "elp_legal"},
    ]
    contact["expected"] = {
        "service_requests": 2,
        "redirects": ["https://support.microsoft.com/pt-br/products/mobile-devices"],
        "transfers": ["accounts_and_billing"],
        "declines": [],
    }
    lines: list[str] = []

    results = await replay(client, desk.supervisor.token, [contact], out=lines.append)

    assert results[0].failures == []
    created = [line.split()[0] for line in lines if " created: " in line]
    assert created == ["SR-00000001", "SR-00000002"]
    assert any("SR-00000001 created: escalated, os_bug" in line for line in lines)
    assert any("SR-00000002 created: escalated, elp_legal" in line for line in lines)
    assert "     SR for problems [2, 3]: os_bug" in lines


async def test_replay_reports_wrong_outcome(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    contact = copy.deepcopy(load_contacts()[1])
    contact["expected"]["redirects"] = ["https://www.b2x.com/smartprotect"]
    lines: list[str] = []

    results = await replay(client, desk.supervisor.token, [contact], out=lines.append)

    assert not results[0].passed
    assert "redirects" in results[0].failures[0]
    assert lines[-2] == "   FAIL"
    assert summarize(results, out=lines.append) == 1
    assert lines[-1] == "failed: facebook-cracked-screen"


async def test_replay_reports_failed_request(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    contact = copy.deepcopy(load_contacts()[0])
    del contact["private_details"]

    results = await replay(client, desk.supervisor.token, [contact], out=print)

    assert results[0].failures == [
        "the plan needs an SR but the contact has no private details"
    ]


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture
def served_api(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve the API with uvicorn on the test database, JSON logs at debug level into a file."""
    port = _free_port()
    log_path = tmp_path / "service.log"
    env = {
        **os.environ,
        "CASEDESK_DATABASE_URL": settings.database_url,
        "CASEDESK_LOG_FORMAT": "json",
        "CASEDESK_LOG_LEVEL": "debug",
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base_url}/health/live").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
            yield base_url, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _provoke_errors(
    client: httpx.AsyncClient, token: str, contact: Contact
) -> None:
    """Send requests that fail while carrying the contact's personal data."""
    headers = {"Authorization": f"Bearer {token}"}
    details = {
        key: value
        for key, value in contact["private_details"].items()
        if key != "collected_via"
    }
    public = {**details, "collected_via": "public_post"}
    assert (
        await client.post("/profiles", json=public, headers=headers)
    ).status_code == 422
    duplicate = {**details, "collected_via": "private_message"}
    assert (
        await client.post("/profiles", json=duplicate, headers=headers)
    ).status_code == 409
    bad_phone = {
        **duplicate,
        "email": "other@example.net",
        "phone": details["phone"] + "99",
    }
    assert (
        await client.post("/profiles", json=bad_phone, headers=headers)
    ).status_code == 422
    unknown_field = {**duplicate, "nickname": details["email"]}
    assert (
        await client.post("/profiles", json=unknown_field, headers=headers)
    ).status_code == 422
    both = {"email": details["email"], "phone": details["phone"]}
    assert (
        await client.post("/profiles/search", json=both, headers=headers)
    ).status_code == 422
    bad_imei = {"imei": details["imei"][:-1] + "x"}
    assert (
        await client.post("/profiles/search", json=bad_imei, headers=headers)
    ).status_code == 422
    triage = {
        "channel": "twitter",
        "problems": [{"category": "printer", "summary": contact["public_comments"]}],
    }
    assert (
        await client.post("/triage", json=triage, headers=headers)
    ).status_code == 422
    hardware_sr = {
        "customer_type": "social_media",
        "profile_id": "01900000-0000-7000-8000-000000000000",
        "category": "hardware",
        "contact_reason": contact["public_comments"],
        "resolution_needed": "Repair.",
        "channel": "twitter",
        "post_url": contact["channel"]["url"],
        "public_comments": contact["public_comments"],
        "community_level": "Level 1",
        "follower_count": -1,
        "software_version": details["phone"],
        "firmware_version": "1",
    }
    assert (
        await client.post("/service-requests", json=hardware_sr, headers=headers)
    ).status_code == 422


@pytest.mark.slow
async def test_served_demo_keeps_personal_data_out(
    served_api: tuple[str, Path], desk: Desk, settings: Settings
) -> None:
    base_url, log_path = served_api
    contacts = load_contacts()
    pii = personal_values(contacts)
    error_bodies: list[str] = []

    async def keep_error_body(response: httpx.Response) -> None:
        if response.status_code >= 400:
            await response.aread()
            error_bodies.append(response.text)

    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, event_hooks={"response": [keep_error_body]}
    ) as client:
        results = await replay(client, desk.supervisor.token, contacts, out=print)
        assert [result.failures for result in results] == [[]] * len(contacts)
        public_post = next(c for c in contacts if c["id"] == "twitter-public-pii")
        tier1 = await _tier1_token(client, desk)
        await _provoke_errors(client, tier1, public_post)

    assert leaked(public_post["public_comments"], pii) != []
    assert len(error_bodies) >= 7
    for body in error_bodies:
        assert leaked(body, pii) == [], body

    log_text = log_path.read_text(encoding="utf-8")
    assert log_text.count('"request.completed"') > 50
    leaking_lines = [line for line in log_text.splitlines() if leaked(line, pii)]
    assert leaking_lines == []

    # The SR's msa column holds the customer's Microsoft account by design;
    # every other SR text and the triage and history records must contain no PII.
    queries = (
        "SELECT public_comments, contact_reason, resolution_needed, resolution, "
        "closing_note, channel_details, post_url FROM service_request",
        "SELECT * FROM service_request_history",
        "SELECT * FROM triage",
        "SELECT * FROM triage_outcome",
    )
    engine = sa.create_engine(settings.database_url)
    with engine.connect() as connection:
        stored = [
            str(value)
            for query in queries
            for row in connection.execute(sa.text(query)).all()
            for value in row
        ]
        comments = connection.execute(
            sa.text(
                "SELECT public_comments, public_comments_redacted FROM service_request"
            )
        ).all()
    engine.dispose()
    assert leaked(" ".join(stored), pii) == []
    assert ("email", "imei", "phone") in {
        tuple(sorted(_as_list(kinds))) for _, kinds in comments
    }


def _as_list(value: Any) -> list[str]:
    """Read a JSON column, which SQLite returns as text through a raw query."""
    if isinstance(value, str):
        return list(json.loads(value))
    return list(value)


async def _tier1_token(client: httpx.AsyncClient, desk: Desk) -> str:
    """A Tier 1 token issued over the API, as an agent on the served service has one."""
    response = await client.post(
        f"/agents/{desk.social.id}/tokens",
        json={"label": "error requests"},
        headers=desk.supervisor.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@pytest.mark.slow
def test_demo_command_on_embedded_service() -> None:
    port = _free_port()
    completed = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"http://127.0.0.1:{port}" in completed.stdout
    assert completed.stdout.count("   PASS") == 10
    assert "10 contacts: 10 PASS, 0 FAIL" in completed.stdout


@pytest.mark.slow
def test_demo_command_exits_non_zero_on_fail(tmp_path: Path) -> None:
    contacts = load_contacts()[:2]
    contacts[1]["expected"]["service_requests"] = 1
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps(contacts))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "demo",
            "--port",
            str(_free_port()),
            "--contacts",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "2 contacts: 1 PASS, 1 FAIL" in completed.stdout


async def test_replay_uses_a_profile_it_cannot_find(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    # The customer already has a profile from an agent outside the demo's queues, so the
    # demo's agent finds nothing by search and creating it again is refused with its id.
    contact = load_contacts()[0]
    details = contact["private_details"]
    existing = await create_profile(
        client,
        desk.social_other_queue,
        first_name=details["first_name"],
        last_name=details["last_name"],
        email=details["email"],
    )
    lines: list[str] = []

    results = await replay(client, desk.supervisor.token, [contact], out=lines.append)

    assert results[0].failures == []
    assert f"   profile {existing['id']} already exists (subscription path)" in lines
