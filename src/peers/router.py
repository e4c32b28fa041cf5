from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field

from src.auth.dependencies import AnyAuth, PeerAuth, WorkspaceAuth
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters
from src.common.validation import NAME_MAX_LENGTH, NAME_PATTERN, PeerPath, SafeText, WorkspacePath
from src.messages.schemas import Message
from src.peers import cards, representation, service
from src.peers.cards import MAX_CARD_LINES
from src.peers.representation import PeerContext, RepresentationOptions, RepresentationResponse
from src.peers.schemas import Peer, PeerCreate, PeerUpdate
from src.search import service as search_service
from src.search.schemas import MessageSearchOptions
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


@router.post("/{peer_id}/search", response_model=list[Message])
async def search_peer(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    body: MessageSearchOptions,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: PeerAuth,
) -> list[Message]:
    """Messages written by the peer matching the query by words and by meaning."""
    return await search_service.search(
        db,
        settings,
        request.app.state.embedder,
        workspace_id,
        body.query,
        body.filters,
        body.limit,
        peer=peer_id,
    )


@router.post("/{peer_id}/representation", response_model=RepresentationResponse)
async def get_working_representation(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    body: RepresentationOptions,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: PeerAuth,
) -> RepresentationResponse:
    """What the peer knows about `target` (about itself without one): its observations, the
    most recent (in `session_id` when given), plus the ones matching `search_query`."""
    return await representation.representation(
        db,
        request.app.state.embedder,
        workspace_id,
        peer_id,
        body,
        settings.dialectic.MAX_OBSERVATIONS,
    )


@router.get("/{peer_id}/context", response_model=PeerContext)
async def get_peer_context(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    request: Request,
    db: Db,
    _: PeerAuth,
    target: _Target = None,
    search_query: Annotated[str | None, Query(max_length=10_000)] = None,
    search_top_k: Annotated[int | None, Query(ge=1, le=100)] = None,
    search_max_distance: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    include_most_derived: bool = True,
    max_observations: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PeerContext:
    """The peer's representation of `target` (or itself) with the matching peer card."""
    return await representation.peer_context(
        db,
        request.app.state.embedder,
        workspace_id,
        peer_id,
        target,
        search_query,
        search_top_k,
        search_max_distance,
        include_most_derived,
        max_observations,
    )
