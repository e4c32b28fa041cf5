"""The embedding column's size: recorded when the schema is built, checked at every start, and
changed (with every stored vector recomputed) by `honcho reembed`."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, pool, text

from src.config import Settings
from src.errors import ConfigurationMissing

logger = logging.getLogger(__name__)

# Tables holding vectors of the configured size, with the index over each.
VECTOR_COLUMNS = (
    ("documents", "embedding", "ix_documents_embedding"),
    ("message_embeddings", "embedding", "ix_message_embeddings_embedding"),
)


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


REEMBED_BATCH = 256


async def reembed(url: str, settings: Settings) -> int:
    """Resize every vector column to LLM_EMBEDDING_DIMENSIONS and recompute every stored vector
    with the configured provider. Returns how many rows were embedded."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from src.embeddings.registry import embedder_for

    embedder = embedder_for(settings)
    if embedder is None:
        raise ConfigurationMissing(
            "no embedding provider is configured (LLM_EMBEDDING_PROVIDER); nothing to re-embed with"
        )
    dims = settings.llm.EMBEDDING_DIMENSIONS
    engine = create_async_engine(url, poolclass=pool.NullPool)
    done = 0
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'SET LOCAL search_path TO "{settings.db.SCHEMA}", public'))
            for table, column, index in VECTOR_COLUMNS:
                await conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
                await conn.execute(
                    text(
                        f"ALTER TABLE {table} ALTER COLUMN {column} TYPE vector({dims}) USING NULL"
                    )
                )
            await conn.execute(
                text(
                    "INSERT INTO honcho_meta (key, value) VALUES ('embedding_dimensions', "
                    "to_jsonb(CAST(:dims AS int))) ON CONFLICT (key) DO UPDATE SET value = "
                    "excluded.value"
                ),
                {"dims": dims},
            )
        logger.info("vector columns resized to %d dimensions; re-embedding", dims)
        for table, column, index in VECTOR_COLUMNS:
            last_id = ""
            while True:
                async with engine.begin() as conn:
                    await conn.execute(
                        text(f'SET LOCAL search_path TO "{settings.db.SCHEMA}", public')
                    )
                    rows = (
                        await conn.execute(
                            text(
                                f"SELECT id, content FROM {table} WHERE id > :last "
                                f"ORDER BY id LIMIT {REEMBED_BATCH}"
                            ),
                            {"last": last_id},
                        )
                    ).all()
                if not rows:
                    break
                vectors = await embedder.embed([r.content for r in rows])
                async with engine.begin() as conn:
                    await conn.execute(
                        text(f'SET LOCAL search_path TO "{settings.db.SCHEMA}", public')
                    )
                    await conn.execute(
                        text(
                            f"UPDATE {table} SET {column} = CAST(v.embedding AS vector) "
                            "FROM unnest(CAST(:ids AS text[]), CAST(:vectors AS text[])) "
                            f"AS v(id, embedding) WHERE {table}.id = v.id"
                        ),
                        {
                            "ids": [r.id for r in rows],
                            "vectors": ["[" + ",".join(map(repr, v)) + "]" for v in vectors],
                        },
                    )
                done += len(rows)
                last_id = rows[-1].id
                logger.info("re-embedded %d rows of %s", done, table)
            async with engine.begin() as conn:
                await conn.execute(text(f'SET LOCAL search_path TO "{settings.db.SCHEMA}", public'))
                await conn.execute(
                    text(f"CREATE INDEX {index} ON {table} USING hnsw ({column} vector_cosine_ops)")
                )
    finally:
        await embedder.aclose()
        await engine.dispose()
    return done
