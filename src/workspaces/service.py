"""Rules for workspaces."""

from __future__ import annotations

from typing import Any

from src.auth.tokens import Principal
from src.common.filters import compile_filters
from src.common.pagination import Page, PageParams, make_page
from src.db.engine import Database
from src.errors import ForbiddenError, NotFoundError
from src.workspaces import repository as repo
from src.workspaces.schemas import Workspace, WorkspaceCreate, WorkspaceUpdate


async def get_or_create(db: Database, principal: Principal, body: WorkspaceCreate) -> Workspace:
    if not principal.belongs_to(body.name):
        raise ForbiddenError(f"This token is not permitted to access workspace '{body.name}'")
    given = body.model_fields_set
    metadata = body.metadata if "metadata" in given else None
    configuration = body.configuration.stored() if "configuration" in given else None
    async with db.transaction() as conn:
        row = await repo.get(conn, body.name)
        if row is None:
            row = await repo.insert_if_missing(conn, body.name, metadata or {}, configuration or {})
        if row is None or _changes(row, metadata, configuration):
            # Existing workspace: fields sent with the request update it, with PUT's rules.
            row = await repo.update(conn, body.name, metadata, configuration)
    return Workspace.from_row(row)


def _changes(
    row: Any, metadata: dict[str, Any] | None, configuration: dict[str, Any] | None
) -> bool:
    if metadata is not None and metadata != row["metadata"]:
        return True
    return (
        configuration is not None
        and {**row["configuration"], **configuration} != row["configuration"]
    )


async def update(db: Database, name: str, body: WorkspaceUpdate) -> Workspace:
    configuration = body.configuration.stored() if body.configuration is not None else None
    async with db.transaction() as conn:
        row = await repo.update(conn, name, body.metadata, configuration)
    return Workspace.from_row(row)


async def list_workspaces(
    db: Database, filters: dict[str, Any] | None, params: PageParams
) -> Page[Workspace]:
    where = compile_filters(filters, repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, where, params)
    return make_page([Workspace.from_row(r) for r in rows], total, params)


async def delete(db: Database, name: str) -> Workspace:
    async with db.transaction() as conn:
        row = await repo.delete(conn, name)
    if row is None:
        raise NotFoundError(f"Workspace {name} not found")
    return Workspace.from_row(row)
