"""Fixtures: clients on live Honcho servers named by the environment.

* `HONCHO_TEST_BASE_URL`: a server without a model (storage, search, context...).
* `HONCHO_TEST_CHAT_BASE_URL`: a server with a model and a deriver working for it (chat,
  derivation, summaries, representations built from messages).
* `HONCHO_TEST_AUTH_BASE_URL` + `HONCHO_TEST_ADMIN_KEY`: a server with auth on, and an admin key.

The main project's `./run test` starts all three and runs this suite (`tests/sdk/` there). Tests
needing a server that is not named are skipped with the variable to set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from honcho import AsyncHoncho, Honcho

ENV_VARS = ("HONCHO_BASE_URL", "HONCHO_API_KEY", "HONCHO_WORKSPACE_ID")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _url(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"set {variable} to run the tests against a live server")
    return value


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK reads HONCHO_*; tests set what they need."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def base_url() -> str:
    return _url("HONCHO_TEST_BASE_URL")


@pytest.fixture
def chat_base_url() -> str:
    return _url("HONCHO_TEST_CHAT_BASE_URL")


@pytest.fixture
def auth_base_url() -> str:
    return _url("HONCHO_TEST_AUTH_BASE_URL")


@pytest.fixture
def admin_key() -> str:
    return _url("HONCHO_TEST_ADMIN_KEY")


class Recorder:
    """Every request an `httpx.Client`/`AsyncClient` sends, via its event hooks."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    async def record_async(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()


MakeHoncho = Callable[..., Honcho]


@pytest.fixture
def make_honcho(base_url: str) -> Iterator[MakeHoncho]:
    """Sync clients on the plain server, each on a fresh workspace unless one is named."""
    made: list[Honcho] = []

    def make(**kwargs: Any) -> Honcho:
        kwargs.setdefault("base_url", base_url)
        kwargs.setdefault("workspace_id", unique("sdk"))
        client = Honcho(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def honcho(make_honcho: MakeHoncho) -> Honcho:
    return make_honcho()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorded(base_url: str, recorder: Recorder) -> Iterator[Honcho]:
    """A sync client whose requests `recorder` sees (construction's request already cleared)."""
    with httpx.Client(event_hooks={"request": [recorder]}) as http:
        client = Honcho(base_url=base_url, workspace_id=unique("sdk"), http_client=http)
        recorder.clear()
        yield client


@pytest.fixture
def chat_honcho(chat_base_url: str) -> Iterator[Honcho]:
    with Honcho(base_url=chat_base_url, workspace_id=unique("sdk-chat")) as client:
        yield client


@pytest.fixture
async def ahoncho(base_url: str) -> AsyncIterator[AsyncHoncho]:
    client = AsyncHoncho(base_url=base_url, workspace_id=unique("sdk-async"))
    yield client
    await client.close()


@pytest.fixture
async def chat_ahoncho(chat_base_url: str) -> AsyncIterator[AsyncHoncho]:
    async with AsyncHoncho(base_url=chat_base_url, workspace_id=unique("sdk-achat")) as client:
        yield client
