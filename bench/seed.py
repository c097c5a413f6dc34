"""Seed both apps through their public APIs: agents, a profile, and SRs in every status."""

import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.load import encode_request, from_list, run_load
from bench.servers import ROOT, Server

EVENTS = (
    "escalate",
    "hold",
    "resume",
    "resolve",
    "de_escalate",
    "close",
    "reject_resolution",
    "reopen",
    "cancel",
)
EVENT_BODIES: dict[str, dict[str, Any]] = {
    "escalate": {},
    "hold": {
        "reason": "Waiting for the customer's logs.",
        "follow_up": {
            "due_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            "channel": "private_message",
            "note": "Ask whether the logs were sent.",
        },
    },
    "resume": {},
    "resolve": {"resolution": "Install update 10.0.15063.300, which fixes the reboot."},
    "de_escalate": {},
    "close": {"closing_note": "Told the customer by private message; fix confirmed."},
    "reject_resolution": {"reason": "The update did not fix it."},
    "reopen": {"reason": "The reboot came back."},
    "cancel": {"reason": "Duplicate of another SR."},
}
TIER2_EVENTS = {"hold", "resume", "resolve", "de_escalate"}
"""Events Tier 2 fires; the Tier 1 owner fires the others."""
PREPARATION = {
    "escalate": [],
    "hold": [],
    "resume": ["hold"],
    "resolve": [],
    "de_escalate": ["resolve"],
    "close": ["resolve", "de_escalate"],
    "reject_resolution": ["resolve", "de_escalate"],
    "reopen": ["resolve", "de_escalate", "close"],
    "cancel": [],
}
"""Events fired on a new escalated SR to bring it to the status each event starts from."""
SOURCE_STATUS = {
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
BASELINE_STEPS_PER_CASE = 4
"""A baseline case takes /next four times (open to closed)."""

PROFILE_BODY = {
    "first_name": "Mariana",
    "last_name": "Souza",
    "address": {
        "line1": "Rua das Flores, 120, apto 31",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": "01310-100",
        "country": "BR",
    },
    "email": "bench.customer@example.com",
    "phone": "+55 11 91234-0001",
    "collected_via": "private_message",
}
CASE_BODY = {
    "title": "Phone reboots on camera",
    "channel": "twitter",
    "followers": 1840,
}


def store_sr_body(profile_id: str) -> dict[str, Any]:
    """A store SR kept Open: social-media SRs are always escalated at creation."""
    return {
        "customer_type": "store",
        "profile_id": profile_id,
        "category": "os_bug",
        "contact_reason": "Calendar sync stops after the update.",
        "resolution_needed": "Sync working again.",
        "escalate": False,
        "open_reason": "The store tries a settings reset first.",
    }


def sr_body(profile_id: str) -> dict[str, Any]:
    return {
        "customer_type": "social_media",
        "profile_id": profile_id,
        "category": "os_bug",
        "contact_reason": "The phone reboots when the camera opens after the update.",
        "resolution_needed": "A fix or workaround for the reboot.",
        "channel": "twitter",
        "post_url": "https://twitter.com/example_user/status/880001112223334445",
        "public_comments": "My phone reboots every time I open the camera.",
        "community_level": "Level 2",
        "follower_count": 1840,
        "software_version": "10.0.15063.297",
        "firmware_version": "02177.00000.16045.36000",
    }


# Seeding through the public API


def call(
    port: int, requests: list[bytes], connections: int = 32
) -> list[tuple[int, dict[str, Any]]]:
    """Send prepared requests concurrently; return each response's status and JSON body."""
    if not requests:
        return []
    result = run_load(
        port,
        from_list(requests),
        connections=min(connections, len(requests)),
        limit_seconds=600,
        keep_bodies=True,
    )
    if result.requests != len(requests):
        raise RuntimeError(
            f"seeding sent {result.requests} of {len(requests)} requests"
        )
    failed = {
        status: count for status, count in result.statuses.items() if status >= 400
    }
    if failed:
        sample = next(
            (body for body in result.bodies.values() if b'"status":4' in body), b""
        )
        raise RuntimeError(f"seeding failed with statuses {failed}: {sample[:300]!r}")
    return [(200, json.loads(result.bodies[index])) for index in range(len(requests))]


def create_agent(url: str, name: str, tier: str, queue: str, kind: str | None) -> str:
    """Create an agent with the casedesk CLI and return its token."""
    command = [
        str(Path(sys.executable).parent / "casedesk"),
        "agents",
        "create",
        "--name",
        name,
        "--tier",
        tier,
        "--queue",
        queue,
    ]
    if kind:
        command += ["--kind", kind]
    output = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "CASEDESK_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^token:\s+(\S+)", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no token in the CLI output: {output!r}")
    return match.group(1)


@dataclass
class Agents:
    """Authorization headers of the seeded agents, and the customer profile they use."""

    owner: dict[str, str]
    """A Tier 1 social-media agent, owner of the social-media SRs."""
    tier2: dict[str, str]
    store: dict[str, str]
    """A Tier 1 store agent, whose SRs can stay Open."""
    profile_id: str


@dataclass
class CasedeskSeed:
    owner: dict[str, str]
    tier2: dict[str, str]
    profile_id: str
    pools: dict[str, list[list[bytes]]]
    """Per event, one list of prepared requests per round."""
    read_ids: list[str]


def fire_request(
    sr_id: str, event: str, version: int, headers: dict[str, str]
) -> bytes:
    return encode_request(
        "POST",
        f"/service-requests/{sr_id}/{event.replace('_', '-')}",
        body=EVENT_BODIES[event],
        headers={**headers, "If-Match": f'"{version}"'},
    )


def seed_agents(server: Server) -> Agents:
    """Create the three agents with the CLI, and one customer profile through the API."""
    url = server.database_url
    owner = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Social", "tier1", "social-br", "social_media")
    }
    tier2 = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Tier2", "tier2", "ges", None)
    }
    store = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Store", "tier1", "store-sp", "store")
    }
    [(_, profile)] = call(
        server.port,
        [encode_request("POST", "/profiles", body=PROFILE_BODY, headers=owner)],
    )
    return Agents(owner, tier2, store, profile["id"])


def seed_casedesk(
    server: Server, agents: Agents, events: list[str], per_round: int, rounds: int
) -> CasedeskSeed:
    owner, tier2, store = agents.owner, agents.tier2, agents.store
    profile_id = agents.profile_id

    def agent_for(event: str) -> dict[str, str]:
        if event == "escalate":
            return store
        return tier2 if event in TIER2_EVENTS else owner

    wanted = [(event, index) for event in events for index in range(per_round * rounds)]
    creates = [
        encode_request(
            "POST",
            "/service-requests",
            body=store_sr_body(profile_id)
            if event == "escalate"
            else sr_body(profile_id),
            headers=store if event == "escalate" else owner,
        )
        for event, _ in wanted
    ]
    states = [[body["id"], body["version"]] for _, body in call(server.port, creates)]
    for step in range(3):
        positions = [
            i for i, (event, _) in enumerate(wanted) if len(PREPARATION[event]) > step
        ]
        requests = []
        for position in positions:
            event = PREPARATION[wanted[position][0]][step]
            sr_id, version = states[position]
            requests.append(fire_request(sr_id, event, version, agent_for(event)))
        for position, (_, body) in zip(
            positions, call(server.port, requests), strict=True
        ):
            states[position][1] = body["version"]

    pools: dict[str, list[list[bytes]]] = {
        event: [[] for _ in range(rounds)] for event in events
    }
    for (event, index), (sr_id, version) in zip(wanted, states, strict=True):
        pools[event][index // per_round].append(
            fire_request(sr_id, event, version, agent_for(event))
        )

    read_ids = [
        state[0]
        for (event, _), state in zip(wanted, states, strict=True)
        if event != "escalate"
    ][:1000]
    if len(read_ids) < 1000:
        extra = call(
            server.port,
            [
                encode_request(
                    "POST", "/service-requests", body=sr_body(profile_id), headers=owner
                )
                for _ in range(1000 - len(read_ids))
            ],
        )
        read_ids += [body["id"] for _, body in extra]
    return CasedeskSeed(owner, tier2, profile_id, pools, read_ids)


# The queue page and triage

QUEUE_MIX = (
    ("elp_press", 60_000),
    ("rrt", 5_000),
    ("rrt", 200),
    ("os_bug", 80_000),
    ("os_bug", 1_840),
    ("os_bug", 150),
    ("os_bug", 40),
)
"""Category and follower count of the queue SRs, in turn, so that the page mixes priorities."""

TRIAGE_BODY = {
    "channel": "twitter",
    "locale": "pt-BR",
    "problems": [
        {
            "category": "os_bug",
            "summary": "Phone reboots when the camera app opens after the update.",
        },
        {"category": "hardware", "summary": "Cracked screen after a drop."},
        {
            "category": "accounts_and_billing",
            "summary": "Double charge on an app purchase.",
        },
    ],
}
"""A contact with three problems: one gets an SR, one a redirect, one a transfer."""


@dataclass
class QueueSeed:
    pages: list[bytes]
    """One request per page of the Tier 2 escalated view, the first without a cursor."""
    page_size: int
    """Items on the first page: the default page size unless the view is shorter."""


def seed_queue(server: Server, agents: Agents, count: int) -> QueueSeed:
    """Create `count` escalated SRs and prepare a request for each page of the Tier 2 queue.

    Social-media SRs are escalated at creation. The pages are walked once with
    `next_cursor`, so the load reads every page of the view, not only the first.
    """
    creates = []
    for index in range(count):
        category, followers = QUEUE_MIX[index % len(QUEUE_MIX)]
        body = {
            **sr_body(agents.profile_id),
            "category": category,
            "follower_count": followers,
        }
        creates.append(
            encode_request("POST", "/service-requests", body=body, headers=agents.owner)
        )
    call(server.port, creates)
    pages: list[bytes] = []
    page_size = 0
    cursor = None
    while True:
        path = "/queues/escalated" + (f"?cursor={quote(cursor)}" if cursor else "")
        request = encode_request("GET", path, headers=agents.tier2)
        pages.append(request)
        [(_, page)] = call(server.port, [request])
        page_size = page_size or len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return QueueSeed(pages, page_size)


@dataclass
class BaselineSeed:
    next_pools: list[list[bytes]]
    read_ids: list[int]


def seed_baseline(server: Server, next_rounds: int, per_round: int) -> BaselineSeed:
    case_pools = math.ceil(next_rounds / BASELINE_STEPS_PER_CASE) if next_rounds else 0
    count = max(1000, case_pools * per_round)
    ids = [
        body["id"]
        for _, body in call(
            server.port, [encode_request("POST", "/cases", body=CASE_BODY)] * count
        )
    ]
    next_pools = []
    for round_index in range(next_rounds):
        pool = round_index // BASELINE_STEPS_PER_CASE
        chunk = ids[pool * per_round : (pool + 1) * per_round]
        next_pools.append(
            [
                encode_request("POST", f"/cases/{case_id}/next", body={})
                for case_id in chunk
            ]
        )
    return BaselineSeed(next_pools, ids[:1000])
