"""Schema migrations: Alembic to head, serialised across processes by an advisory lock."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Arbitrary constant shared by every process that migrates this database.
_MIGRATION_LOCK_KEY = 7_460_233_001


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Schema comparison covers our tables only: not Alembic's own, not procrastinate's."""
    if type_ == "table" and name is not None:
        return name != "alembic_version" and not name.startswith("procrastinate")
    return True


def sync_url(url: str) -> str:
    """Alembic runs synchronously; psycopg 3 serves both modes under the same URL."""
    return url


def alembic_config(url: str, schema: str = "public") -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("honcho.schema", schema)
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(url: str, schema: str = "public") -> str | None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'SET search_path TO "{schema}", public'))
            ctx = MigrationContext.configure(conn, opts={"version_table_schema": schema})
            return ctx.get_current_revision()
    finally:
        engine.dispose()


def upgrade_to_head(url: str, schema: str = "public") -> None:
    cfg = alembic_config(url, schema)
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()
