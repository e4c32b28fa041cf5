"""SQL for observations (the `documents` table), used by the deriver and the observation routes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import ColumnElement, Float, RowMapping, and_, cast, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.filters import FilterColumn, FilterSpec, Kind
from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import documents as t

FILTERS = FilterSpec(
    "Observation",
    {
        "workspace_id": FilterColumn(t.c.workspace_name, Kind.TEXT),
        "session_id": FilterColumn(t.c.session_name, Kind.TEXT),
        "session_name": FilterColumn(t.c.session_name, Kind.TEXT),
        "observer_id": FilterColumn(t.c.observer, Kind.TEXT),
        "observer": FilterColumn(t.c.observer, Kind.TEXT),
        "observed_id": FilterColumn(t.c.observed, Kind.TEXT),
        "observed": FilterColumn(t.c.observed, Kind.TEXT),
        "level": FilterColumn(t.c.level, Kind.TEXT),
        "content": FilterColumn(t.c.content, Kind.TEXT),
        "id": FilterColumn(t.c.id, Kind.TEXT),
        "times_derived": FilterColumn(t.c.times_derived, Kind.NUMBER),
        "created_at": FilterColumn(t.c.created_at, Kind.DATETIME),
    },
)


def vector_literal(embedding: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in embedding) + "]"


@dataclass(frozen=True)
class NewDocument:
    workspace: str
    observer: str
    observed: str
    session: str | None
    content: str
    level: str = "explicit"
    premises: list[str] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    embedding: list[float] | None = None
    message_created_at: datetime | None = None


_INSERT = text(
    """
    INSERT INTO documents (id, workspace_name, observer, observed, session_name, level, content,
                           premises, message_ids, embedding, message_created_at)
    SELECT d.id, d.workspace, d.observer, d.observed, d.session, d.level, d.content,
           CAST(d.premises AS jsonb),
           ARRAY(SELECT CAST(jsonb_array_elements_text(CAST(d.message_ids AS jsonb)) AS bigint)),
           CAST(d.embedding AS vector), d.message_created_at
    FROM unnest(CAST(:ids AS text[]), CAST(:workspaces AS text[]), CAST(:observers AS text[]),
                CAST(:observeds AS text[]), CAST(:sessions AS text[]), CAST(:levels AS text[]),
                CAST(:contents AS text[]), CAST(:premises AS text[]), CAST(:message_ids AS text[]),
                CAST(:embeddings AS text[]), CAST(:message_created_ats AS timestamptz[]))
         WITH ORDINALITY AS d(id, workspace, observer, observed, session, level, content,
                              premises, message_ids, embedding, message_created_at, ord)
    ORDER BY d.ord
    RETURNING id, workspace_name, observer, observed, session_name, level, content, premises,
              message_ids, times_derived, message_created_at, created_at
    """
)


async def insert_many(conn: AsyncConnection, docs: list[NewDocument]) -> list[RowMapping]:
    if not docs:
        return []
    params = {
        "ids": [new_id() for _ in docs],
        "workspaces": [d.workspace for d in docs],
        "observers": [d.observer for d in docs],
        "observeds": [d.observed for d in docs],
        "sessions": [d.session for d in docs],
        "levels": [d.level for d in docs],
        "contents": [d.content for d in docs],
        "premises": [json.dumps(d.premises) for d in docs],
        "message_ids": [json.dumps(d.message_ids) for d in docs],
        "embeddings": [vector_literal(d.embedding) if d.embedding else None for d in docs],
        "message_created_ats": [d.message_created_at for d in docs],
    }
    return list((await conn.execute(_INSERT, params)).mappings())


_NEAREST = text(
    """
    SELECT id, embedding <=> CAST(:embedding AS vector) AS distance
    FROM documents
    WHERE workspace_name = :workspace AND observer = :observer AND observed = :observed
      AND embedding IS NOT NULL
    ORDER BY embedding <=> CAST(:embedding AS vector)
    LIMIT 1
    """
)

_SAME_TEXT = text(
    """
    SELECT id FROM documents
    WHERE workspace_name = :workspace AND observer = :observer AND observed = :observed
      AND btrim(lower(regexp_replace(content, '[^[:alnum:]]+', ' ', 'g')))
        = btrim(lower(regexp_replace(CAST(:content AS text), '[^[:alnum:]]+', ' ', 'g')))
    LIMIT 1
    """
)


async def find_duplicate(
    conn: AsyncConnection, doc: NewDocument, max_distance: float
) -> str | None:
    """A stored observation of the same view saying the same thing: nearest by embedding within
    `max_distance`, or (without embeddings) equal text ignoring case and punctuation."""
    key = {"workspace": doc.workspace, "observer": doc.observer, "observed": doc.observed}
    if doc.embedding is not None:
        # Filtered nearest-neighbour search: the iterative scan keeps an HNSW plan correct when
        # the view is a small part of the index (and the planner may use the btree otherwise).
        await conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
        row = (
            await conn.execute(_NEAREST, {**key, "embedding": vector_literal(doc.embedding)})
        ).first()
        if row is not None and row.distance is not None and row.distance <= max_distance:
            return str(row.id)
        return None
    row = (await conn.execute(_SAME_TEXT, {**key, "content": doc.content})).first()
    return str(row.id) if row is not None else None


_BUMP = text(
    """
    UPDATE documents
    SET times_derived = times_derived + 1,
        message_ids = ARRAY(SELECT DISTINCT unnest(message_ids || CAST(:message_ids AS bigint[])))
    WHERE id = :id
    """
)


async def bump(conn: AsyncConnection, document_id: str, message_ids: list[int]) -> None:
    """Count a re-derived fact on the stored observation instead of storing it again."""
    await conn.execute(_BUMP, {"id": document_id, "message_ids": message_ids})


async def recent_contents(
    conn: AsyncConnection,
    workspace: str,
    observer: str,
    observed: str,
    session: str | None,
    limit: int,
) -> list[str]:
    cond = and_(t.c.workspace_name == workspace, t.c.observer == observer, t.c.observed == observed)
    if session is not None:
        cond = cond & (t.c.session_name == session)
    stmt = select(t.c.content).where(cond).order_by(t.c.created_at.desc(), t.c.id).limit(limit)
    return list((await conn.execute(stmt)).scalars())


def _view(workspace: str) -> ColumnElement[bool]:
    return t.c.workspace_name == workspace


async def list_page(
    conn: AsyncConnection,
    workspace: str,
    where: ColumnElement[bool],
    reverse: bool,
    params: PageParams,
) -> tuple[list[RowMapping], int]:
    scope = _view(workspace) & where
    total = (await conn.execute(select(func.count()).select_from(t).where(scope))).scalar_one()
    order = (t.c.created_at.asc(), t.c.id) if reverse else (t.c.created_at.desc(), t.c.id)
    stmt = (
        select(t.c.id, t.c.content, t.c.observer, t.c.observed, t.c.session_name, t.c.created_at)
        .where(scope)
        .order_by(*order)
        .offset(params.offset)
        .limit(params.size)
    )
    return list((await conn.execute(stmt)).mappings()), total


async def nearest(
    conn: AsyncConnection,
    workspace: str,
    where: ColumnElement[bool],
    embedding: list[float],
    top_k: int,
    max_distance: float | None,
) -> list[RowMapping]:
    query_vector = cast(literal(vector_literal(embedding)), Vector())
    distance = t.c.embedding.op("<=>", return_type=Float())(query_vector)
    cond = _view(workspace) & where & t.c.embedding.is_not(None)
    if max_distance is not None:
        cond = cond & (distance < max_distance)
    stmt = (
        select(t.c.id, t.c.content, t.c.observer, t.c.observed, t.c.session_name, t.c.created_at)
        .where(cond)
        .order_by(distance)
        .limit(top_k)
    )
    return list((await conn.execute(stmt)).mappings())


_ROW = (t.c.id, t.c.content, t.c.observer, t.c.observed, t.c.session_name, t.c.created_at)


async def matching_words(
    conn: AsyncConnection, workspace: str, where: ColumnElement[bool], query: str, limit: int
) -> list[str]:
    """Observations containing the query's words, best ranked first."""
    words = func.plainto_tsquery("english", query)
    document = func.to_tsvector("english", t.c.content)
    stmt = (
        select(t.c.id)
        .where(_view(workspace), where, document.op("@@")(words))
        .order_by(func.ts_rank_cd(document, words).desc(), t.c.created_at.desc())
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


async def by_ids(conn: AsyncConnection, workspace: str, ids: list[str]) -> list[RowMapping]:
    rows = (await conn.execute(select(*_ROW).where(_view(workspace), t.c.id.in_(ids)))).mappings()
    position = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: position[r["id"]])


async def delete(conn: AsyncConnection, workspace: str, document_id: str) -> bool:
    stmt = t.delete().where(_view(workspace), t.c.id == document_id).returning(t.c.id)
    return (await conn.execute(stmt)).first() is not None
