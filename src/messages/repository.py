"""SQL for messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
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


@dataclass(frozen=True)
class NewMessage:
    peer: str
    content: str
    metadata: dict[str, Any]
    token_count: int
    created_at: datetime | None
    internal_metadata: dict[str, Any]


async def insert_batch(
    conn: AsyncConnection, workspace: str, session: str, first_seq: int, batch: list[NewMessage]
) -> list[RowMapping]:
    """Insert a whole batch in one statement; rows come back in batch order."""
    rows = [
        {
            "public_id": new_id(),
            "workspace_name": workspace,
            "session_name": session,
            "peer_name": m.peer,
            "content": m.content,
            "metadata": m.metadata,
            "internal_metadata": m.internal_metadata,
            "token_count": m.token_count,
            "seq_in_session": first_seq + i,
            "created_at": m.created_at if m.created_at is not None else func.now(),
        }
        for i, m in enumerate(batch)
    ]
    result = await conn.execute(insert(t).values(rows).returning(*t.c))
    return sorted(result.mappings(), key=lambda r: r["seq_in_session"])


def _in_session(workspace: str, session: str) -> ColumnElement[bool]:
    return and_(t.c.workspace_name == workspace, t.c.session_name == session)


async def get(
    conn: AsyncConnection, workspace: str, session: str, public_id: str
) -> RowMapping | None:
    stmt = select(t).where(_in_session(workspace, session), t.c.public_id == public_id)
    return (await conn.execute(stmt)).mappings().one_or_none()


async def update_metadata(
    conn: AsyncConnection, workspace: str, session: str, public_id: str, metadata: dict[str, Any]
) -> RowMapping | None:
    stmt = (
        update(t)
        .where(_in_session(workspace, session), t.c.public_id == public_id)
        .values(metadata=metadata)
        .returning(*t.c)
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
        select(t).where(scope).order_by(order).offset(params.offset).limit(params.size)
    )
    return list(rows.mappings()), total
