"""SQL for workspaces."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.filters import FilterColumn, FilterSpec, Kind
from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import workspaces as t

FILTERS = FilterSpec(
    "Workspace",
    {
        "id": FilterColumn(t.c.name, Kind.TEXT),
        "created_at": FilterColumn(t.c.created_at, Kind.DATETIME),
        "metadata": FilterColumn(t.c.metadata, Kind.JSON),
    },
)


async def get(conn: AsyncConnection, name: str) -> RowMapping | None:
    result = await conn.execute(select(t).where(t.c.name == name))
    return result.mappings().one_or_none()


async def ensure(conn: AsyncConnection, name: str) -> None:
    """Create the workspace if it is missing (implicit creation by child resources)."""
    await conn.execute(
        insert(t).values(id=new_id(), name=name).on_conflict_do_nothing(index_elements=["name"])
    )


async def insert_if_missing(
    conn: AsyncConnection, name: str, metadata: dict[str, Any], configuration: dict[str, Any]
) -> RowMapping | None:
    stmt = (
        insert(t)
        .values(id=new_id(), name=name, metadata=metadata, configuration=configuration)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(*t.c)
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def update(
    conn: AsyncConnection,
    name: str,
    metadata: dict[str, Any] | None,
    configuration: dict[str, Any] | None,
) -> RowMapping:
    """Upsert: metadata replaced when given, configuration shallow-merged when given."""
    stmt = insert(t).values(
        id=new_id(), name=name, metadata=metadata or {}, configuration=configuration or {}
    )
    changes: dict[str, Any] = {}
    if metadata is not None:
        changes["metadata"] = stmt.excluded.metadata
    if configuration is not None:
        changes["configuration"] = t.c.configuration.op("||")(stmt.excluded.configuration)
    if changes:
        stmt2 = stmt.on_conflict_do_update(index_elements=["name"], set_=changes).returning(*t.c)
        return (await conn.execute(stmt2)).mappings().one()
    row = await insert_if_missing(conn, name, {}, {})
    return row if row is not None else await _must_get(conn, name)


async def _must_get(conn: AsyncConnection, name: str) -> RowMapping:
    row = await get(conn, name)
    assert row is not None
    return row


async def list_page(
    conn: AsyncConnection, where: ColumnElement[bool], params: PageParams
) -> tuple[list[RowMapping], int]:
    total = (await conn.execute(select(func.count()).select_from(t).where(where))).scalar_one()
    rows = await conn.execute(
        select(t)
        .where(where)
        .order_by(t.c.created_at, t.c.id)
        .offset(params.offset)
        .limit(params.size)
    )
    return list(rows.mappings()), total


async def delete(conn: AsyncConnection, name: str) -> RowMapping | None:
    """Hard delete; every peer, session, message and derived row cascades from the workspace."""
    result = await conn.execute(t.delete().where(t.c.name == name).returning(*t.c))
    return result.mappings().one_or_none()
