"""Structured logs: one JSON line per request with its ids, rejections and crashes logged once."""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.db import Database
from app.main import create_app
from app.settings import Settings
from tests.factories import EVENT_BODIES, Desk, create_social_sr, fire, profile_body
from tests.ops.conftest import LogLines

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class TestRequestLine:
    async def test_client_request_id_logged_and_returned(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.get(
            f"/service-requests/{sr['id']}",
            headers={**desk.social.headers, "X-Request-ID": "ops-check-0001"},
        )

        assert response.headers["x-request-id"] == "ops-check-0001"
        [line] = logs.events("request.completed", request_id="ops-check-0001")
        assert line["method"] == "GET"
        assert line["route"] == "/service-requests/{sr_ref}"
        assert line["status"] == 200
        assert line["agent_id"] == desk.social.id
        assert line["sr_number"] == sr["number"]
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
        assert line["level"] == "info"

    async def test_request_without_id_gets_one(
        self, logs: LogLines, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/health/live")

        generated = response.headers["x-request-id"]
        assert len(generated) == 32
        [line] = logs.events("request.completed", request_id=generated)
        assert line["agent_id"] is None
        assert line["sr_number"] is None

    @pytest.mark.parametrize("sent", ["has spaces", "x" * 129, "semi;colon"])
    async def test_invalid_request_id_replaced(
        self, logs: LogLines, client: httpx.AsyncClient, sent: str
    ) -> None:
        response = await client.get("/health/live", headers={"X-Request-ID": sent})

        returned = response.headers["x-request-id"]
        assert returned != sent
        assert len(logs.events("request.completed", request_id=returned)) == 1
        assert logs.events("request.completed", request_id=sent) == []

    async def test_sr_number_of_created_sr_logged(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        [line] = logs.events(
            "request.completed", route="/service-requests", method="POST"
        )
        assert line["sr_number"] == sr["number"]
        assert line["status"] == 201

    async def test_every_line_is_one_json_object(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        await create_social_sr(client, desk.social)
        await client.get("/health/ready")

        events = logs.read()

        assert len(events) >= 3
        for event in events:
            assert isinstance(event, dict)
            assert "event" in event
            assert "timestamp" in event

    async def test_personal_data_never_logged(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        body = profile_body(first_name="Zelinda", last_name="Quintanilha")
        created = await client.post("/profiles", json=body, headers=desk.social.headers)
        assert created.status_code == 201
        await create_social_sr(client, desk.social, created.json()["id"])

        logs.read()
        text = "\n".join(logs.lines)

        assert "request.completed" in text
        for value in ("Zelinda", "Quintanilha", body["email"], body["phone"]):
            assert value not in text


class TestRejectedTransition:
    async def test_rejection_logged_once(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        response = await client.post(
            f"/service-requests/{sr['id']}/close",
            json=EVENT_BODIES["close"],
            headers={
                **desk.social.matching(f'"{sr["version"]}"'),
                "X-Request-ID": "ops-reject-1",
            },
        )

        assert response.status_code == 409
        [line] = logs.events("sr.transition_rejected")
        assert line["request_id"] == "ops-reject-1"
        assert line["sr_number"] == sr["number"]
        assert line["agent_id"] == desk.social.id
        assert line["transition_event"] == "close"
        assert line["current_status"] == "escalated"
        assert line["problem"] == "invalid-transition"

    async def test_forbidden_for_this_sr_logged(
        self, logs: LogLines, client: httpx.AsyncClient, desk: Desk
    ) -> None:
        sr = await create_social_sr(client, desk.social)
        resolved = (
            await fire(client, desk.tier2, sr, "resolve", EVENT_BODIES["resolve"])
        ).json()

        response = await fire(
            client, desk.tier2, resolved, "close", EVENT_BODIES["close"]
        )

        assert response.status_code == 403
        [line] = logs.events("sr.transition_rejected")
        assert line["problem"] == "actor-forbidden"
        assert line["current_status"] == "resolved"


class TestUnexpectedError:
    async def test_crash_logged_once_without_message(
        self,
        logs: LogLines,
        client: httpx.AsyncClient,
        desk: Desk,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        sr = await create_social_sr(client, desk.social)

        def failing_commit(self: Database, dbapi: object) -> None:
            raise RuntimeError("disk full while writing customer ana@example.com")

        monkeypatch.setattr(Database, "_commit", failing_commit)
        response = await fire(client, desk.tier2, sr, "hold", EVENT_BODIES["hold"])

        assert response.status_code == 500
        request_id = response.headers["x-request-id"]
        assert response.json()["request_id"] == request_id
        crashes = [
            event
            for event in logs.read()
            if event.get("level") == "error" or event.get("event") == "request.crashed"
        ]
        assert len(crashes) == 1
        [crash] = crashes
        assert crash["event"] == "request.crashed"
        assert crash["error_type"] == "RuntimeError"
        assert crash["error_frames"][-1].endswith("in failing_commit")
        assert crash["request_id"] == request_id
        assert "ana@example.com" not in json.dumps(crash)
        [line] = logs.events("request.completed", request_id=request_id)
        assert line["status"] == 500


class TestServerLifecycle:
    async def test_start_and_stop_logged(
        self, logs: LogLines, settings: Settings
    ) -> None:
        application: FastAPI = create_app(settings)

        async with application.router.lifespan_context(application):
            started = logs.events("server.started")
        stopping = logs.events("server.stopping")
        stopped = logs.events("server.stopped")

        assert len(started) == 1
        assert started[0]["database"] in {"sqlite", "postgresql"}
        assert len(stopping) == 1
        assert len(stopped) == 1


LOG_ONE_EVENT = """
import structlog
from app.logs import configure
configure("info", "auto")
structlog.get_logger(component="check").info("ops.check", sr_number="SR-00000007")
"""


class TestOutputFormat:
    def test_terminal_gets_readable_lines(self) -> None:
        controller, terminal = pty.openpty()
        process = subprocess.run(
            [sys.executable, "-c", LOG_ONE_EVENT],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            timeout=60,
            check=True,
        )
        os.close(terminal)
        output = os.read(controller, 65536).decode()
        os.close(controller)

        assert process.returncode == 0
        assert "ops.check" in output
        assert "SR-00000007" in output
        assert not output.lstrip().startswith("{")

    def test_pipe_gets_json_lines(self) -> None:
        process = subprocess.run(
            [sys.executable, "-c", LOG_ONE_EVENT],
            cwd=PROJECT_ROOT,
            capture_output=True,
            timeout=60,
            check=True,
        )

        [line] = process.stderr.decode().splitlines()
        event = json.loads(line)
        assert event["event"] == "ops.check"
        assert event["sr_number"] == "SR-00000007"
        assert event["component"] == "check"
