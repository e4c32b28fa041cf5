"""The embedding column's size: recorded when the schema is built, checked at every start, and
changed (with every stored vector recomputed) by `honcho reembed`."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, pool, text

from src.config import Settings
from src.errors import ConfigurationMissing

logger = logging.getLogger(__name__)

# Tables holding vectors of the configured size, with the index over each.
VECTOR_COLUMNS = (("documents", "embedding", "ix_documents_embedding"),)


def stored_dimensions(url: str, schema: str) -> int | None:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'SET search_path TO "{schema}", public'))
            value = conn.execute(
                text("SELECT value FROM honcho_meta WHERE key = 'embedding_dimensions'")
            ).scalar_one_or_none()
            return int(value) if value is not None else None
    finally:
        engine.dispose()


def check_dimensions(url: str, settings: Settings) -> None:
    stored = stored_dimensions(url, settings.db.SCHEMA)
    wanted = settings.llm.EMBEDDING_DIMENSIONS
    if stored is not None and stored != wanted:
        raise ConfigurationMissing(
            f"the database stores {stored}-dimensional embeddings but LLM_EMBEDDING_DIMENSIONS is "
            f"{wanted}; run `honcho reembed` to rebuild every embedding at {wanted} dimensions "
            f"(or set LLM_EMBEDDING_DIMENSIONS={stored})"
        )
