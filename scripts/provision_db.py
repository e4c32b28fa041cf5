#!/usr/bin/env python3
"""Provision or migrate a Honcho database, given its URL.

    python scripts/provision_db.py postgresql://user:pass@host:5432/honcho [--schema public]

Creates the database when it does not exist yet (connecting to the server's `postgres` database,
which needs the CREATEDB privilege), then migrates it to the latest schema: the `vector` extension,
every table, procrastinate's job tables. Safe to run again: an up-to-date database is left as it is.
Without a URL, DB_CONNECTION_URI (environment, .env, config.toml) is used.
"""

from __future__ import annotations

import argparse
import sys

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from src.config import get_settings, psycopg_url
from src.db.migrate import current_revision, head_revision, upgrade_to_head


def create_database_if_missing(url: str) -> bool:
    """True when the database was created here."""
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit("the URL names no database")
    server = target.set(drivername="postgresql", database="postgres")
    try:
        conn = psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)
    except psycopg.OperationalError as exc:
        # Managed servers often refuse the maintenance database: assume ours exists.
        print(f"cannot check whether {name} exists ({str(exc).strip()}); migrating it as is")
        return False
    with conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="database URL (default: DB_CONNECTION_URI)")
    parser.add_argument("--schema", default=None, help="schema for the tables (default: DB_SCHEMA)")
    parser.add_argument(
        "--no-create", action="store_true", help="only migrate; never CREATE DATABASE"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    url = args.url or settings.db.CONNECTION_URI
    if not url:
        parser.error("give a database URL, or set DB_CONNECTION_URI")
    url = psycopg_url(url)
    schema = args.schema or settings.db.SCHEMA
    shown = make_url(url).render_as_string(hide_password=True)
    if not args.no_create and create_database_if_missing(url):
        print(f"created database {make_url(url).database}")
    before = current_revision(url, schema)
    upgrade_to_head(url, schema)
    head = head_revision()
    if before == head:
        print(f"{shown} (schema {schema}): already at the latest revision {head}")
    else:
        print(f"{shown} (schema {schema}): migrated from {before or 'nothing'} to {head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
