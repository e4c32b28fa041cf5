"""Fixtures for deriver tests: the fake vendor with the scripted LLM, an API whose settings have
an LLM (so it enqueues), and real `honcho deriver` processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _server_env
from tests.deriver.scripted import ScriptedLLM
from tests.fakes.vendor import FakeVendor, start_fake_vendor
from tests.support import LiveServer, WorkerProcess, start_deriver, start_server, unique


@pytest.fixture(scope="session")
def vendor() -> Iterator[FakeVendor]:
    fake = start_fake_vendor()
    yield fake
    fake.stop()


@pytest.fixture
def llm(vendor: FakeVendor) -> Iterator[ScriptedLLM]:
    """The scripted model, fresh for each test."""
    vendor.reset()
    scripted = ScriptedLLM()
    vendor.on_chat(scripted)
    yield scripted
    vendor.reset()


def llm_env(vendor: FakeVendor, **extra: str) -> dict[str, str]:
    return {
        "LLM_OPENAI_COMPATIBLE_BASE_URL": vendor.openai_base_url,
        "LLM_OPENAI_COMPATIBLE_API_KEY": "test-key",
        "LLM_OPENAI_COMPATIBLE_MODEL": "scripted-model",
        "LLM_EMBEDDING_PROVIDER": "custom",
        "LLM_EMBEDDING_MODEL": "text-embedding-3-small",
        # Deriver tests count representation work; message embeddings have their own tests.
        "EMBED_MESSAGES": "false",
        "LLM_TIMEOUT_SECONDS": "10",
        "LLM_MAX_RETRIES": "1",
        "DERIVER_RETRY_BACKOFF_SECONDS": "0.2",
        "DERIVER_RETRY_BACKOFF_MAX_SECONDS": "1",
        "DERIVER_POLLING_SLEEP_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@pytest.fixture(scope="session")
def derive_api(database_url: str, logs_dir: Path, vendor: FakeVendor) -> Iterator[LiveServer]:
    """An API configured with the scripted LLM: its message writes enqueue derivation work."""
    server = start_server("api", _server_env(database_url, **llm_env(vendor)), logs_dir)
    yield server
    server.stop()


@pytest.fixture
def api(derive_api: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=derive_api.base_url, timeout=30.0) as client:
        yield client


DeriverFactory = Callable[..., WorkerProcess]


@pytest.fixture
def deriver(database_url: str, logs_dir: Path, vendor: FakeVendor) -> Iterator[DeriverFactory]:
    """Start `honcho deriver` processes with extra settings; all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(**extra: str) -> WorkerProcess:
        worker = start_deriver(_server_env(database_url, **llm_env(vendor, **extra)), logs_dir)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def ws(api: httpx.Client) -> str:
    name = unique("dws")
    assert api.post("/v2/workspaces", json={"id": name}).status_code == 200
    return name


def status(api: httpx.Client, workspace: str, **params: str) -> dict[str, Any]:
    r = api.get(f"/v2/workspaces/{workspace}/deriver/status", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def wait_drained(
    api: httpx.Client, workspace: str, timeout: float = 60.0, **params: str
) -> dict[str, Any]:
    """Poll the status like the SDK's poll_deriver_status, until nothing is pending or running."""
    deadline = time.monotonic() + timeout
    while True:
        body = status(api, workspace, **params)
        if body["pending_work_units"] + body["in_progress_work_units"] == 0:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"queue not drained after {timeout}s: {body}")
        time.sleep(0.2)


def observations(api: httpx.Client, workspace: str, observer: str, observed: str) -> list[str]:
    r = api.post(
        f"/v2/workspaces/{workspace}/observations/list",
        params={"size": 100, "reverse": "true"},
        json={"filters": {"observer": observer, "observed": observed}},
    )
    assert r.status_code == 200, r.text
    return [o["content"] for o in r.json()["items"]]


def send(
    api: httpx.Client, workspace: str, session: str, *messages: tuple[str, str]
) -> list[dict[str, Any]]:
    r = api.post(
        f"/v2/workspaces/{workspace}/sessions/{session}/messages/",
        json={"messages": [{"peer_id": p, "content": c} for p, c in messages]},
    )
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()
    return result
