"""Migrations: they build exactly the schema the code declares, and downgrade cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from src.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    include_name,
    upgrade_to_head,
)
from src.db.tables import metadata


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    """Alembic's head and src/db/tables.py describe the same schema (no drift either way)."""
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    """Every migration can be undone and replayed on an empty database."""
    assert current_revision(scratch_url) is None
    upgrade_to_head(scratch_url)
    assert current_revision(scratch_url) == head_revision()
    command.downgrade(alembic_config(scratch_url), "base")
    assert current_revision(scratch_url) is None
    upgrade_to_head(scratch_url)
    upgrade_to_head(scratch_url)  # idempotent
    assert current_revision(scratch_url) == head_revision()
