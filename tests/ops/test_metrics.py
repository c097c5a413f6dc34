"""GET /metrics: request, transition, open-SR and pool metrics, and its optional token."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings
from tests.factories import (
    EVENT_BODIES,
    Desk,
    create_profile,
    create_shop_sr,
    create_social_sr,
    fire,
    social_sr_body,
)
from tests.ops.conftest import sample, scrape


async def _step(
    client: httpx.AsyncClient, login: Any, sr: dict[str, Any], event: str
) -> dict[str, Any]:
    response = await fire(client, login, sr, event, EVENT_BODIES[event])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class TestHttpMetrics:
    async def test_requests_counted_by_route_template(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        before = await scrape(client)

        for _ in range(3):
            response = await client.get(
                f"/service-requests/{sr['id']}", headers=desk.social.headers
            )
            assert response.status_code == 200
        missing = await client.get(
            "/service-requests/SR-99999999", headers=desk.social.headers
        )
        assert missing.status_code == 404
        after = await scrape(client)

        labels = {"method": "GET", "route": "/service-requests/{sr_ref}"}
        name = "casedesk_http_requests_total"
        ok_before = sample(before, name, **labels, status="200")
        assert sample(after, name, **labels, status="200") - ok_before == 3
        not_found_before = sample(before, name, **labels, status="404")
        assert sample(after, name, **labels, status="404") - not_found_before == 1
        count = "casedesk_http_request_duration_seconds_count"
        assert sample(after, count, **labels) - sample(before, count, **labels) == 4

    async def test_unknown_path_counted_as_unmatched(
        self, client: httpx.AsyncClient
    ) -> None:
        before = await scrape(client)

        response = await client.get("/no/such/path/4711")
        after = await scrape(client)

        assert response.status_code == 404
        labels = {"method": "GET", "route": "unmatched", "status": "404"}
        name = "casedesk_http_requests_total"
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1
        assert not any("4711" in str(key) for key in after)

    async def test_unknown_method_counted_as_other(
        self, client: httpx.AsyncClient
    ) -> None:
        before = await scrape(client)

        await client.request("BREW", "/health/live")
        after = await scrape(client)

        labels = {"method": "other", "route": "/health/live", "status": "405"}
        name = "casedesk_http_requests_total"
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1


class TestTransitionMetrics:
    async def test_transitions_counted_by_event_and_outcome(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        before = await scrape(client)

        sr = await create_shop_sr(
            client, desk.store, escalate=False, open_reason="Waiting for the receipt."
        )
        sr = await _step(client, desk.store, sr, "escalate")
        early_close = await fire(client, desk.store, sr, "close", EVENT_BODIES["close"])
        sr = await _step(client, desk.tier2, sr, "resolve")
        sr = await _step(client, desk.tier2, sr, "close")
        social = await create_social_sr(client, desk.social)
        social = await _step(client, desk.tier2, social, "resolve")
        tier2_close = await fire(
            client, desk.tier2, social, "close", EVENT_BODIES["close"]
        )
        after = await scrape(client)

        assert early_close.status_code == 409
        assert tier2_close.status_code == 403
        name = "casedesk_sr_transitions_total"
        changes = {
            (event, outcome): sample(after, name, event=event, outcome=outcome)
            - sample(before, name, event=event, outcome=outcome)
            for event in EVENT_BODIES
            for outcome in ("allowed", "rejected")
        }
        # The social-media SR was escalated as it was created.
        assert {key: value for key, value in changes.items() if value} == {
            ("escalate", "allowed"): 2,
            ("resolve", "allowed"): 2,
            ("close", "allowed"): 1,
            ("close", "rejected"): 2,
        }

    async def test_replayed_create_counted_once(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        profile = await create_profile(client, desk.social)
        body = social_sr_body(profile["id"])
        headers = {**desk.social.headers, "Idempotency-Key": "ops-metrics-create-1"}
        before = await scrape(client)

        first = await client.post("/service-requests", json=body, headers=headers)
        replay = await client.post("/service-requests", json=body, headers=headers)
        after = await scrape(client)

        assert first.status_code == 201
        assert replay.status_code == 201
        assert replay.json()["id"] == first.json()["id"]
        labels = {"event": "escalate", "outcome": "allowed"}
        name = "casedesk_sr_transitions_total"
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1

    async def test_every_event_exported_before_first_use(
        self, client: httpx.AsyncClient
    ) -> None:
        samples = await scrape(client)

        for event in EVENT_BODIES:
            for outcome in ("allowed", "rejected"):
                key = (
                    "casedesk_sr_transitions_total",
                    frozenset({"event": event, "outcome": outcome}.items()),
                )
                assert key in samples


class TestOpenServiceRequests:
    async def test_open_srs_counted_per_status(
        self, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_shop_sr(
            client, desk.store, escalate=False, open_reason="Waiting for the receipt."
        )
        await create_social_sr(client, desk.social)
        on_hold = await create_social_sr(client, desk.social)
        await _step(client, desk.tier2, on_hold, "hold")
        closed = await create_shop_sr(client, desk.store)
        closed = await _step(client, desk.tier2, closed, "resolve")
        await _step(client, desk.tier2, closed, "close")

        samples = await scrape(client)

        counts = {
            status: sample(samples, "casedesk_open_service_requests", status=status)
            for status in ("open", "escalated", "on_hold", "resolved", "de_escalated")
        }
        assert counts == {
            "open": 1,
            "escalated": 1,
            "on_hold": 1,
            "resolved": 0,
            "de_escalated": 0,
        }
        statuses = {
            dict(labels)["status"]
            for name, labels in samples
            if name == "casedesk_open_service_requests"
        }
        assert "closed" not in statuses
        assert "cancelled" not in statuses


class TestPoolMetrics:
    async def test_pool_use_reported(
        self, client: httpx.AsyncClient, settings: Settings, is_postgres: bool
    ) -> None:
        await client.get("/health/ready")

        samples = await scrape(client)

        in_use = sample(samples, "casedesk_db_connections_in_use")
        maximum = sample(samples, "casedesk_db_connections_max")
        if is_postgres:
            # The scrape returned its connection before the metrics were rendered.
            assert in_use == 0
            assert maximum == 2 * settings.db_pool_size
        else:
            # SQLite keeps its one shared connection checked out.
            assert in_use == 1
            assert maximum == 1


@pytest.fixture
async def guarded_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me-42")})
    application = create_app(guarded)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://casedesk.test"
        ) as http:
            yield http


class TestMetricsToken:
    async def test_open_without_token_setting(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Basic scrape-me-42"},
        ],
    )
    async def test_missing_or_wrong_token_rejected(
        self, guarded_client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await guarded_client.get("/metrics", headers=headers)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert "CASEDESK_METRICS_TOKEN" in response.json()["detail"]
        assert "scrape-me-42" not in response.text

    async def test_configured_token_accepted(
        self, guarded_client: httpx.AsyncClient
    ) -> None:
        response = await guarded_client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-42"}
        )

        assert response.status_code == 200
        assert "casedesk_http_requests_total" in response.text
