"""Helpers for the queue, follow-up and reassignment tests."""

from typing import Any

import httpx

from tests.factories import EVENT_BODIES, AgentLogin, fire


async def read_queue(
    client: httpx.AsyncClient, login: AgentLogin, view: str, **params: Any
) -> httpx.Response:
    return await client.get(f"/queues/{view}", params=params, headers=login.headers)


async def queue_numbers(
    client: httpx.AsyncClient, login: AgentLogin, view: str, **params: Any
) -> list[str]:
    response = await read_queue(client, login, view, **params)
    assert response.status_code == 200, response.text
    return [item["number"] for item in response.json()["items"]]


async def step(
    client: httpx.AsyncClient,
    login: AgentLogin,
    sr: dict[str, Any],
    event: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await fire(client, login, sr, event, body or EVENT_BODIES[event])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def history_events(
    client: httpx.AsyncClient, login: AgentLogin, sr: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/service-requests/{sr['id']}/history", headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]
