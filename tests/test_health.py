"""/health and /ready: no auth, and /ready tells a database behind the latest migration (or gone)
from a ready one."""

from __future__ import annotations

from pathlib import Path

import httpx
from alembic import command
from alembic.script import ScriptDirectory

from src.db.migrate import alembic_config, head_revision, upgrade_to_head
from tests.conftest import _server_env
from tests.deploy.support import drop_database, fresh_database
from tests.support import LiveServer, start_server


def test_health_and_ready_need_no_key_and_stay_out_of_the_api_docs(
    auth_server: LiveServer,
) -> None:
    """They answer on a server with auth on, without any credential."""
    health = httpx.get(auth_server.base_url + "/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = httpx.get(auth_server.base_url + "/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "detail": f"database schema at {head_revision()}"}
    paths = httpx.get(auth_server.base_url + "/openapi.json").json()["paths"]
    assert not {"/health", "/ready", "/metrics"} & set(paths)


def test_ready_reports_a_schema_behind_the_latest_migration(
    database_url: str, logs_dir: Path
) -> None:
    """A server whose database is migrated back one revision is alive but not ready (503, naming
    both revisions and `honcho migrate`); migrating makes it ready again."""
    with fresh_database(database_url) as url:
        server = start_server("api", _server_env(url), logs_dir)
        try:
            assert httpx.get(server.base_url + "/ready").status_code == 200
            command.downgrade(alembic_config(url), "-1")
            behind = httpx.get(server.base_url + "/ready")
            assert behind.status_code == 503, behind.text
            detail = behind.json()["detail"]
            assert f"needs {head_revision()}" in detail and "honcho migrate" in detail
            previous = (
                ScriptDirectory.from_config(alembic_config(url))
                .get_revision(head_revision())
                .down_revision
            )
            assert f"at revision {previous}" in detail
            assert httpx.get(server.base_url + "/health").status_code == 200
            upgrade_to_head(url)
            assert httpx.get(server.base_url + "/ready").status_code == 200
        finally:
            server.stop()


def test_ready_reports_a_database_that_went_away(database_url: str, logs_dir: Path) -> None:
    with fresh_database(database_url) as url:
        server = start_server("api", _server_env(url), logs_dir)
        try:
            assert httpx.get(server.base_url + "/ready").status_code == 200
            drop_database(database_url, url.rsplit("/", 1)[1].split("?")[0])
            gone = httpx.get(server.base_url + "/ready", timeout=30)
            assert gone.status_code == 503, gone.text
            assert gone.json()["detail"].startswith("database unreachable")
            assert httpx.get(server.base_url + "/health").status_code == 200
        finally:
            server.stop()


def test_request_ids_are_echoed_or_made(client: httpx.Client) -> None:
    """A caller's X-Request-ID comes back on the response; without one (or with a malformed one)
    the server makes one."""
    given = client.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert given.headers["x-request-id"] == "trace-abc.123"
    made = client.get("/health").headers["x-request-id"]
    assert len(made) == 32 and made != client.get("/health").headers["x-request-id"]
    odd = client.get("/health", headers={"X-Request-ID": "evil\tline"}).headers["x-request-id"]
    assert odd != "evil\tline" and len(odd) == 32
