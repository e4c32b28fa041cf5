"""Loading a session row inside a transaction, as the session, membership and message rules do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from src.errors import NotFoundError
from src.sessions import repository as repo
from src.workspaces import repository as workspaces_repo


async def get_active(conn: AsyncConnection, workspace: str, name: str) -> RowMapping:
    row = await repo.get(conn, workspace, name)
    if row is None or not row["is_active"]:
        raise NotFoundError(f"Session {name} not found in workspace {workspace}")
    return row


async def get_or_create_row(
    conn: AsyncConnection,
    workspace: str,
    name: str,
    metadata: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
) -> RowMapping:
    """The session, created (with its workspace) when missing; given fields update it."""
    row = await repo.get(conn, workspace, name)
    if row is None:
        await workspaces_repo.ensure(conn, workspace)
        row = await repo.insert_if_missing(
            conn, workspace, name, metadata or {}, configuration or {}
        )
        if row is not None:
            return row
        row = await repo.get(conn, workspace, name)
        assert row is not None
    if not row["is_active"]:
        raise NotFoundError(f"Session {name} not found in workspace {workspace}")
    metadata_changed = metadata is not None and metadata != row["metadata"]
    config_changed = (
        configuration is not None
        and {**row["configuration"], **configuration} != row["configuration"]
    )
    if metadata_changed or config_changed:
        row = await repo.update_fields(
            conn,
            workspace,
            name,
            metadata if metadata_changed else None,
            configuration if config_changed else None,
        )
    return row
