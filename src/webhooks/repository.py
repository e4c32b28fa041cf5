"""SQL for webhook endpoints."""

from __future__ import annotations

from sqlalchemy import RowMapping, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import webhook_endpoints as t
from src.db.tables import workspaces

# Serialises endpoint creation per workspace (the limit holds under concurrent requests) without
# blocking anything else: FK checks of new peers and sessions only take KEY SHARE locks.
_LOCK_WORKSPACE = text("SELECT 1 FROM workspaces WHERE name = :name FOR NO KEY UPDATE")


async def lock_workspace(conn: AsyncConnection, workspace: str) -> bool:
    """Lock the workspace row for this transaction; False when it does not exist."""
    return (await conn.execute(_LOCK_WORKSPACE, {"name": workspace})).first() is not None


async def workspace_exists(conn: AsyncConnection, workspace: str) -> bool:
    found = await conn.execute(select(workspaces.c.name).where(workspaces.c.name == workspace))
    return found.first() is not None


async def get_by_url(conn: AsyncConnection, workspace: str, url: str) -> RowMapping | None:
    result = await conn.execute(select(t).where(t.c.workspace_name == workspace, t.c.url == url))
    return result.mappings().one_or_none()


async def count(conn: AsyncConnection, workspace: str) -> int:
    result = await conn.execute(
        select(func.count()).select_from(t).where(t.c.workspace_name == workspace)
    )
    return int(result.scalar_one())


async def insert_endpoint(conn: AsyncConnection, workspace: str, url: str) -> RowMapping:
    stmt = insert(t).values(id=new_id(), workspace_name=workspace, url=url).returning(*t.c)
    return (await conn.execute(stmt)).mappings().one()


async def list_page(
    conn: AsyncConnection, workspace: str, params: PageParams
) -> tuple[list[RowMapping], int]:
    rows = await conn.execute(
        select(t)
        .where(t.c.workspace_name == workspace)
        .order_by(t.c.created_at, t.c.id)
        .limit(params.size)
        .offset(params.offset)
    )
    return list(rows.mappings()), await count(conn, workspace)


async def delete(conn: AsyncConnection, workspace: str, endpoint_id: str) -> bool:
    """Deletes the endpoint and, by cascade, its deliveries (pending ones are never sent)."""
    result = await conn.execute(
        t.delete().where(t.c.workspace_name == workspace, t.c.id == endpoint_id).returning(t.c.id)
    )
    return result.first() is not None
