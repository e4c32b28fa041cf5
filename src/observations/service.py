"""Rules for observations created, listed, queried and deleted by hand (spec §6.6)."""

from __future__ import annotations

from typing import Any

from src.common.filters import compile_filters
from src.common.pagination import Page, PageParams, make_page
from src.common.tokens import count_tokens
from src.config import Settings
from src.db.engine import Database
from src.embeddings.base import Embedder
from src.errors import NotFoundError, ValidationError
from src.observations import repository as repo
from src.observations.repository import NewDocument
from src.observations.schemas import Observation, ObservationCreate, ObservationQuery
from src.peers import repository as peers_repo
from src.search.service import fuse
from src.sessions import repository as sessions_repo


async def create(
    db: Database,
    settings: Settings,
    embedder: Embedder | None,
    workspace: str,
    items: list[ObservationCreate],
) -> list[Observation]:
    limit = settings.app.MAX_EMBEDDING_TOKENS
    for i, item in enumerate(items):
        if count_tokens(item.content, "cl100k_base") > limit:
            raise ValidationError(f"observations[{i}].content is longer than {limit} tokens")
    async with db.transaction() as conn:  # validate first: fail before paying for embeddings
        await _check_references(conn, workspace, items)
    vectors: list[list[float]] | list[None] = [None] * len(items)
    if embedder is not None:
        vectors = await embedder.embed([item.content for item in items])
    docs = [
        NewDocument(
            workspace=workspace,
            observer=item.observer_id,
            observed=item.observed_id,
            session=item.session_id,
            content=item.content,
            embedding=vector,
        )
        for item, vector in zip(items, vectors, strict=True)
    ]
    async with db.transaction() as conn:
        await _check_references(conn, workspace, items)
        rows = await repo.insert_many(conn, docs)
    return [Observation.from_row(r) for r in rows]


async def _check_references(conn: Any, workspace: str, items: list[ObservationCreate]) -> None:
    for session in sorted({i.session_id for i in items}):
        row = await sessions_repo.get(conn, workspace, session)
        if row is None or not row["is_active"]:
            raise NotFoundError(f"Session {session} not found in workspace {workspace}")
    for peer in sorted({p for i in items for p in (i.observer_id, i.observed_id)}):
        if await peers_repo.get(conn, workspace, peer) is None:
            raise NotFoundError(f"Peer {peer} not found in workspace {workspace}")


async def list_observations(
    db: Database, workspace: str, filters: dict[str, Any] | None, reverse: bool, params: PageParams
) -> Page[Observation]:
    where = compile_filters(filters, repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, workspace, where, reverse, params)
    return make_page([Observation.from_row(r) for r in rows], total, params)


async def query(
    db: Database, embedder: Embedder | None, workspace: str, body: ObservationQuery
) -> list[Observation]:
    """Observations of one view matching the query: by meaning and by words, fused by reciprocal
    rank like message search. With `distance`, only those within it by meaning."""
    filters = body.filters or {}
    if not any(k in filters for k in ("observer", "observer_id")) or not any(
        k in filters for k in ("observed", "observed_id")
    ):
        raise ValidationError("observer and observed must be specified for semantic search")
    where = compile_filters(filters, repo.FILTERS)
    vector = (await embedder.embed([body.query]))[0] if embedder is not None else None
    async with db.transaction() as conn:
        by_meaning: list[str] = []
        if vector is not None:
            near = await repo.nearest(conn, workspace, where, vector, body.top_k, body.distance)
            by_meaning = [r["id"] for r in near]
        by_words: list[str] = []
        if vector is None or body.distance is None:
            by_words = await repo.matching_words(conn, workspace, where, body.query, body.top_k)
        ids = fuse(by_meaning, by_words)[: body.top_k]
        rows = await repo.by_ids(conn, workspace, ids)
    return [Observation.from_row(r) for r in rows]


async def delete(db: Database, workspace: str, observation_id: str) -> None:
    async with db.transaction() as conn:
        if not await repo.delete(conn, workspace, observation_id):
            raise NotFoundError(f"Observation {observation_id} not found")
