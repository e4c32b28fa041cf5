"""Fixtures for the official-SDK conformance suite: real `Honcho` / `AsyncHoncho` clients, each on
its own fresh workspace of the live `api_server`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from honcho import AsyncHoncho, Honcho

from tests.support import LiveServer, unique


@pytest.fixture
def make_honcho(api_server: LiveServer) -> Iterator[Callable[[str], Honcho]]:
    """Builds more sync clients on the live server (each construction POSTs /v2/workspaces)."""
    made: list[Honcho] = []

    def make(workspace_id: str) -> Honcho:
        client = Honcho(base_url=api_server.base_url, workspace_id=workspace_id)
        made.append(client)
        return client

    yield make
    for client in made:
        client.core.close()


@pytest.fixture
def honcho(make_honcho: Callable[[str], Honcho]) -> Honcho:
    """A sync client on a workspace no other test uses."""
    return make_honcho(unique("sdk"))


@pytest.fixture
async def make_async_honcho(api_server: LiveServer) -> AsyncIterator[Callable[[str], AsyncHoncho]]:
    """Builds more async clients on the live server."""
    made: list[AsyncHoncho] = []

    def make(workspace_id: str) -> AsyncHoncho:
        client = AsyncHoncho(base_url=api_server.base_url, workspace_id=workspace_id)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.core.close()


@pytest.fixture
async def ahoncho(make_async_honcho: Callable[[str], AsyncHoncho]) -> AsyncHoncho:
    """An async client on a workspace no other test uses."""
    return make_async_honcho(unique("sdk-async"))
