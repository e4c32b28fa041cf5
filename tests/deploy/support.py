"""Helpers for tests that need a database of their own, apart from the shared one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from src.db.migrate import upgrade_to_head
from tests.support import unique


def admin_url(database_url: str) -> str:
    """A libpq URL of the shared server's own database (for CREATE/DROP DATABASE)."""
    return make_url(database_url).render_as_string(hide_password=False).replace("+psycopg", "")


def drop_database(database_url: str, name: str) -> None:
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def fresh_database(database_url: str, *, migrate: bool = True) -> Iterator[str]:
    """A new database on the shared server (migrated to head unless told otherwise), dropped on
    exit. Its queue is its own: derivers of other tests never take its jobs."""
    name = unique("ops").replace("-", "_")
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade_to_head(url)
        yield url
    finally:
        drop_database(database_url, name)
