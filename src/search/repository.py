"""SQL for message search: a full-text leg and a vector leg, each returning ranked message ids."""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Float,
    RowMapping,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from src.db.tables import message_embeddings as me
from src.db.tables import messages as m
from src.db.tables import session_peers as sp
from src.messages.repository import PUBLIC_COLUMNS
from src.observations.repository import vector_literal

CANDIDATES = 1000


def perspective(peer: str) -> ColumnElement[bool]:
    """Messages a peer could have seen: written in a session while it was a member."""
    return exists().where(
        sp.c.workspace_name == m.c.workspace_name,
        sp.c.session_name == m.c.session_name,
        sp.c.peer_name == peer,
        sp.c.joined_at <= m.c.created_at,
        or_(sp.c.left_at.is_(None), m.c.created_at <= sp.c.left_at),
    )


def _all_words(query: str) -> ColumnElement[object]:
    return func.plainto_tsquery("english", literal(query, Text))


def _any_word(query: str) -> ColumnElement[object]:
    as_text = func.cast(_all_words(query), Text)
    return func.cast(func.replace(as_text, "&", "|"), TSQUERY)


async def has_words(conn: AsyncConnection, query: str) -> bool:
    """False when the query is only stop words or punctuation (nothing to match by word)."""
    count = (await conn.execute(select(func.numnode(_all_words(query))))).scalar_one()
    return bool(count)


async def fulltext(
    conn: AsyncConnection, where: ColumnElement[bool], query: str, limit: int
) -> list[int]:
    """Messages matching the query's words: those with all of them first, then by rank, among
    the newest CANDIDATES matches (ranking every match of a frequent word would cost time in
    proportion to the workspace; recent matches are what a conversation memory wants)."""
    any_word, all_words = _any_word(query), _all_words(query)
    candidates = (
        select(m.c.id, m.c.content_tsv)
        .where(where, m.c.content_tsv.op("@@")(any_word))
        .order_by(m.c.id.desc())
        .limit(CANDIDATES)
        .cte("candidates")
    )
    stmt = (
        select(candidates.c.id)
        .order_by(
            candidates.c.content_tsv.op("@@")(all_words).desc(),
            func.ts_rank_cd(candidates.c.content_tsv, any_word).desc(),
            candidates.c.id.desc(),
        )
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


async def substring(
    conn: AsyncConnection, where: ColumnElement[bool], query: str, limit: int
) -> list[int]:
    """For queries with no indexable word: literal substring match, newest first."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(m.c.id)
        .where(where, m.c.content.ilike(f"%{escaped}%", escape="\\"))
        .order_by(m.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


async def nearest(
    conn: AsyncConnection, where: ColumnElement[bool], embedding: list[float], limit: int
) -> list[int]:
    """Messages nearest in meaning (best chunk per message), via the HNSW index. The iterative
    scan keeps filling the result when the filters reject most neighbours."""
    await conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
    await conn.execute(text(f"SET LOCAL hnsw.ef_search = {max(40, min(limit * 2, 1000))}"))
    distance = me.c.embedding.op("<=>", return_type=Float())(
        func.cast(literal(vector_literal(embedding)), me.c.embedding.type)
    )
    stmt = (
        select(me.c.message_id, distance.label("distance"))
        .select_from(me.join(m, m.c.id == me.c.message_id))
        .where(where, me.c.embedding.is_not(None))
        .order_by(distance)
        .limit(limit * 2)
    )
    rows = (await conn.execute(stmt)).all()
    best: dict[int, float] = {}
    for message_id, d in rows:
        if message_id not in best or d < best[message_id]:
            best[message_id] = d
    return sorted(best, key=lambda i: best[i])[:limit]


async def by_ids(conn: AsyncConnection, ids: list[int]) -> list[RowMapping]:
    stmt = select(*PUBLIC_COLUMNS).where(m.c.id.in_(ids))
    rows = (await conn.execute(stmt)).mappings().all()
    position = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: position[r["id"]])


def scope(workspace: str, session: str | None, peer: str | None) -> ColumnElement[bool]:
    cond = m.c.workspace_name == workspace
    if session is not None:
        cond = and_(cond, m.c.session_name == session)
    if peer is not None:
        cond = and_(cond, m.c.peer_name == peer)
    return cond
