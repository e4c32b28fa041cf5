"""Rules for peers."""

from __future__ import annotations

from typing import Any

from src.auth.dependencies import ensure_peer
from src.auth.tokens import Principal
from src.common.filters import compile_filters
from src.common.pagination import Page, PageParams, make_page
from src.db.engine import Database
from src.peers import repository as repo
from src.peers.schemas import Peer, PeerCreate, PeerUpdate
from src.sessions import repository as sessions_repo
from src.sessions.schemas import Session
from src.workspaces import repository as workspaces_repo


async def get_or_create(
    db: Database, principal: Principal, workspace: str, body: PeerCreate
) -> Peer:
    ensure_peer(principal, workspace, body.name)
    async with db.transaction() as conn:
        row = await repo.get(conn, workspace, body.name)
        if row is None:
            await workspaces_repo.ensure(conn, workspace)
            row = await repo.insert_if_missing(
                conn, workspace, body.name, body.metadata or {}, body.configuration or {}
            )
        if row is None or _differs(row, body.metadata, body.configuration):
            row = await repo.update(conn, workspace, body.name, body.metadata, body.configuration)
    return Peer.from_row(row)


def _differs(
    row: Any, metadata: dict[str, Any] | None, configuration: dict[str, Any] | None
) -> bool:
    return (metadata is not None and metadata != row["metadata"]) or (
        configuration is not None and configuration != row["configuration"]
    )


async def update(db: Database, workspace: str, name: str, body: PeerUpdate) -> Peer:
    async with db.transaction() as conn:
        await workspaces_repo.ensure(conn, workspace)
        row = await repo.update(conn, workspace, name, body.metadata, body.configuration)
    return Peer.from_row(row)


async def list_peers(
    db: Database, workspace: str, filters: dict[str, Any] | None, params: PageParams
) -> Page[Peer]:
    where = compile_filters(filters, repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, workspace, where, params)
    return make_page([Peer.from_row(r) for r in rows], total, params)


async def list_sessions_of_peer(
    db: Database, workspace: str, peer: str, filters: dict[str, Any] | None, params: PageParams
) -> Page[Session]:
    """Sessions the peer is or was a member of."""
    where = compile_filters(filters, sessions_repo.FILTERS)
    async with db.transaction() as conn:
        rows, total = await sessions_repo.list_page_for_peer(conn, workspace, peer, where, params)
    return make_page([Session.from_row(r) for r in rows], total, params)
