"""docs/operations.md stays true to the code: its diagram, metrics and log events."""

import re
from pathlib import Path

import httpx

from scripts.render_docs import render
from tests.ops.conftest import parse_metrics

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
APP = Path(__file__).resolve().parents[2] / "app"


def test_generated_diagram_is_current() -> None:
    text = DOC.read_text()

    assert render(text) == text, (
        "docs/operations.md is stale: run scripts/render_docs.py"
    )


async def test_every_service_metric_documented(client: httpx.AsyncClient) -> None:
    text = DOC.read_text()
    await client.get("/health/live")
    exported = parse_metrics((await client.get("/metrics")).text)

    families = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for name, _ in exported
        if name.startswith("casedesk_")
    }
    assert families == {
        "casedesk_http_requests_total",
        "casedesk_http_request_duration_seconds",
        "casedesk_sr_transitions_total",
        "casedesk_open_service_requests",
        "casedesk_db_connections_in_use",
        "casedesk_db_connections_max",
    }
    for family in families:
        assert f"`{family}`" in text, family


def test_every_logged_event_documented() -> None:
    text = DOC.read_text()
    logged = set()
    for source in APP.rglob("*.py"):
        logged |= set(
            re.findall(
                r'log\.(?:info|warning|error)\(\s*"([a-z_.]+)"', source.read_text()
            )
        )

    assert "request.completed" in logged
    for event in logged:
        assert f"`{event}`" in text, event
