from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from src.auth.dependencies import SessionAuth
from src.common.configuration import MessageConfiguration
from src.common.deps import AppSettingsDep, Db, Paging
from src.common.filters import parse_datetime
from src.common.pagination import Page
from src.common.schemas import ListFilters
from src.common.validation import IdPath, JsonObject, Name, SessionPath, WorkspacePath
from src.errors import PayloadTooLargeError, ValidationError
from src.messages import service
from src.messages.schemas import Message, MessageBatch, MessageUpdate

router = APIRouter(
    prefix="/v2/workspaces/{workspace_id}/sessions/{session_id}/messages", tags=["messages"]
)


@router.post("/", response_model=list[Message])
@router.post("", response_model=list[Message], include_in_schema=False)
async def create_messages(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    body: MessageBatch,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
) -> list[Message]:
    """Add 1-100 messages; the session, workspace and authors are created when missing."""
    embedder = request.app.state.embedder
    return await service.create_batch(
        db, settings, embedder, workspace_id, session_id, body.messages
    )


_NAME = TypeAdapter(Name)
_JSON_OBJECT = TypeAdapter(JsonObject)


def _form_json(field: str, raw: str | None) -> dict[str, Any]:
    if raw is None or raw.strip() == "":
        return {}
    try:
        return _JSON_OBJECT.validate_python(json.loads(raw))
    except (json.JSONDecodeError, PydanticValidationError) as exc:
        raise ValidationError(f"form field '{field}' must be a JSON object: {exc}") from exc


@router.post("/upload", response_model=list[Message])
async def upload_file(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    request: Request,
    db: Db,
    settings: AppSettingsDep,
    _: SessionAuth,
    file: Annotated[UploadFile, File()],
    peer_id: Annotated[str, Form()],
    metadata: Annotated[str | None, Form()] = None,
    configuration: Annotated[str | None, Form()] = None,
    created_at: Annotated[str | None, Form()] = None,
) -> list[Message]:
    """Upload a PDF, text or JSON file; its text becomes one or more messages from `peer_id`."""
    try:
        _NAME.validate_python(peer_id)
    except PydanticValidationError as exc:
        raise ValidationError(
            f"form field 'peer_id' is not a valid name: {peer_id[:100]!r}"
        ) from exc
    limit = settings.app.MAX_FILE_SIZE
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"File is larger than the maximum of {limit} bytes")
    message_configuration = MessageConfiguration.model_validate(
        _form_json("configuration", configuration)
    )
    uploaded = service.UploadedFile(
        filename=file.filename or "upload",
        content_type=file.content_type or "application/octet-stream",
        data=data,
        peer_id=peer_id,
        metadata=_form_json("metadata", metadata),
        configuration=message_configuration.stored() or None,
        created_at=parse_datetime("created_at", created_at) if created_at else None,
    )
    embedder = request.app.state.embedder
    return await service.upload(db, settings, embedder, workspace_id, session_id, uploaded)


@router.post("/list", response_model=Page[Message])
async def list_messages(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    db: Db,
    paging: Paging,
    _: SessionAuth,
    reverse: Annotated[bool, Query()] = False,
    body: ListFilters | None = Body(default=None),
) -> Page[Message]:
    return await service.list_messages(
        db, workspace_id, session_id, body.filters if body else None, reverse, paging
    )


@router.get("/{message_id}", response_model=Message)
async def get_message(
    workspace_id: WorkspacePath, session_id: SessionPath, message_id: IdPath, db: Db, _: SessionAuth
) -> Message:
    return await service.get(db, workspace_id, session_id, message_id)


@router.put("/{message_id}", response_model=Message)
async def update_message(
    workspace_id: WorkspacePath,
    session_id: SessionPath,
    message_id: IdPath,
    body: MessageUpdate,
    db: Db,
    _: SessionAuth,
) -> Message:
    """Replace a message's metadata (its content is immutable)."""
    return await service.update(db, workspace_id, session_id, message_id, body)
