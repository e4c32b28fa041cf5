"""Rules for messages: batch writes, reads, metadata updates and file uploads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fastapi.exceptions import RequestValidationError

from src.common.filters import compile_filters
from src.common.ids import new_id
from src.common.pagination import Page, PageParams, make_page
from src.common.tokens import count_tokens_many
from src.config import Settings
from src.db.engine import Database
from src.deriver.embed import Chunk
from src.deriver.embed import store as store_embeddings
from src.deriver.enqueue import DerivationPlan, enqueue, plan
from src.embeddings.base import Embedder
from src.embeddings.chunks import chunk_for_embedding
from src.errors import NotFoundError
from src.messages import repository as repo
from src.messages.files import extract_text, split_text
from src.messages.repository import NewMessage
from src.messages.schemas import Message, MessageCreate, MessageUpdate
from src.peers import repository as peers_repo
from src.sessions import repository as sessions_repo
from src.sessions.lookup import get_or_create_row

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncEmbedding:
    """What the write path needs to embed messages itself (EMBED_MESSAGES_SYNCHRONOUSLY)."""

    embedder: Embedder
    max_tokens: int


def sync_embedding(settings: Settings, embedder: Embedder | None) -> SyncEmbedding | None:
    if embedder is None or not settings.app.EMBED_MESSAGES_SYNCHRONOUSLY:
        return None
    return SyncEmbedding(embedder, settings.app.MAX_EMBEDDING_TOKENS)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes
    peer_id: str
    metadata: dict[str, Any]
    configuration: dict[str, Any] | None
    created_at: datetime | None


def check_sizes(settings: Settings, items: list[MessageCreate]) -> None:
    limit = settings.app.MAX_MESSAGE_SIZE
    errors = [
        {
            "type": "string_too_long",
            "loc": ("body", "messages", i, "content"),
            "msg": f"String should have at most {limit} characters",
            "input": item.content[:100],
            "ctx": {"max_length": limit},
        }
        for i, item in enumerate(items)
        if len(item.content) > limit
    ]
    if errors:
        raise RequestValidationError(errors)


def to_new(items: list[MessageCreate]) -> list[NewMessage]:
    counts = count_tokens_many([m.content for m in items])
    return [
        NewMessage(
            peer=m.peer_id,
            content=m.content,
            metadata=m.metadata or {},
            token_count=count,
            created_at=m.created_at,
            internal_metadata={},
            configuration=m.configuration.stored() if m.configuration else None,
        )
        for m, count in zip(items, counts, strict=True)
    ]


async def write(
    db: Database,
    derivation: DerivationPlan,
    workspace: str,
    session: str,
    batch: list[NewMessage],
    embedding: SyncEmbedding | None = None,
) -> list[Message]:
    """Write a batch, and enqueue its derivation work, in one transaction. The session row lock
    taken by `reserve_sequence` comes first, so writers to one session serialise before touching
    peers or memberships (no deadlocks), and sequence numbers are consecutive in request order."""
    authors = [m.peer for m in batch]
    pieces: list[list[str]] = []
    vectors: list[list[float]] = []
    if derivation.embed_synchronously and embedding is not None:
        pieces = [chunk_for_embedding(m.content, embedding.max_tokens) for m in batch]
        try:  # before the transaction: no lock is held while the provider answers
            vectors = await embedding.embedder.embed([p for each in pieces for p in each])
        except Exception as exc:
            logger.warning("embedding in the write path failed (%s); queueing it instead", exc)
            pieces, derivation = [], replace(derivation, embed=True, embed_synchronously=False)
    async with db.transaction() as conn:
        reserved = await sessions_repo.reserve_sequence(conn, workspace, session, len(batch))
        if reserved is None:
            await get_or_create_row(conn, workspace, session)
            reserved = await sessions_repo.reserve_sequence(conn, workspace, session, len(batch))
            assert reserved is not None
        if not reserved["is_active"]:
            raise NotFoundError(f"Session {session} not found in workspace {workspace}")
        await peers_repo.ensure_many(conn, workspace, authors)
        await sessions_repo.join_authors(conn, workspace, session, authors)
        first_seq = reserved["last_seq"] - len(batch) + 1
        rows = await repo.insert_batch(conn, workspace, session, first_seq, batch)
        if pieces:
            chunks = [
                Chunk(row["id"], workspace, session, i, text)
                for row, texts in zip(rows, pieces, strict=True)
                for i, text in enumerate(texts)
            ]
            await store_embeddings(conn, chunks, vectors)
        await enqueue(
            conn,
            derivation,
            workspace,
            session,
            reserved["configuration"],
            rows,
            [m.configuration for m in batch],
        )
    return [Message.from_row(r) for r in rows]


async def create_batch(
    db: Database,
    settings: Settings,
    embedder: Embedder | None,
    workspace: str,
    session: str,
    items: list[MessageCreate],
) -> list[Message]:
    check_sizes(settings, items)
    batch = to_new(items)
    embedding = sync_embedding(settings, embedder)
    return await write(db, plan(settings), workspace, session, batch, embedding)


async def get(db: Database, workspace: str, session: str, message_id: str) -> Message:
    async with db.transaction() as conn:
        row = await repo.get(conn, workspace, session, message_id)
    if row is None:
        raise NotFoundError(f"Message with ID {message_id} not found")
    return Message.from_row(row)


async def update(
    db: Database, workspace: str, session: str, message_id: str, body: MessageUpdate
) -> Message:
    async with db.transaction() as conn:
        if body.metadata is None:
            row = await repo.get(conn, workspace, session, message_id)
        else:
            row = await repo.update_metadata(conn, workspace, session, message_id, body.metadata)
    if row is None:
        raise NotFoundError(f"Message with ID {message_id} not found")
    return Message.from_row(row)


async def list_messages(
    db: Database,
    workspace: str,
    session: str,
    filters: dict[str, Any] | None,
    reverse: bool,
    params: PageParams,
) -> Page[Message]:
    where = compile_filters(filters, repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, workspace, session, where, reverse, params)
    return make_page([Message.from_row(r) for r in rows], total, params)


async def upload(
    db: Database,
    settings: Settings,
    embedder: Embedder | None,
    workspace: str,
    session: str,
    upload: UploadedFile,
) -> list[Message]:
    """Split a file's text into messages from one peer, recording where each chunk came from."""
    text = extract_text(upload.data, upload.content_type, upload.filename)
    chunks = split_text(text, settings.app.MAX_MESSAGE_SIZE)
    counts = count_tokens_many(chunks)
    file_id = new_id()
    batch: list[NewMessage] = []
    offset = 0
    for index, (chunk, count) in enumerate(zip(chunks, counts, strict=True)):
        batch.append(
            NewMessage(
                peer=upload.peer_id,
                content=chunk,
                metadata=upload.metadata,
                token_count=count,
                created_at=upload.created_at,
                configuration=upload.configuration,
                internal_metadata={
                    "file_id": file_id,
                    "filename": upload.filename,
                    "chunk_index": index,
                    "total_chunks": len(chunks),
                    "original_file_size": len(upload.data),
                    "content_type": upload.content_type,
                    "chunk_character_range": [offset, offset + len(chunk)],
                },
            )
        )
        offset += len(chunk)
    embedding = sync_embedding(settings, embedder)
    return await write(db, plan(settings), workspace, session, batch, embedding)
