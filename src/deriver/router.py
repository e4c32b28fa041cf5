from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from src.auth.dependencies import AnyAuth
from src.common.deps import AppSettingsDep, Db
from src.common.validation import NAME_MAX_LENGTH, WorkspacePath
from src.deriver import status as status_service
from src.deriver.status import DeriverStatus

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/deriver", tags=["deriver"])

_Filter = Annotated[str | None, Query(max_length=NAME_MAX_LENGTH)]


@router.get("/status", response_model=DeriverStatus)
async def get_deriver_status(
    workspace_id: WorkspacePath,
    db: Db,
    settings: AppSettingsDep,
    principal: AnyAuth,
    observer_id: _Filter = None,
    sender_id: _Filter = None,
    session_id: _Filter = None,
) -> DeriverStatus:
    """Queue counts for the workspace, optionally for one session, observer or sender (ANDed).
    `sessions` (keyed by session name) is given when no session is named."""
    session, observer, sender = session_id or None, observer_id or None, sender_id or None
    status_service.authorize(principal, workspace_id, session, observer, sender)
    return await status_service.status(db, settings, workspace_id, session, observer, sender)
