from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from src.auth.dependencies import AnyAuth, SessionAuth, WorkspaceAuth
from src.common.configuration import SessionPeerConfig
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters, MessageResponse
from src.common.validation import (
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    Name,
    PeerPath,
    SessionPath,
    WorkspacePath,
)
from src.errors import ValidationError
from src.messages.schemas import Message
from src.peers.schemas import Peer
from src.search import service as search_service
from src.search.schemas import MessageSearchOptions
from src.sessions import context, membership, service
from src.sessions.context import SessionContext, SessionSummaries
from src.sessions.schemas import PeerConfigMap, Session, SessionCreate, SessionUpdate

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/sessions", tags=["sessions"])

_Name = Annotated[str | None, Query(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)]


@router.post("", response_model=Session)
async def get_or_create_session(
    workspace_id: WorkspacePath,
    body: SessionCreate,
    db: Db,
    settings: AppSettingsDep,
    principal: AnyAuth,
) -> Session:
    """Get a session by name, creating it (with its workspace and listed peers) when missing."""
    return await service.get_or_create(db, settings, principal, workspace_id, body)


@router.post("/list", response_model=Page[Session])
async def list_sessions(
    workspace_id: WorkspacePath,
    db: Db,
    paging: Paging,
    _: WorkspaceAuth,
    body: ListFilters | None = Body(default=None),
) -> Page[Session]:
    return await service.list_sessions(db, workspace_id, body.filters if body else None, paging)


@router.put("/{session_id}", response_model=Session)
async def update_session(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: SessionUpdate,
    db: Db,
    _: SessionAuth,
) -> Session:
    return await service.update(db, workspace_id, session_id, body)


@router.delete(
    "/{session_id}", response_model=MessageResponse, status_code=status.HTTP_202_ACCEPTED
)
async def delete_session(
    workspace_id: WorkspacePath, session_id: SessionPath, db: Db, _: SessionAuth
) -> MessageResponse:
    """Delete a session with its messages, memberships and everything derived from them."""
    await service.delete(db, workspace_id, session_id)
    return MessageResponse(message="Session deleted successfully")


@router.get("/{session_id}/clone", response_model=Session)
async def clone_session(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    db: Db,
    _: SessionAuth,
    message_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Session:
    """Copy a session and its messages (up to and including `message_id` when given)."""
    return await service.clone(db, workspace_id, session_id, message_id)


@router.post("/{session_id}/peers", response_model=Session)
async def add_peers(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: PeerConfigMap,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
) -> Session:
    return await membership.add_peers(db, settings, workspace_id, session_id, body)


@router.put("/{session_id}/peers", response_model=Session)
async def set_peers(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: PeerConfigMap,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
) -> Session:
    return await membership.set_peers(db, settings, workspace_id, session_id, body)


@router.delete("/{session_id}/peers", response_model=Session)
async def remove_peers(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: Annotated[list[Name], Body()],
    db: Db,
    _: SessionAuth,
) -> Session:
    return await membership.remove_peers(db, workspace_id, session_id, body)


@router.get("/{session_id}/peers", response_model=Page[Peer])
async def list_session_peers(
    workspace_id: WorkspacePath, session_id: SessionPath, db: Db, paging: Paging, _: SessionAuth
) -> Page[Peer]:
    return await membership.list_members(db, workspace_id, session_id, paging)


@router.get("/{session_id}/peers/{peer_id}/config", response_model=SessionPeerConfig)
async def get_peer_config(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    peer_id: PeerPath,
    db: Db,
    _: SessionAuth,
) -> SessionPeerConfig:
    return await membership.get_peer_config(db, workspace_id, session_id, peer_id)


@router.post("/{session_id}/peers/{peer_id}/config", status_code=200)
async def set_peer_config(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    peer_id: PeerPath,
    body: SessionPeerConfig,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
) -> Response:
    await membership.set_peer_config(db, settings, workspace_id, session_id, peer_id, body)
    return Response(status_code=200)


@router.post("/{session_id}/search", response_model=list[Message])
async def search_session(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: MessageSearchOptions,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
) -> list[Message]:
    """Messages of the session matching the query by words and by meaning."""
    return await search_service.search(
        db,
        settings,
        request.app.state.embedder,
        workspace_id,
        body.query,
        body.filters,
        body.limit,
        session=session_id,
    )


@router.get("/{session_id}/summaries", response_model=SessionSummaries)
async def get_summaries(
    workspace_id: WorkspacePath, session_id: SessionPath, db: Db, _: SessionAuth
) -> SessionSummaries:
    """The session's short and long running summaries (null until the deriver makes them)."""
    return await context.summaries(db, workspace_id, session_id)


@router.get("/{session_id}/context", response_model=SessionContext)
async def get_session_context(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
    tokens: Annotated[int | None, Query(le=250_000)] = None,
    summary: bool = True,
    last_message: Annotated[str | None, Query(max_length=10_000)] = None,
    peer_target: _Name = None,
    peer_perspective: _Name = None,
    limit_to_session: bool = False,
    search_top_k: Annotated[int | None, Query(ge=1, le=100)] = None,
    search_max_distance: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    include_most_derived: bool = False,
    max_observations: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    """The summary and the most recent messages within `tokens` (never more), plus the
    representation and card of `peer_target` (as seen by `peer_perspective`) when asked."""
    limit = settings.app.GET_CONTEXT_MAX_TOKENS
    if tokens is not None and tokens > limit:
        raise ValidationError(f"tokens must be at most {limit} (GET_CONTEXT_MAX_TOKENS)")
    result = await context.session_context(
        db,
        request.app.state.embedder,
        workspace_id,
        session_id,
        limit if tokens is None else tokens,
        summary=summary,
        last_message=last_message,
        peer_target=peer_target,
        peer_perspective=peer_perspective,
        limit_to_session=limit_to_session,
        search_top_k=search_top_k,
        search_max_distance=search_max_distance,
        include_most_derived=include_most_derived,
        max_observations=max_observations or settings.dialectic.MAX_OBSERVATIONS,
    )
    return Response(result, media_type="application/json")
