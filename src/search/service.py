"""Hybrid message search: full-text and vector similarity fused by reciprocal rank.

Unlike the reference server, a question with punctuation ("where does Alice live?") is matched
by its words: the full-text leg uses PostgreSQL's word parsing, never a raw substring of the
whole query. Without an embedding provider the full-text leg alone answers.
"""

from __future__ import annotations

from typing import Any, TypeVar

from src.common.filters import compile_filters
from src.common.tokens import count_tokens
from src.config import Settings
from src.db.engine import Database
from src.embeddings.base import Embedder
from src.errors import ValidationError
from src.messages import repository as messages_repo
from src.messages.schemas import Message
from src.search import repository as repo

RRF_K = 60
FORCED_KEYS = ("workspace_id", "session_id", "peer_id")


K = TypeVar("K", int, str)


def fuse(*rankings: list[K]) -> list[K]:
    """Reciprocal-rank fusion: sum of 1 / (60 + rank) over the lists an item appears in; ties go
    to the item ranked first in the earliest list."""
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
    order = {item: n for n, item in enumerate(dict.fromkeys(i for r in rankings for i in r))}
    return sorted(scores, key=lambda i: (-scores[i], order[i]))


async def search(
    db: Database,
    settings: Settings,
    embedder: Embedder | None,
    workspace: str,
    query: str,
    filters: dict[str, Any] | None,
    limit: int,
    *,
    session: str | None = None,
    peer: str | None = None,
) -> list[Message]:
    user_filters = dict(filters or {})
    perspective = user_filters.pop("peer_perspective", None)
    for key in FORCED_KEYS:  # the route's own scope replaces what the body says
        if key in user_filters and (
            key == "workspace_id"
            or (key == "session_id" and session)
            or (key == "peer_id" and peer)
        ):
            user_filters.pop(key)
    if perspective is not None and not isinstance(perspective, str):
        raise ValidationError("peer_perspective must be a peer name")
    where = repo.scope(workspace, session, peer) & compile_filters(
        user_filters, messages_repo.FILTERS
    )
    if perspective is not None:
        where = where & repo.perspective(perspective)
    vector: list[float] | None = None
    if embedder is not None and settings.app.EMBED_MESSAGES:
        if count_tokens(query) > settings.app.MAX_EMBEDDING_TOKENS:
            raise ValidationError(
                f"query is longer than {settings.app.MAX_EMBEDDING_TOKENS} tokens"
            )
        (vector,) = await embedder.embed([query])  # before the transaction
    async with db.transaction() as conn:
        if await repo.has_words(conn, query):
            by_words = await repo.fulltext(conn, where, query, limit * 2)
        elif vector is None:  # only stop words or punctuation, and no meaning to search by
            by_words = await repo.substring(conn, where, query, limit * 2)
        else:
            by_words = []
        by_meaning = await repo.nearest(conn, where, vector, limit * 2) if vector else []
        ids = fuse(by_words, by_meaning)[:limit]
        rows = await repo.by_ids(conn, ids)
    return [Message.from_row(r) for r in rows]
