"""SQL for peers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.filters import FilterColumn, FilterSpec, Kind
from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import peers as t

FILTERS = FilterSpec(
    "Peer",
    {
        "id": FilterColumn(t.c.name, Kind.TEXT),
        "created_at": FilterColumn(t.c.created_at, Kind.DATETIME),
        "workspace_id": FilterColumn(t.c.workspace_name, Kind.TEXT),
        "metadata": FilterColumn(t.c.metadata, Kind.JSON),
    },
)


async def get(conn: AsyncConnection, workspace: str, name: str) -> RowMapping | None:
    result = await conn.execute(select(t).where(t.c.workspace_name == workspace, t.c.name == name))
    return result.mappings().one_or_none()


async def insert_if_missing(
    conn: AsyncConnection,
    workspace: str,
    name: str,
    metadata: dict[str, Any],
    configuration: dict[str, Any],
) -> RowMapping | None:
    stmt = (
        insert(t)
        .values(
            id=new_id(),
            workspace_name=workspace,
            name=name,
            metadata=metadata,
            configuration=configuration,
        )
        .on_conflict_do_nothing(index_elements=["workspace_name", "name"])
        .returning(*t.c)
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


_ENSURE_MANY = text(
    """
    INSERT INTO peers (id, workspace_name, name)
    SELECT n.id, :workspace, n.name
    FROM unnest(CAST(:ids AS text[]), CAST(:names AS text[])) AS n(id, name)
    ORDER BY n.name
    ON CONFLICT (workspace_name, name) DO NOTHING
    """
)


async def ensure_many(conn: AsyncConnection, workspace: str, names: Iterable[str]) -> None:
    """Create the missing peers among `names` in one statement. Sorted, so that two transactions
    creating overlapping sets take their row locks in the same order and cannot deadlock."""
    ordered = sorted(set(names))
    if ordered:
        await conn.execute(
            _ENSURE_MANY,
            {"workspace": workspace, "ids": [new_id() for _ in ordered], "names": ordered},
        )


async def update(
    conn: AsyncConnection,
    workspace: str,
    name: str,
    metadata: dict[str, Any] | None,
    configuration: dict[str, Any] | None,
) -> RowMapping:
    """Upsert replacing the fields that are given."""
    stmt = insert(t).values(
        id=new_id(),
        workspace_name=workspace,
        name=name,
        metadata=metadata or {},
        configuration=configuration or {},
    )
    changes: dict[str, Any] = {}
    if metadata is not None:
        changes["metadata"] = stmt.excluded.metadata
    if configuration is not None:
        changes["configuration"] = stmt.excluded.configuration
    if not changes:
        row = await insert_if_missing(conn, workspace, name, {}, {})
        if row is not None:
            return row
        existing = await get(conn, workspace, name)
        assert existing is not None
        return existing
    upsert = stmt.on_conflict_do_update(index_elements=["workspace_name", "name"], set_=changes)
    return (await conn.execute(upsert.returning(*t.c))).mappings().one()


async def list_page(
    conn: AsyncConnection, workspace: str, where: ColumnElement[bool], params: PageParams
) -> tuple[list[RowMapping], int]:
    scope = (t.c.workspace_name == workspace) & where
    total = (await conn.execute(select(func.count()).select_from(t).where(scope))).scalar_one()
    rows = await conn.execute(
        select(t)
        .where(scope)
        .order_by(t.c.created_at, t.c.id)
        .offset(params.offset)
        .limit(params.size)
    )
    return list(rows.mappings()), total
