"""The `honcho` command as users run it: real processes, real signals, the embedded database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import PROJECT_ROOT, start_server

ISOLATED = {
    "HONCHO_CONFIG_FILE": "/nonexistent/config.toml",
    "HONCHO_ENV_FILE": "/nonexistent/.env",
}


def _postmaster_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    return psutil.pid_exists(int(pid_file.read_text().split()[0]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_on_embedded_default_and_stop_cleanly(tmp_path: Path, sig: int) -> None:
    """`honcho serve` with no database configured starts PostgreSQL itself, serves the API with the
    deriver alongside, and on SIGTERM or Ctrl-C stops every process, the database included."""
    data_dir = tmp_path / "pgdata"
    env = {**ISOLATED, "DB_EMBEDDED_DATA_DIR": str(data_dir), "LOG_LEVEL": "INFO"}
    env.pop("DB_CONNECTION_URI", None)
    os.environ.pop("DB_CONNECTION_URI", None)
    server = start_server("serve", env, tmp_path, timeout=90)
    try:
        r = httpx.post(server.base_url + "/v2/workspaces", json={"id": "cli-test"})
        assert r.status_code == 200
        assert _postmaster_running(data_dir)
        children = psutil.Process(server.process.pid).children()
        roles = {arg for c in children for arg in c.cmdline() if arg in ("api", "deriver")}
        assert roles == {"api", "deriver"}
    finally:
        code = server.stop(sig)
    assert code == 0, server.log()
    assert not _postmaster_running(data_dir)
    assert all(not c.is_running() or c.status() == psutil.STATUS_ZOMBIE for c in children)
    log = server.log()
    assert "deriver stopped" in log and "Traceback" not in log


def test_serve_reuses_existing_data(tmp_path: Path) -> None:
    """Data written before a restart is there after it."""
    env = {**ISOLATED, "DB_EMBEDDED_DATA_DIR": str(tmp_path / "pgdata")}
    first = start_server("serve", env, tmp_path, timeout=90)
    httpx.post(first.base_url + "/v2/workspaces", json={"id": "kept", "metadata": {"v": 1}})
    assert first.stop() == 0
    second = start_server("serve", env, tmp_path, timeout=90)
    try:
        r = httpx.post(second.base_url + "/v2/workspaces", json={"id": "kept"})
        assert r.json()["metadata"] == {"v": 1}
    finally:
        assert second.stop() == 0


def _honcho(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "src.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **ISOLATED, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_on_configured_database(database_url: str) -> None:
    """`honcho migrate` on an up-to-date database is a no-op that succeeds."""
    done = _honcho("migrate", env={"DB_CONNECTION_URI": database_url})
    assert done.returncode == 0, done.stderr


def test_bad_configuration_exits_2_with_message() -> None:
    """A contradictory configuration stops startup with a readable message, not a traceback."""
    done = _honcho("api", env={"AUTH_USE_AUTH": "true", "AUTH_JWT_SECRET": ""})
    assert done.returncode == 2
    assert "AUTH_JWT_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_api_refuses_a_database_behind_the_schema(tmp_path: Path, database_url: str) -> None:
    """An API pointed at an unmigrated database says to run `honcho migrate` and exits."""
    from src.db.embedded import start_embedded

    other = start_embedded(tmp_path / "pgdata", "empty")
    try:
        started = time.monotonic()
        done = _honcho("api", "--port", "1", env={"DB_CONNECTION_URI": other.url})
        assert time.monotonic() - started < 60
        assert done.returncode != 0
        assert "honcho migrate" in done.stderr
    finally:
        other.stop()


def test_key_command_mints_working_keys() -> None:
    """`honcho key` prints keys that decode to the requested scope and expiry."""
    from src.auth.tokens import decode

    secret = "cli-secret-0123456789-0123456789-abcdef"
    done = _honcho("key", "--workspace", "w", "--peer", "p", env={"AUTH_JWT_SECRET": secret})
    assert done.returncode == 0, done.stderr
    principal = decode(secret, done.stdout.strip())
    assert (principal.admin, principal.workspace, principal.peer) == (False, "w", "p")
    admin = _honcho("key", "--admin", "--expires-in", "60", env={"AUTH_JWT_SECRET": secret})
    assert decode(secret, admin.stdout.strip()).admin is True
    assert _honcho("key", "--admin", env={"AUTH_JWT_SECRET": ""}).returncode == 2
    assert _honcho("key", env={"AUTH_JWT_SECRET": secret}).returncode == 2
