from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse

from src.auth.dependencies import PeerAuth
from src.common.deps import AppSettingsDep, Db
from src.common.validation import PeerPath, WorkspacePath
from src.dialectic import service
from src.dialectic.service import DialecticOptions, DialecticResponse

router = APIRouter(prefix="/v2/workspaces/{workspace_id}/peers", tags=["dialectic"])


@router.post(
    "/{peer_id}/chat",
    response_model=DialecticResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat(
    workspace_id: WorkspacePath,
    peer_id: PeerPath,
    body: DialecticOptions,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: PeerAuth,
) -> DialecticResponse | Response:
    """Ask about a peer: answered from `peer_id`'s view of `target` (of itself without one),
    within `session_id` when given. `stream: true` answers with server-sent events."""
    component = service.require(request.app.state.dialectic)
    prepared = await service.prepare(
        db, settings, request.app.state.embedder, component.llm, workspace_id, peer_id, body
    )
    if body.stream:
        return EventSourceResponse(service.stream(db, component, workspace_id, prepared))
    return await service.answer(db, component, workspace_id, prepared)
