"""Test data: agents with tokens, and request bodies with keyword overrides."""

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from app.db import Database
from app.domain.agents import service as agents
from app.domain.agents.schemas import AgentCreate, AgentRead
from app.domain.vocabulary import Tier, Tier1Kind


class FrozenClock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(frozen=True)
class AgentLogin:
    agent: AgentRead
    token: str

    @property
    def id(self) -> str:
        return str(self.agent.id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def matching(self, etag: str) -> dict[str, str]:
        """Headers for a conditional write: the token and If-Match."""
        return {**self.headers, "If-Match": etag}


def create_login(
    db: Database,
    now: datetime,
    *,
    tier: Tier,
    kind: Tier1Kind | None = None,
    queue: str = "social-br",
    time_zone: str = "America/Sao_Paulo",
    name: str = "Test Agent",
    token_ttl: timedelta = timedelta(days=30),
) -> AgentLogin:
    data = AgentCreate(
        name=name, tier=tier, tier1_kind=kind, default_queue=queue, time_zone=time_zone
    )
    agent = db.run(agents.create_agent, data, now)
    token, _ = db.run(
        agents.issue_token, agent.id, label="test", ttl=token_ttl, now=now
    )
    return AgentLogin(agent, token)


@dataclass(frozen=True)
class Desk:
    supervisor: AgentLogin
    social: AgentLogin
    """A Tier 1 social-media agent in queue social-br."""
    social_peer: AgentLogin
    """Another social-media agent in the same queue."""
    social_other_queue: AgentLogin
    """A social-media agent in another queue."""
    community: AgentLogin
    store: AgentLogin
    sales: AgentLogin
    tier2: AgentLogin
    tier2_peer: AgentLogin


def build_desk(db: Database, now: datetime, *, token_ttl: timedelta) -> Desk:
    def login(**kwargs: Any) -> AgentLogin:
        return create_login(db, now, token_ttl=token_ttl, **kwargs)

    return Desk(
        supervisor=login(tier=Tier.supervisor, queue="leads", name="Sofia Supervisor"),
        social=login(tier=Tier.tier1, kind=Tier1Kind.social_media, name="Ana Social"),
        social_peer=login(
            tier=Tier.tier1, kind=Tier1Kind.social_media, name="Bruno Social"
        ),
        social_other_queue=login(
            tier=Tier.tier1,
            kind=Tier1Kind.social_media,
            queue="social-ru",
            name="Olga Social",
        ),
        community=login(
            tier=Tier.tier1, kind=Tier1Kind.community, name="Caio Community"
        ),
        store=login(
            tier=Tier.tier1, kind=Tier1Kind.store, queue="store-sp", name="Dora Store"
        ),
        sales=login(
            tier=Tier.tier1, kind=Tier1Kind.sales, queue="sales-sp", name="Edu Sales"
        ),
        tier2=login(tier=Tier.tier2, queue="ges", time_zone="UTC", name="Gabi Tier2"),
        tier2_peer=login(
            tier=Tier.tier2, queue="ges", time_zone="UTC", name="Hugo Tier2"
        ),
    )


_sequence = itertools.count(1)


def profile_body(**overrides: Any) -> dict[str, Any]:
    """A valid profile in Brazil, with an email and a phone number no other call reuses."""
    number = next(_sequence)
    body: dict[str, Any] = {
        "first_name": "Mariana",
        "last_name": "Souza",
        "address": {
            "line1": "Rua das Flores, 120, apto 31",
            "city": "São Paulo",
            "region": "SP",
            "postal_code": "01310-100",
            "country": "BR",
        },
        "email": f"customer{number}@example.com",
        "phone": f"+55 11 91234-{number % 10000:04d}",
        "collected_via": "private_message",
    }
    body.update(overrides)
    return body


def social_sr_body(profile_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    body.update(overrides)
    return body


def shop_sr_body(
    profile_id: str, customer_type: str = "store", **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_type": customer_type,
        "profile_id": profile_id,
        "category": "os_bug",
        "contact_reason": "Calendar sync stops after the update.",
        "resolution_needed": "Sync working again.",
    }
    body.update(overrides)
    return body


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


Clock = Callable[[], datetime]


async def create_profile(
    client: httpx.AsyncClient, login: AgentLogin, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/profiles", json=profile_body(**overrides), headers=login.headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def create_social_sr(
    client: httpx.AsyncClient,
    login: AgentLogin,
    profile_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    if profile_id is None:
        profile_id = (await create_profile(client, login))["id"]
    response = await client.post(
        "/service-requests",
        json=social_sr_body(profile_id, **overrides),
        headers=login.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def create_shop_sr(
    client: httpx.AsyncClient,
    login: AgentLogin,
    customer_type: str = "store",
    profile_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    if profile_id is None:
        profile_id = (await create_profile(client, login))["id"]
    response = await client.post(
        "/service-requests",
        json=shop_sr_body(profile_id, customer_type, **overrides),
        headers=login.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def fire(
    client: httpx.AsyncClient,
    login: AgentLogin,
    sr: dict[str, Any],
    event: str,
    body: dict[str, Any] | None = None,
    *,
    version: int | None = None,
) -> httpx.Response:
    """Fire a lifecycle event with If-Match set to the SR's version (or `version`)."""
    etag = f'"{sr["version"] if version is None else version}"'
    path = f"/service-requests/{sr['id']}/{event.replace('_', '-')}"
    return await client.post(path, json=body or {}, headers=login.matching(etag))


EVENT_BODIES: dict[str, dict[str, Any]] = {
    "escalate": {},
    "hold": {
        "reason": "Waiting for the customer's logs.",
        "follow_up": {
            "due_at": "2030-01-15T09:00:00-03:00",
            "channel": "private_message",
            "note": "Ask whether the logs were sent.",
        },
    },
    "resume": {},
    "resolve": {
        "resolution": "Install update 10.0.15063.300, which fixes the camera reboot."
    },
    "de_escalate": {},
    "close": {
        "closing_note": "Told the customer over private message; they confirmed the fix."
    },
    "reject_resolution": {"reason": "The update did not fix it."},
    "reopen": {"reason": "The reboot came back."},
    "cancel": {"reason": "Duplicate of another SR."},
}
