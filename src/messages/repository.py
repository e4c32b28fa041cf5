"""SQL for messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.filters import FilterColumn, FilterSpec, Kind
from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import messages as t

FILTERS = FilterSpec(
    "Message",
    {
        "workspace_id": FilterColumn(t.c.workspace_name, Kind.TEXT),
        "session_id": FilterColumn(t.c.session_name, Kind.TEXT),
        "peer_id": FilterColumn(t.c.peer_name, Kind.TEXT),
        "token_count": FilterColumn(t.c.token_count, Kind.NUMBER),
        "created_at": FilterColumn(t.c.created_at, Kind.DATETIME),
        "metadata": FilterColumn(t.c.metadata, Kind.JSON),
    },
)


# What the API returns of a message (not the internal metadata nor the parsed text).
PUBLIC_COLUMNS = (
    t.c.id,
    t.c.public_id,
    t.c.workspace_name,
    t.c.session_name,
    t.c.peer_name,
    t.c.content,
    t.c.metadata,
    t.c.token_count,
    t.c.seq_in_session,
    t.c.created_at,
)


@dataclass(frozen=True)
class NewMessage:
    peer: str
    content: str
    metadata: dict[str, Any]
    token_count: int
    created_at: datetime | None
    internal_metadata: dict[str, Any]
    # Message-level configuration (spec §5.2): not stored, it only shapes the derivation work.
    configuration: dict[str, Any] | None = None


# One statement whatever the batch size; constant text, so psycopg prepares it server-side.
_INSERT_BATCH = text(
    """
    INSERT INTO messages (public_id, workspace_name, session_name, peer_name, content, metadata,
                          internal_metadata, token_count, seq_in_session, created_at)
    SELECT u.public_id, :workspace, :session, u.peer_name, u.content, CAST(u.metadata AS jsonb),
           CAST(u.internal AS jsonb), u.token_count, :first_seq + u.ord - 1,
           COALESCE(u.created_at, now())
    FROM unnest(CAST(:public_ids AS text[]), CAST(:peers AS text[]), CAST(:contents AS text[]),
                CAST(:metadatas AS text[]), CAST(:internals AS text[]),
                CAST(:token_counts AS integer[]), CAST(:created_ats AS timestamptz[]))
         WITH ORDINALITY
         AS u(public_id, peer_name, content, metadata, internal, token_count, created_at, ord)
    ORDER BY u.ord
    RETURNING id, public_id, workspace_name, session_name, peer_name, content, metadata,
              token_count, seq_in_session, created_at
    """
)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def insert_batch(
    conn: AsyncConnection, workspace: str, session: str, first_seq: int, batch: list[NewMessage]
) -> list[RowMapping]:
    """Insert a whole batch in one statement; rows come back in batch order."""
    result = await conn.execute(
        _INSERT_BATCH,
        {
            "workspace": workspace,
            "session": session,
            "first_seq": first_seq,
            "public_ids": [new_id() for _ in batch],
            "peers": [m.peer for m in batch],
            "contents": [m.content for m in batch],
            "metadatas": [_json(m.metadata) for m in batch],
            "internals": [_json(m.internal_metadata) for m in batch],
            "token_counts": [m.token_count for m in batch],
            "created_ats": [m.created_at for m in batch],
        },
    )
    return sorted(result.mappings(), key=lambda r: r["seq_in_session"])


def _in_session(workspace: str, session: str) -> ColumnElement[bool]:
    return and_(t.c.workspace_name == workspace, t.c.session_name == session)


async def get(
    conn: AsyncConnection, workspace: str, session: str, public_id: str
) -> RowMapping | None:
    stmt = select(*PUBLIC_COLUMNS).where(
        _in_session(workspace, session), t.c.public_id == public_id
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def update_metadata(
    conn: AsyncConnection, workspace: str, session: str, public_id: str, metadata: dict[str, Any]
) -> RowMapping | None:
    stmt = (
        update(t)
        .where(_in_session(workspace, session), t.c.public_id == public_id)
        .values(metadata=metadata)
        .returning(*PUBLIC_COLUMNS)
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def list_page(
    conn: AsyncConnection,
    workspace: str,
    session: str,
    where: ColumnElement[bool],
    reverse: bool,
    params: PageParams,
) -> tuple[list[RowMapping], int]:
    scope = _in_session(workspace, session) & where
    total = (await conn.execute(select(func.count()).select_from(t).where(scope))).scalar_one()
    order = t.c.id.desc() if reverse else t.c.id.asc()
    rows = await conn.execute(
        select(*PUBLIC_COLUMNS)
        .where(scope)
        .order_by(order)
        .offset(params.offset)
        .limit(params.size)
    )
    return list(rows.mappings()), total
