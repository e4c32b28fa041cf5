from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from src.auth.dependencies import AnyAuth, PeerAuth, WorkspaceAuth
from src.common.deps import Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters
from src.common.validation import NAME_MAX_LENGTH, NAME_PATTERN, PeerPath, SafeText, WorkspacePath
from src.peers import cards, service
from src.peers.cards import MAX_CARD_LINES
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


class PeerCardResponse(BaseModel):
    peer_card: list[str] | None


class PeerCardSet(BaseModel):
    peer_card: list[Annotated[SafeText, Field(max_length=2000)]] = Field(max_length=MAX_CARD_LINES)


_Target = Annotated[
    str | None, Query(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)
]


@router.get("/{peer_id}/card", response_model=PeerCardResponse)
async def get_peer_card(
    workspace_id: WorkspacePath, peer_id: PeerPath, db: Db, _: PeerAuth, target: _Target = None
) -> PeerCardResponse:
    """The peer's card of `target` (of itself when no target): stable facts, or null."""
    return PeerCardResponse(peer_card=await cards.read(db, workspace_id, peer_id, target))


@router.put("/{peer_id}/card", response_model=PeerCardResponse)
async def set_peer_card(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    body: PeerCardSet,
    db: Db,
    _: PeerAuth,
    target: _Target = None,
) -> PeerCardResponse:
    """Replace the peer's card of `target` (of itself when no target)."""
    card = cards.clean_card(body.peer_card)
    return PeerCardResponse(peer_card=await cards.write(db, workspace_id, peer_id, target, card))
