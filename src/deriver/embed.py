"""The embed task: vectors of message text for semantic search (`message_embeddings`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.ids import new_id
from src.deriver import queue
from src.deriver.runtime import Runtime
from src.embeddings.base import Embedder
from src.embeddings.chunks import chunk_for_embedding
from src.observations.repository import vector_literal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunk:
    message_id: int
    workspace: str
    session: str
    index: int
    content: str


_INSERT = text(
    """
    INSERT INTO message_embeddings (id, message_id, workspace_name, session_name, chunk_index,
                                    content, embedding)
    SELECT c.id, c.message_id, c.workspace, c.session, c.chunk_index, c.content,
           CAST(c.embedding AS vector)
    FROM unnest(CAST(:ids AS text[]), CAST(:message_ids AS bigint[]), CAST(:workspaces AS text[]),
                CAST(:sessions AS text[]), CAST(:chunk_indexes AS integer[]),
                CAST(:contents AS text[]), CAST(:embeddings AS text[]))
         AS c(id, message_id, workspace, session, chunk_index, content, embedding)
    ON CONFLICT (message_id, chunk_index) DO NOTHING
    """
)


def chunks_of(messages: list[tuple[int, str, str, str]], max_tokens: int) -> list[Chunk]:
    """(message id, workspace, session, content) → the chunks to embed."""
    return [
        Chunk(message_id, workspace, session, i, piece)
        for message_id, workspace, session, content in messages
        for i, piece in enumerate(chunk_for_embedding(content, max_tokens))
    ]


async def embed_chunks(embedder: Embedder, chunks: list[Chunk]) -> list[list[float]]:
    return await embedder.embed([c.content for c in chunks]) if chunks else []


async def store(conn: AsyncConnection, chunks: list[Chunk], vectors: list[list[float]]) -> None:
    if not chunks:
        return
    await conn.execute(
        _INSERT,
        {
            "ids": [new_id() for _ in chunks],
            "message_ids": [c.message_id for c in chunks],
            "workspaces": [c.workspace for c in chunks],
            "sessions": [c.session for c in chunks],
            "chunk_indexes": [c.index for c in chunks],
            "contents": [c.content for c in chunks],
            "embeddings": [vector_literal(v) for v in vectors],
        },
    )


async def run_batch(rt: Runtime, workspace: str, session: str, rows: list[RowMapping]) -> None:
    if rt.embedder is None:
        raise RuntimeError("no embedding provider is configured (LLM_EMBEDDING_PROVIDER)")
    chunks = chunks_of(
        [(r["message_id"], workspace, session, r["content"]) for r in rows],
        rt.settings.app.MAX_EMBEDDING_TOKENS,
    )
    vectors = await embed_chunks(rt.embedder, chunks)
    async with rt.db.transaction() as conn:
        if await queue.mark_done(conn, [r["id"] for r in rows]) != len(rows):
            await conn.rollback()
            return
        await store(conn, chunks, vectors)
    logger.info("embedded %d messages of %s/%s", len(rows), workspace, session)
