"""Alembic environment: runs migrations on the URL the caller puts in the config (sync psycopg)."""

from alembic import context
from sqlalchemy import create_engine, pool, text

from src.db.migrate import include_name
from src.db.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
schema = config.get_main_option("honcho.schema") or "public"


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}", public'))
    connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
