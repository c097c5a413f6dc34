"""Schemathesis fuzzes every operation of the served spec, with real tokens, on the real database.

Each generated request goes out three times, as a supervisor, a Tier 1 and a
Tier 2 agent, and every response must be declared by the spec for its
operation, match the declared schema and content type, and never be a 5xx.
Path parameters that name objects are swapped, for a share of the cases, for
ids of objects that exist, so the fuzzing reaches past "not found".

A second test walks the links of the spec (create, then read, edit and fire
events on the result) as each tier.

CASEDESK_FUZZ_EXAMPLES sets the examples per operation for the fuzzing phase,
and the scenarios of the workflow test (default 8, about 35 s of CPU time for
this file on SQLite); raise it for deeper runs.
"""

import asyncio
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.domain.agents import service as agents
from app.domain.vocabulary import Tier, Tier1Kind
from app.main import create_app
from app.settings import Settings
from tests.factories import (
    AgentLogin,
    FrozenClock,
    build_desk,
    create_login,
    profile_body,
    social_sr_body,
)

EXAMPLES = int(os.environ.get("CASEDESK_FUZZ_EXAMPLES", "8"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class FuzzTargets:
    """Existing objects the fuzzed requests point at, and the logins they go out as."""

    logins: tuple[AgentLogin, ...]
    sr_refs: tuple[str, ...]
    profile_ids: tuple[str, ...]
    agent_ids: tuple[str, ...]
    token_ids: tuple[str, ...]


async def _create_objects(
    app: FastAPI, social: AgentLogin
) -> tuple[dict[str, Any], dict[str, Any]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://casedesk.test"
    ) as http:
        profile = await http.post(
            "/profiles", json=profile_body(), headers=social.headers
        )
        assert profile.status_code == 201, profile.text
        sr = await http.post(
            "/service-requests",
            json=social_sr_body(profile.json()["id"]),
            headers=social.headers,
        )
        assert sr.status_code == 201, sr.text
    return profile.json(), sr.json()


def _seed(app: FastAPI, clock: FrozenClock) -> FuzzTargets:
    db = app.state.db
    desk = build_desk(db, clock.now, token_ttl=timedelta(days=365))
    spare = create_login(
        db, clock.now, tier=Tier.tier1, kind=Tier1Kind.store, name="Spare Agent"
    )
    spare_tokens = db.run(agents.list_tokens, spare.agent.id)
    profile, sr = asyncio.run(_create_objects(app, desk.social))
    return FuzzTargets(
        logins=(desk.supervisor, desk.social, desk.tier2),
        sr_refs=(sr["id"], sr["number"]),
        profile_ids=(profile["id"],),
        agent_ids=(spare.id,),
        token_ids=(str(spare_tokens[0].id),),
    )


@pytest.fixture
def fuzz_app(settings: Settings, clock: FrozenClock) -> Iterator[FastAPI]:
    application = create_app(settings, clock=clock)
    yield application
    # Schemathesis keeps every application it served alive until the process
    # exits, so close the database connections here, not at lifespan shutdown.
    application.state.db.dispose()


@pytest.fixture
def fuzz_targets(fuzz_app: FastAPI, clock: FrozenClock) -> FuzzTargets:
    return _seed(fuzz_app, clock)


def _load_schema(*, stateful: bool) -> Any:
    """Load the spec the application serves; no database is opened for it."""
    spec_source = create_app(Settings(database_url="sqlite://"), configure_logs=False)
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261201,
            "generation": {"mode": "all", "max-examples": EXAMPLES},
            # Only the workflow test follows links; the per-operation tests go without.
            "phases": {"stateful": {"enabled": stateful}},
        }
    )
    return schemathesis.openapi.from_dict(spec_source.openapi(), config=config)


schema = _load_schema(stateful=False)
workflow_schema = _load_schema(stateful=True)

REFERENCES = {
    "sr_ref": "sr_refs",
    "profile_id": "profile_ids",
    "agent_id": "agent_ids",
    "token_id": "token_ids",
}


def _point_at_existing(case: Any, targets: FuzzTargets) -> None:
    """Swap most generated object references for existing ones, and half the ETags for a current one."""
    for name, value in list((case.path_parameters or {}).items()):
        choices = getattr(targets, REFERENCES.get(name, ""), None)
        if not choices:
            continue
        pick = zlib.crc32(str(value).encode()) % (len(choices) + 1)
        if pick < len(choices):
            case.path_parameters[name] = choices[pick]
    headers = case.headers or {}
    if "If-Match" in headers and zlib.crc32(str(headers["If-Match"]).encode()) % 2:
        # The seeded SR and profile are at version 1 until a fuzzed write changes them.
        headers["If-Match"] = '"1"'


@pytest.mark.slow
@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_spec(
    case: Any, fuzz_app: FastAPI, fuzz_targets: FuzzTargets
) -> None:
    _point_at_existing(case, fuzz_targets)
    for login in fuzz_targets.logins:
        case.call_and_validate(app=fuzz_app, headers=login.headers, checks=CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize("login_index", [0, 1, 2], ids=["supervisor", "tier1", "tier2"])
def test_api_workflows_conform_to_spec(
    login_index: int, fuzz_app: FastAPI, fuzz_targets: FuzzTargets
) -> None:
    """Chain calls along the spec's links: create, then read, edit and fire events on the result."""
    login = fuzz_targets.logins[login_index]
    machine = workflow_schema.as_state_machine()

    class Workflow(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": fuzz_app, "headers": login.headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
