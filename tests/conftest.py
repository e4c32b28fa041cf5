"""Fixtures: one real PostgreSQL (embedded, or TEST_DATABASE_URL) migrated by Alembic, and API
servers started as real `honcho api` processes on loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from src.db.migrate import upgrade_to_head
from tests.support import LiveServer, start_server, unique

JWT_SECRET = "test-secret-0123456789abcdef-0123456789"

_shared_tiktoken = Path(__file__).resolve().parents[2] / "shared" / "tiktoken"
if "TIKTOKEN_CACHE_DIR" not in os.environ and _shared_tiktoken.is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(_shared_tiktoken)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        upgrade_to_head(configured)
        yield configured
        return
    from src.db.embedded import start_embedded

    embedded = start_embedded(tmp_path_factory.mktemp("pg") / "pgdata", "honcho_test")
    try:
        upgrade_to_head(embedded.url)
        yield embedded.url
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


def _server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DB_CONNECTION_URI": database_url,
        "LOG_LEVEL": "WARNING",
        "HONCHO_CONFIG_FILE": "/nonexistent/config.toml",
        "HONCHO_ENV_FILE": "/nonexistent/.env",
        **extra,
    }


@pytest.fixture(scope="session")
def api_server(database_url: str, logs_dir: Path) -> Iterator[LiveServer]:
    server = start_server("api", _server_env(database_url), logs_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def auth_server(database_url: str, logs_dir: Path) -> Iterator[LiveServer]:
    env = _server_env(database_url, AUTH_USE_AUTH="true", AUTH_JWT_SECRET=JWT_SECRET)
    server = start_server("api", env, logs_dir)
    yield server
    server.stop()


@pytest.fixture
def client(api_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url, timeout=30.0) as c:
        yield c


@pytest.fixture
def workspace(client: httpx.Client) -> str:
    """A fresh workspace per test, so tests never see each other's data."""
    name = unique("ws")
    assert client.post("/v2/workspaces", json={"id": name}).status_code == 200
    return name


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A fresh, empty database on the same server."""
    name = unique("scratch").replace("-", "_")
    admin = make_url(database_url).render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
