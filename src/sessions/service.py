"""Rules for sessions: get-or-create with members, updates, deletion and cloning."""

from __future__ import annotations

from typing import Any

from src.auth.dependencies import ensure_session
from src.auth.tokens import Principal
from src.common.filters import compile_filters
from src.common.pagination import Page, PageParams, make_page
from src.config import Settings
from src.db.engine import Database
from src.errors import NotFoundError
from src.messages import repository as messages_repo
from src.sessions import membership
from src.sessions import repository as repo
from src.sessions.lookup import get_active, get_or_create_row
from src.sessions.schemas import Session, SessionCreate, SessionUpdate


async def get_or_create(
    db: Database, settings: Settings, principal: Principal, workspace: str, body: SessionCreate
) -> Session:
    ensure_session(principal, workspace, body.name)
    configuration = body.configuration.stored() if body.configuration is not None else None
    async with db.transaction() as conn:
        row = await get_or_create_row(conn, workspace, body.name, body.metadata, configuration)
        if body.peers:
            await membership.add(conn, settings, workspace, body.name, body.peers)
    return Session.from_row(row)


async def update(db: Database, workspace: str, name: str, body: SessionUpdate) -> Session:
    configuration = body.configuration.stored() if body.configuration is not None else None
    async with db.transaction() as conn:
        row = await get_or_create_row(conn, workspace, name, body.metadata, configuration)
    return Session.from_row(row)


async def list_sessions(
    db: Database, workspace: str, filters: dict[str, Any] | None, params: PageParams
) -> Page[Session]:
    where = compile_filters(filters, repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, workspace, where, params)
    return make_page([Session.from_row(r) for r in rows], total, params)


async def delete(db: Database, workspace: str, name: str) -> None:
    async with db.transaction() as conn:
        if not await repo.delete(conn, workspace, name):
            raise NotFoundError(f"Session {name} not found in workspace {workspace}")


async def clone(db: Database, workspace: str, name: str, message_id: str | None) -> Session:
    async with db.transaction() as conn:
        source = await get_active(conn, workspace, name)
        cutoff: int | None = None
        if message_id is not None:
            message = await messages_repo.get(conn, workspace, name, message_id)
            if message is None:
                raise NotFoundError(f"Message {message_id} not found in session {name}")
            cutoff = message["id"]
        row = await repo.clone(conn, workspace, source, cutoff)
    return Session.from_row(row)
