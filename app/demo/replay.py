"""Replay example contacts over HTTP and check each against its expected outcome.

For every contact a Tier 1 agent triages it and searches for the customer,
creating the profile when none exists. The agent then creates the planned
SRs with the triage's reference, and Tier 2 and Tier 1 walk each SR through
its lifecycle. The transcript of each contact ends with PASS or FAIL.

Only a supervisor token is needed: the replay creates its own Tier 1 and
Tier 2 agents through the API. Without a base URL, `main` starts the service
itself on a temporary SQLite database.
"""

import asyncio
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import phonenumbers

Contact = dict[str, Any]
Output = Callable[[str], None]

DEFAULT_LIFECYCLE = ("resolve", "de_escalate", "close")
"""The events every SR walks when its contact names none."""

EVENT_ACTOR = {
    "escalate": "tier1",
    "hold": "tier2",
    "resume": "tier2",
    "resolve": "tier2",
    "de_escalate": "tier2",
    "close": "tier1",
    "reject_resolution": "tier1",
    "reopen": "tier1",
    "cancel": "tier1",
}
"""The demo agent that fires each lifecycle event."""

EVENT_BODIES: dict[str, dict[str, str]] = {
    "escalate": {},
    "hold": {"reason": "Waiting for the customer's logs."},
    "resume": {},
    "resolve": {"resolution": "A fix is in the next update; a workaround was found."},
    "de_escalate": {},
    "close": {"closing_note": "Told the customer over private message."},
    "reject_resolution": {"reason": "The workaround does not help the customer."},
    "reopen": {"reason": "The problem came back."},
    "cancel": {"reason": "The customer withdrew the request."},
}

EVENT_TARGET = {
    "hold": "on_hold",
    "resume": "escalated",
    "resolve": "resolved",
    "de_escalate": "de_escalated",
    "close": "closed",
    "reject_resolution": "escalated",
    "cancel": "cancelled",
}

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "address",
    "email",
    "phone",
    "imei",
    "msa",
    "social_handle",
    "collected_via",
)


def load_contacts(path: str | Path | None = None) -> list[Contact]:
    """Read a contacts file, or the example contacts shipped with the package."""
    if path is None:
        text = (
            resources.files("app")
            .joinpath("examples/contacts.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = Path(path).read_text(encoding="utf-8")
    contacts = json.loads(text)
    if not isinstance(contacts, list):
        raise ValueError(
            f"invalid contacts file {path}: expected a JSON list of contacts"
        )
    return contacts


def pii_variants(value: str) -> set[str]:
    """Return the forms a piece of personal data may take: as written, digits only, E.164."""
    variants = {value, value.lower()}
    digits = "".join(character for character in value if character.isdigit())
    if len(digits) >= 7:
        variants |= {digits, "+" + digits, value.replace(" ", "")}
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            pass
        else:
            for number_format in (
                phonenumbers.PhoneNumberFormat.E164,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
            ):
                variants.add(phonenumbers.format_number(number, number_format))
            variants.add(str(number.national_number))
    return variants


def leaked(text: str, values: list[str]) -> list[str]:
    """Return the values whose forms (see `pii_variants`) occur in the text."""
    folded = text.lower()
    return [
        value
        for value in values
        if any(variant.lower() in folded for variant in pii_variants(value))
    ]


class ReplayFailure(Exception):
    """A failed step of a contact; the message names the step and the cause."""


@dataclass
class ContactResult:
    contact_id: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class DemoAgents:
    social: str
    community: str
    tier2: str

    def tier1_for(self, contact: Contact) -> str:
        return (
            self.community if contact["channel"]["name"] == "community" else self.social
        )


class Replay:
    """Replays contacts through one HTTP client, writing the transcript to `out`."""

    def __init__(self, client: httpx.AsyncClient, out: Output = print) -> None:
        self.client = client
        self.out = out

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        body: dict[str, Any] | None = None,
        *,
        expect: tuple[int, ...] = (200, 201),
        etag: int | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if etag is not None:
            headers["If-Match"] = f'"{etag}"'
        response = await self.client.request(method, path, json=body, headers=headers)
        if response.status_code not in expect:
            raise ReplayFailure(
                f"{method} {path} returned {response.status_code}: {_problem(response)}"
            )
        return response

    async def create_agents(self, supervisor_token: str) -> DemoAgents:
        """Create a social-media, a community and a Tier 2 agent, each with a token."""
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        specs: dict[str, dict[str, str | None]] = {
            "social": {
                "tier": "tier1",
                "tier1_kind": "social_media",
                "queue": "demo-social",
            },
            "community": {
                "tier": "tier1",
                "tier1_kind": "community",
                "queue": "demo-community",
            },
            "tier2": {"tier": "tier2", "tier1_kind": None, "queue": "demo-tier2"},
        }
        tokens = {}
        for role, spec in specs.items():
            agent = await self.call(
                "POST",
                "/agents",
                supervisor_token,
                {
                    "name": f"Demo {role} agent {stamp}",
                    "tier": spec["tier"],
                    "tier1_kind": spec["tier1_kind"],
                    "default_queue": spec["queue"],
                    "time_zone": "UTC",
                },
            )
            issued = await self.call(
                "POST",
                f"/agents/{agent.json()['id']}/tokens",
                supervisor_token,
                {"label": "casedesk demo", "ttl_days": 1},
            )
            tokens[role] = issued.json()["token"]
        return DemoAgents(**tokens)

    async def run(
        self, contacts: list[Contact], agents: DemoAgents
    ) -> list[ContactResult]:
        results = []
        for contact in contacts:
            results.append(await self.replay_contact(contact, agents))
        return results

    async def replay_contact(
        self, contact: Contact, agents: DemoAgents
    ) -> ContactResult:
        result = ContactResult(contact["id"])
        channel = contact["channel"]["name"]
        self.out(
            f"== {contact['id']} ({channel}, {contact.get('locale') or 'no locale'})"
        )
        self.out(f"   {contact.get('description', '')}")
        try:
            await self._replay(contact, agents, result)
        except ReplayFailure as error:
            result.failures.append(str(error))
        for failure in result.failures:
            self.out(f"   failed: {failure}")
        self.out("   PASS" if result.passed else "   FAIL")
        self.out("")
        return result

    async def _replay(
        self, contact: Contact, agents: DemoAgents, result: ContactResult
    ) -> None:
        expected = contact.get("expected", {})
        tier1 = agents.tier1_for(contact)
        plan = (await self.call("POST", "/triage", tier1, _triage_body(contact))).json()
        self._describe_plan(plan)
        _check_plan(plan, expected, result)
        if not plan["service_requests"]:
            return

        profile = await self._find_or_create_profile(contact, tier1)
        for planned in plan["service_requests"]:
            sr = await self._create_service_request(
                contact, plan, planned, profile, tier1
            )
            if "creation_path" not in profile:
                # Another agent's profile: readable once this agent's SR refers to it.
                profile = (
                    await self.call("GET", f"/profiles/{profile['id']}", tier1)
                ).json()
                self.out(
                    f"   profile {profile['id']} already exists "
                    f"({profile['creation_path']} path)"
                )
            if (
                "profile_path" in expected
                and planned is plan["service_requests"][0]
                and profile["creation_path"] != expected["profile_path"]
            ):
                result.failures.append(
                    f"profile path is {profile['creation_path']}, expected {expected['profile_path']}"
                )
            await self._check_created(sr, contact, tier1, result)
            await self._walk_lifecycle(sr, expected, agents, tier1, result)

    def _describe_plan(self, plan: dict[str, Any]) -> None:
        self.out(f"   triage {plan['id']}:")
        for item in plan["service_requests"]:
            extra = item["additional_categories"]
            categories = item["category"] + (
                f" (+ {', '.join(extra)})" if extra else ""
            )
            self.out(f"     SR for problems {item['problems']}: {categories}")
        for item in plan["redirects"]:
            self.out(f"     redirect problem {item['problem']} to {item['address']}")
        for item in plan["transfers"]:
            self.out(f"     transfer problem {item['problem']} to {item['team']}")
        for item in plan["declines"]:
            self.out(f"     decline problem {item['problem']} ({item['category']})")
        for item in plan["requests_for_details"]:
            self.out(f"     ask for details on problem {item['problem']}")
        for item in plan["solved_on_contact"]:
            self.out(f"     problem {item['problem']} was solved on contact")

    async def _find_or_create_profile(
        self, contact: Contact, token: str
    ) -> dict[str, Any]:
        details = contact.get("private_details")
        if not details:
            raise ReplayFailure(
                "the plan needs an SR but the contact has no private details"
            )
        for key in ("email", "phone", "imei"):
            if details.get(key):
                found = await self.call(
                    "POST", "/profiles/search", token, {key: details[key]}
                )
                items = found.json()["items"]
                if items:
                    self.out(
                        f"   profile {items[0]['id']} found by {key} "
                        f"({items[0]['creation_path']} path)"
                    )
                    return items[0]  # type: ignore[no-any-return]
                break
        body = {key: details[key] for key in PROFILE_FIELDS if key in details}
        response = await self.call("POST", "/profiles", token, body, expect=(201, 409))
        existing = response.json().get("existing_profile_id")
        if response.status_code == 409 and existing:
            # The customer has a profile this agent cannot find: never create another.
            return {"id": existing}
        if response.status_code == 409:
            raise ReplayFailure(f"POST /profiles returned 409: {_problem(response)}")
        created = response.json()
        self.out(
            f"   profile {created['id']} created ({created['creation_path']} path)"
        )
        return created  # type: ignore[no-any-return]

    async def _create_service_request(
        self,
        contact: Contact,
        plan: dict[str, Any],
        planned: dict[str, Any],
        profile: dict[str, Any],
        token: str,
    ) -> dict[str, Any]:
        problems = [contact["problems"][index] for index in planned["problems"]]
        channel = contact["channel"]
        device = contact.get("device", {})
        social = contact.get("social", {})
        body: dict[str, Any] = {
            "customer_type": "social_media",
            "profile_id": profile["id"],
            "triage_id": plan["id"],
            "category": planned["category"],
            "additional_categories": planned["additional_categories"],
            "contact_reason": " ".join(problem["summary"] for problem in problems),
            "resolution_needed": "A fix or a workaround from Tier 2.",
            "channel": channel["name"],
            "post_url": channel["url"],
            "public_comments": contact.get("public_comments") or contact["description"],
            "community_level": social.get("community_level", "not given"),
            "follower_count": social.get("followers", 0),
            "software_version": device.get("software_version", "unknown"),
            "firmware_version": device.get("firmware_version", "unknown"),
        }
        if channel.get("other_details"):
            body["channel_details"] = channel["other_details"]
        if contact.get("private_details", {}).get("msa"):
            body["msa"] = contact["private_details"]["msa"]
        sr = (await self.call("POST", "/service-requests", token, body)).json()
        redacted = ", ".join(sr["public_comments_redacted"]) or "nothing"
        self.out(
            f"   {sr['number']} created: {sr['status']}, {sr['category']}, "
            f"priority {sr['priority']}, removed from public comments: {redacted}"
        )
        return sr  # type: ignore[no-any-return]

    async def _check_created(
        self, sr: dict[str, Any], contact: Contact, token: str, result: ContactResult
    ) -> None:
        expected = contact.get("expected", {})
        status = expected.get("status_after_create", "escalated")
        if sr["status"] != status:
            result.failures.append(
                f"{sr['number']} is {sr['status']}, expected {status}"
            )
        forbidden = expected.get("public_comments_contain_no", [])
        if forbidden:
            read = await self.call("GET", f"/service-requests/{sr['id']}", token)
            stored = read.json()["public_comments"] or ""
            for value in leaked(stored, forbidden):
                result.failures.append(
                    f"{sr['number']} stores a forbidden value in its public comments "
                    f"(item {forbidden.index(value)} of public_comments_contain_no)"
                )

    async def _walk_lifecycle(
        self,
        sr: dict[str, Any],
        expected: dict[str, Any],
        agents: DemoAgents,
        tier1: str,
        result: ContactResult,
    ) -> None:
        tokens = {"tier1": tier1, "tier2": agents.tier2}
        if sr["status"] == "escalated":
            taken = await self.call(
                "POST",
                f"/service-requests/{sr['id']}/take",
                agents.tier2,
                etag=sr["version"],
            )
            sr = taken.json()
            self.out(f"   {sr['number']} taken by Tier 2")
        for event in expected.get("lifecycle", DEFAULT_LIFECYCLE):
            actor = EVENT_ACTOR[event]
            response = await self.call(
                "POST",
                f"/service-requests/{sr['id']}/{event.replace('_', '-')}",
                tokens[actor],
                EVENT_BODIES[event],
                etag=sr["version"],
            )
            sr = response.json()
            target = EVENT_TARGET.get(event)
            self.out(
                f"   {sr['number']} {event} by {actor.replace('tier', 'Tier ')}: {sr['status']}"
            )
            if target is not None and sr["status"] != target:
                result.failures.append(
                    f"{sr['number']} is {sr['status']} after {event}, expected {target}"
                )


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return f"{body.get('title', '')}: {body.get('detail', '')}"
    return str(body)[:200]


def _triage_body(contact: Contact) -> dict[str, Any]:
    problems = []
    for problem in contact["problems"]:
        entry = {"category": problem["category"], "summary": problem["summary"]}
        for key in ("related_group", "transfer_team"):
            if problem.get(key):
                entry[key] = problem[key]
        problems.append(entry)
    body: dict[str, Any] = {"channel": contact["channel"]["name"], "problems": problems}
    if contact.get("locale"):
        body["locale"] = contact["locale"]
    return body


def _check_plan(
    plan: dict[str, Any], expected: dict[str, Any], result: ContactResult
) -> None:
    """Compare the plan with the contact's expected SR count, redirects, transfers and declines."""
    actual = {
        "service_requests": len(plan["service_requests"]),
        "redirects": sorted(item["address"] for item in plan["redirects"]),
        "transfers": sorted(item["team"] for item in plan["transfers"]),
        "declines": sorted(item["category"] for item in plan["declines"]),
        "requests_for_details": sorted(
            item["category"] for item in plan["requests_for_details"]
        ),
    }
    for key, value in actual.items():
        if key not in expected:
            continue
        wanted = (
            expected[key] if isinstance(expected[key], int) else sorted(expected[key])
        )
        if value != wanted:
            result.failures.append(f"triage gave {key} {value}, expected {wanted}")


async def replay(
    client: httpx.AsyncClient,
    supervisor_token: str,
    contacts: list[Contact],
    out: Output = print,
) -> list[ContactResult]:
    """Create the demo's agents with the supervisor token, then replay every contact."""
    runner = Replay(client, out)
    agents = await runner.create_agents(supervisor_token)
    return await runner.run(contacts, agents)


def summarize(results: list[ContactResult], out: Output = print) -> int:
    """Print the tally and return the exit status: 1 if any contact failed."""
    failed = [result.contact_id for result in results if not result.passed]
    out(
        f"{len(results)} contacts: {len(results) - len(failed)} PASS, {len(failed)} FAIL"
    )
    if failed:
        out("failed: " + ", ".join(failed))
    return 1 if failed else 0


@contextmanager
def embedded_service(port: int = 0) -> Iterator[tuple[str, str]]:
    """Serve the API on 127.0.0.1 with a temporary SQLite database; yield its URL and a supervisor token.

    Port 0 lets the operating system pick a free port.
    """
    import uvicorn

    from app.db import Database
    from app.domain.agents import service as agents
    from app.domain.agents.schemas import AgentCreate
    from app.domain.vocabulary import Tier
    from app.main import create_app
    from app.migrations import upgrade_to_head
    from app.settings import Settings

    with tempfile.TemporaryDirectory(prefix="casedesk-demo-") as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        upgrade_to_head(url)
        db = Database(url)
        now = datetime.now(UTC)
        supervisor = db.run(
            agents.create_agent,
            AgentCreate(
                name="Demo supervisor",
                tier=Tier.supervisor,
                default_queue="leads",
                time_zone="UTC",
            ),
            now,
        )
        token, _ = db.run(
            agents.issue_token,
            supervisor.id,
            label="casedesk demo",
            ttl=timedelta(hours=1),
            now=now,
        )
        db.dispose()

        settings = Settings(database_url=url, log_level="warning")
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="casedesk-demo", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the demo service did not start on port {port}")
                time.sleep(0.05)
            bound = server.servers[0].sockets[0].getsockname()[1]
            yield f"http://127.0.0.1:{bound}", token
        finally:
            server.should_exit = True
            thread.join(timeout=30)


async def _replay_url(base_url: str, token: str, contacts: list[Contact]) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        results = await replay(client, token, contacts)
    return summarize(results)


def main(
    base_url: str | None = None,
    token: str | None = None,
    contacts: str | None = None,
    port: int | None = None,
) -> int:
    """Replay the contacts against `base_url`, or against an embedded service when it is None."""
    loaded = load_contacts(contacts)
    if base_url is not None:
        if not token:
            print(
                "error: --token is required with --base-url: a supervisor's token",
                file=sys.stderr,
            )
            return 2
        return asyncio.run(_replay_url(base_url.rstrip("/"), token, loaded))
    with embedded_service(port or 0) as (url, supervisor_token):
        print(f"demo service on {url} with a temporary SQLite database\n")
        return asyncio.run(_replay_url(url, supervisor_token, loaded))
