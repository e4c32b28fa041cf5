from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from src.auth.dependencies import WorkspaceAuth
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters, MessageResponse
from src.common.validation import IdPath, WorkspacePath
from src.embeddings.base import Embedder
from src.observations import service
from src.observations.schemas import Observation, ObservationBatch, ObservationQuery

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/observations", tags=["observations"])


def _embedder(request: Request) -> Embedder | None:
    embedder: Embedder | None = request.app.state.embedder
    return embedder


@router.post("", response_model=list[Observation])
async def create_observations(
    workspace_id: WorkspacePath,
    body: ObservationBatch,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: WorkspaceAuth,
) -> list[Observation]:
    """Store 1-100 observations by hand (explicit level); session and peers must exist."""
    return await service.create(db, settings, _embedder(request), workspace_id, body.observations)


@router.post("/list", response_model=Page[Observation])
async def list_observations(
    workspace_id: WorkspacePath,
    db: Db,
    paging: Paging,
    _: WorkspaceAuth,
    reverse: Annotated[bool, Query()] = False,
    body: ListFilters | None = Body(default=None),
) -> Page[Observation]:
    """Newest first (oldest first with `reverse=true`)."""
    return await service.list_observations(
        db, workspace_id, body.filters if body else None, reverse, paging
    )


@router.post("/query", response_model=list[Observation])
async def query_observations(
    workspace_id: WorkspacePath, body: ObservationQuery, request: Request, db: Db, _: WorkspaceAuth
) -> list[Observation]:
    """Semantic search within one view: `filters` must name the observer and the observed."""
    return await service.query(db, _embedder(request), workspace_id, body)


@router.delete("/{observation_id}", response_model=MessageResponse)
async def delete_observation(
    workspace_id: WorkspacePath, observation_id: IdPath, db: Db, _: WorkspaceAuth
) -> MessageResponse:
    await service.delete(db, workspace_id, observation_id)
    return MessageResponse(message="Observation deleted successfully")
