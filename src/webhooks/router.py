from __future__ import annotations

from fastapi import APIRouter

from src.auth.dependencies import WorkspaceAuth
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.pagination import Page
from src.common.validation import IdPath, WorkspacePath
from src.webhooks import service
from src.webhooks.schemas import WebhookEndpoint, WebhookEndpointCreate

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/webhooks", tags=["webhooks"])


@router.post("", response_model=WebhookEndpoint)
async def get_or_create_webhook_endpoint(
    workspace_id: WorkspacePath,
    body: WebhookEndpointCreate,
    db: Db,
    settings: AppSettingsDep,
    _: WorkspaceAuth,
) -> WebhookEndpoint:
    """Register `url` for the workspace's events, or return it if already registered. 409 when
    the workspace has WEBHOOK_MAX_WORKSPACE_LIMIT endpoints; 422 when the URL's host resolves to
    a private, loopback, link-local or otherwise non-public address (unless allowed)."""
    return await service.get_or_create(db, settings, workspace_id, body.url)


@router.get("", response_model=Page[WebhookEndpoint])
async def list_webhook_endpoints(
    workspace_id: WorkspacePath, db: Db, paging: Paging, _: WorkspaceAuth
) -> Page[WebhookEndpoint]:
    return await service.list_endpoints(db, workspace_id, paging)


@router.get("/test", response_model=None)
async def test_emit(workspace_id: WorkspacePath, db: Db, _: WorkspaceAuth) -> None:
    """Queue a `test.event` to every endpoint of the workspace (delivered by the deriver)."""
    await service.send_test_event(db, workspace_id)


@router.delete("/{endpoint_id}", response_model=None)
async def delete_webhook_endpoint(
    workspace_id: WorkspacePath, endpoint_id: IdPath, db: Db, _: WorkspaceAuth
) -> None:
    """Remove the endpoint; deliveries still queued for it are dropped."""
    await service.delete(db, workspace_id, endpoint_id)
