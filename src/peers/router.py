from __future__ import annotations

from fastapi import APIRouter, Body

from src.auth.dependencies import AnyAuth, PeerAuth, WorkspaceAuth
from src.common.deps import Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters
from src.common.validation import PeerPath, WorkspacePath
from src.peers import service
from src.peers.schemas import Peer, PeerCreate, PeerUpdate
from src.sessions.schemas import Session

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/peers", tags=["peers"])


@router.post("/list", response_model=Page[Peer])
async def list_peers(
    workspace_id: WorkspacePath,
    db: Db,
    paging: Paging,
    _: WorkspaceAuth,
    body: ListFilters | None = Body(default=None),
) -> Page[Peer]:
    return await service.list_peers(db, workspace_id, body.filters if body else None, paging)


@router.post("", response_model=Peer)
async def get_or_create_peer(
    workspace_id: WorkspacePath, body: PeerCreate, db: Db, principal: AnyAuth
) -> Peer:
    """Get a peer by name, creating it (and the workspace) when missing."""
    return await service.get_or_create(db, principal, workspace_id, body)


@router.put("/{peer_id}", response_model=Peer)
async def update_peer(
    workspace_id: WorkspacePath, peer_id: PeerPath, body: PeerUpdate, db: Db, _: PeerAuth
) -> Peer:
    return await service.update(db, workspace_id, peer_id, body)


@router.post("/{peer_id}/sessions", response_model=Page[Session])
async def list_sessions_of_peer(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    db: Db,
    paging: Paging,
    _: PeerAuth,
    body: ListFilters | None = Body(default=None),
) -> Page[Session]:
    return await service.list_sessions_of_peer(
        db, workspace_id, peer_id, body.filters if body else None, paging
    )
