"""Logs: JSON lines when LOG_FORMAT=json, request ids and work units on every record, and at INFO
never a message's text, a model's output, a key or a secret (API and deriver, real traffic)."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from src import logs
from src.auth.tokens import encode
from tests.conftest import _server_env
from tests.deploy.support import fresh_database
from tests.deriver.conftest import llm_env, send, wait_drained
from tests.deriver.scripted import ScriptedLLM
from tests.fakes.vendor import start_fake_vendor
from tests.support import start_deriver, start_server, unique
from tests.webhooks.receiver import receiver

JWT_SECRET = "jwt-secret-for-the-log-test-0123456789"
LLM_KEY = "sk-llm-key-for-the-log-test-0123456789"
WEBHOOK_SECRET = "whsec-for-the-log-test-0123456789"


def _lines(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        if line.strip():
            record = json.loads(line)  # every line is one JSON object
            assert {"time", "level", "process", "logger", "message"} <= set(record), line
            records.append(record)
    return records


def test_json_logs_carry_ids_and_never_content_or_secrets(
    database_url: str, logs_dir: Path
) -> None:
    marker = f"SECRET-CONTENT-{uuid.uuid4().hex}"
    vendor = start_fake_vendor()
    vendor.on_chat(ScriptedLLM())
    admin = {"Authorization": "Bearer " + encode(JWT_SECRET, admin=True)}
    try:
        with fresh_database(database_url) as url, receiver() as rx:
            env = _server_env(
                url,
                **llm_env(
                    vendor,
                    LOG_FORMAT="json",
                    LOG_LEVEL="INFO",
                    AUTH_USE_AUTH="true",
                    AUTH_JWT_SECRET=JWT_SECRET,
                    LLM_OPENAI_COMPATIBLE_API_KEY=LLM_KEY,
                    WEBHOOK_SECRET=WEBHOOK_SECRET,
                    WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
                ),
            )
            api = start_server("api", env, logs_dir, ready_path="/health")
            worker = start_deriver(env, logs_dir)
            try:
                with httpx.Client(base_url=api.base_url, headers=admin, timeout=30) as http:
                    ws = unique("lws")
                    http.post("/v2/workspaces", json={"id": ws})
                    hook = http.post(f"/v2/workspaces/{ws}/webhooks", json={"url": rx.url()})
                    assert hook.status_code == 200
                    traced = http.post(
                        f"/v2/workspaces/{ws}/sessions/s/messages/",
                        json={"messages": [{"peer_id": "alice", "content": f"{marker} one"}]},
                        headers={"X-Request-ID": "trace-logs-1"},
                    )
                    assert traced.headers["x-request-id"] == "trace-logs-1"
                    send(http, ws, "s", ("bob", f"{marker} two"))
                    http.post(f"/v2/workspaces/{ws}/search", json={"query": marker})
                    unauthorized = httpx.post(api.base_url + "/v2/workspaces", json={"id": "x"})
                    assert unauthorized.status_code == 401
                    wait_drained(http, ws)
                    assert rx.wait_for(1), "queue.empty was not delivered"
            finally:
                worker.stop()
                api.stop()
            api_log, deriver_log = api.log(), worker.log()
    finally:
        vendor.stop()
    for text in (api_log, deriver_log):
        for forbidden in (marker, JWT_SECRET, LLM_KEY, WEBHOOK_SECRET, admin["Authorization"]):
            assert forbidden not in text
    api_records = _lines(api_log)
    access = [r for r in api_records if r["logger"] == "honcho.access"]
    traced_line = [r for r in access if r.get("request_id") == "trace-logs-1"]
    assert len(traced_line) == 1 and traced_line[0]["message"].startswith("POST /v2/workspaces/")
    assert all(len(r.get("request_id", "")) > 0 for r in access)
    assert any(r["message"].split()[2] == "401" for r in access)
    assert {r["process"] for r in api_records} == {"api"}
    deriver_records = _lines(deriver_log)
    units = {r.get("work_unit") for r in deriver_records if r["logger"].startswith("src.")}
    assert f"representation:{ws}:s" in units
    assert any(u and u.startswith(f"webhook:{ws}:") for u in units)


def test_text_format_tags_records_with_their_context() -> None:
    formatter = logs._TextFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord("honcho.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    logs._ContextFilter().filter(record)
    assert formatter.format(record) == "INFO honcho.test: hello x"
    with logs.bind(request_id="abc"), logs.bind(work_unit="summary:w:s"):
        tagged = logging.LogRecord("honcho.test", logging.INFO, __file__, 1, "hi", (), None)
        logs._ContextFilter().filter(tagged)
    assert formatter.format(tagged) == "INFO honcho.test: hi [request_id=abc work_unit=summary:w:s]"
    assert logs.context() == {}


async def test_an_unhandled_error_is_logged_and_answered_with_the_request_id(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The request id wraps everything, Starlette's last-resort handler included: the 500 and the
    traceback's log record both carry it."""
    from src.app import create_app
    from src.config import Settings

    monkeypatch.setenv("HONCHO_CONFIG_FILE", "/nonexistent/config.toml")
    monkeypatch.setenv("HONCHO_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("DB_CONNECTION_URI", "postgresql+psycopg://unused@localhost/unused")
    app = create_app(Settings())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    wrapped = logs.RequestIdMiddleware(app)
    transport = httpx.ASGITransport(app=wrapped, raise_app_exceptions=False)
    with caplog.at_level(logging.INFO):
        caplog.handler.addFilter(logs._ContextFilter())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "An unexpected error occurred"}
    assert response.headers["x-request-id"] == "boom-1"
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == "unhandled error on GET /boom" and error.exc_info is not None
    assert error.context == {"request_id": "boom-1"}  # type: ignore[attr-defined]
    (access,) = [r for r in caplog.records if r.name == "honcho.access"]
    assert access.getMessage().startswith("GET /boom 500 ")
