"""Our Python SDK (`sdks/python`) against live servers: its own pytest suite, run in its own venv
(its import name `honcho` clashes with the official SDK installed here for the conformance tests).

The suite gets: a plain API (`HONCHO_TEST_BASE_URL`); an API whose model is the scripted fake
vendor, with a real `honcho deriver` working for it (`HONCHO_TEST_CHAT_BASE_URL`); and an API with
auth on plus an admin key (`HONCHO_TEST_AUTH_BASE_URL`, `HONCHO_TEST_ADMIN_KEY`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from src.auth.tokens import encode
from tests.conftest import JWT_SECRET, _server_env
from tests.deriver.conftest import llm_env
from tests.fakes.vendor import FakeVendor, start_fake_vendor
from tests.sdk.support import SdkLLM, SdkServers, run_sdk_suite
from tests.support import LiveServer, start_deriver, start_server

# The only test the SDK suite may skip, and only while the server has no webhook routes.
WEBHOOK_SKIP = "server has no webhook routes"


@pytest.fixture(scope="module")
def sdk_vendor() -> Iterator[FakeVendor]:
    vendor = start_fake_vendor()
    vendor.on_chat(SdkLLM())
    yield vendor
    vendor.stop()


@pytest.fixture(scope="module")
def sdk_chat_api(database_url: str, logs_dir: Path, sdk_vendor: FakeVendor) -> Iterator[LiveServer]:
    """An API with the scripted model (chat answers, derivation enqueued) and a deriver for it.
    Module-scoped: the deriver works for every workspace, so it must not outlive these tests."""
    env = _server_env(database_url, **llm_env(sdk_vendor))
    server = start_server("api", env, logs_dir)
    worker = start_deriver(env, logs_dir)
    yield server
    worker.stop()
    server.stop()


def test_sdk_suite_passes_against_live_servers(
    api_server: LiveServer, sdk_chat_api: LiveServer, auth_server: LiveServer
) -> None:
    """`uv run --locked --directory sdks/python pytest -q` passes: quickstart, README examples,
    every method over real HTTP, mypy --strict, ruff, the pinned `__all__` and docstrings."""
    servers = SdkServers(
        base_url=api_server.base_url,
        chat_base_url=sdk_chat_api.base_url,
        auth_base_url=auth_server.base_url,
        admin_key=encode(JWT_SECRET, admin=True),
    )
    done = run_sdk_suite(servers, "-rs")
    output = done.stdout + done.stderr
    log = sdk_chat_api.log()
    assert done.returncode == 0, f"SDK suite failed:\n{output}\n--- chat API log:\n{log}"
    # pytest's closing line is the last of stdout (uv may print to stderr, e.g. a first install).
    summary = done.stdout.strip().splitlines()[-1]
    print(f"SDK suite: {summary}")  # shown by `pytest -rP`
    assert re.search(r"\d+ passed", summary), output
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert all(WEBHOOK_SKIP in line for line in skipped), f"unexpected skips:\n{output}"
