"""Webhook delivery tests run on a database of their own: an API and derivers on it, the fake
model vendor for derivation (queue.empty), and local receivers on 127.0.0.1 (so the API and most
derivers allow private targets; refusal has its own tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _server_env
from tests.deploy.support import fresh_database
from tests.deriver.conftest import llm, llm_env, vendor  # noqa: F401 (fixtures)
from tests.fakes.vendor import FakeVendor
from tests.support import LiveServer, WorkerProcess, start_deriver, start_server, unique

SECRET = "whsec-test-0123456789abcdef"

WEBHOOK_ENV = {
    "WEBHOOK_SECRET": SECRET,
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    "WEBHOOK_MAX_ATTEMPTS": "3",
    "WEBHOOK_RETRY_BACKOFF_SECONDS": "0.2",
    "WEBHOOK_RETRY_BACKOFF_MAX_SECONDS": "0.5",
}


@pytest.fixture(scope="module")
def hook_db(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


def hook_env(hook_db: str, model_vendor: FakeVendor, **extra: str) -> dict[str, str]:
    return _server_env(hook_db, **llm_env(model_vendor, **{**WEBHOOK_ENV, **extra}))


@pytest.fixture(scope="module")
def hook_api(hook_db: str, logs_dir: Path, vendor: FakeVendor) -> Iterator[LiveServer]:  # noqa: F811
    server = start_server("api", hook_env(hook_db, vendor), logs_dir)
    yield server
    server.stop()


@pytest.fixture
def api(hook_api: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hook_api.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def ws(api: httpx.Client) -> str:
    name = unique("hws")
    assert api.post("/v2/workspaces", json={"id": name}).status_code == 200
    return name


HookDeriver = Callable[..., WorkerProcess]


@pytest.fixture
def hook_deriver(
    hook_db: str,
    logs_dir: Path,
    vendor: FakeVendor,  # noqa: F811
) -> Iterator[HookDeriver]:
    """Start `honcho deriver` processes on the webhook database (settings override WEBHOOK_ENV;
    an empty value removes one); all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(**extra: str) -> WorkerProcess:
        env = hook_env(hook_db, vendor, **extra)
        worker = start_deriver({k: v for k, v in env.items() if v != ""}, logs_dir)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
