from __future__ import annotations

from fastapi import APIRouter, Body, Request

from src.auth.dependencies import AdminAuth, AnyAuth, WorkspaceAuth
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.pagination import Page
from src.common.schemas import ListFilters
from src.common.validation import WorkspacePath
from src.messages.schemas import Message
from src.search import service as search_service
from src.search.schemas import MessageSearchOptions
from src.workspaces import service
from src.workspaces.schemas import Workspace, WorkspaceCreate, WorkspaceUpdate

router = APIRouter(prefix="/v2/workspaces", tags=["workspaces"])


@router.post("", response_model=Workspace)
async def get_or_create_workspace(body: WorkspaceCreate, db: Db, principal: AnyAuth) -> Workspace:
    """Get a workspace by name, creating it when missing."""
    return await service.get_or_create(db, principal, body)


@router.post("/list", response_model=Page[Workspace])
async def list_workspaces(
    db: Db, paging: Paging, _: AdminAuth, body: ListFilters | None = Body(default=None)
) -> Page[Workspace]:
    return await service.list_workspaces(db, body.filters if body else None, paging)


@router.put("/{workspace_id}", response_model=Workspace)
async def update_workspace(
    workspace_id: WorkspacePath, body: WorkspaceUpdate, db: Db, _: WorkspaceAuth
) -> Workspace:
    return await service.update(db, workspace_id, body)


@router.delete("/{workspace_id}", response_model=Workspace)
async def delete_workspace(workspace_id: WorkspacePath, db: Db, _: WorkspaceAuth) -> Workspace:
    """Delete a workspace and everything in it; returns the workspace as it was."""
    return await service.delete(db, workspace_id)


@router.post("/{workspace_id}/search", response_model=list[Message])
async def search_workspace(
    workspace_id: WorkspacePath,
    body: MessageSearchOptions,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: WorkspaceAuth,
) -> list[Message]:
    """Messages of the workspace matching the query by words and by meaning."""
    return await search_service.search(
        db, settings, request.app.state.embedder, workspace_id, body.query, body.filters, body.limit
    )
