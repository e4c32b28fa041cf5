from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from src.auth.dependencies import AdminAuth
from src.auth.tokens import encode
from src.common.deps import AppSettingsDep
from src.common.validation import NAME_MAX_LENGTH, NAME_PATTERN
from src.errors import DisabledError, ValidationError

router = APIRouter(prefix="/v2/keys", tags=["keys"])

_NameQuery = Annotated[
    str | None, Query(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)
]


class KeyResponse(BaseModel):
    key: str


@router.post("", response_model=KeyResponse)
async def create_key(
    settings: AppSettingsDep,
    _: AdminAuth,
    workspace_id: _NameQuery = None,
    peer_id: _NameQuery = None,
    session_id: _NameQuery = None,
    expires_at: Annotated[datetime | None, Query()] = None,
) -> KeyResponse:
    """Mint a scoped key: a workspace key, or a peer or session key inside a workspace."""
    if not settings.auth.USE_AUTH:
        raise DisabledError()
    if workspace_id is None and peer_id is None and session_id is None:
        raise ValidationError(
            "At least one of workspace_id, peer_id, or session_id must be provided"
        )
    if workspace_id is None:
        raise ValidationError("peer and session keys must name their workspace_id")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= datetime.now(UTC):
            raise ValidationError("expires_at must be in the future")
    assert settings.auth.JWT_SECRET is not None
    key = encode(
        settings.auth.JWT_SECRET,
        workspace=workspace_id,
        peer=peer_id,
        session=session_id,
        expires_at=expires_at,
    )
    return KeyResponse(key=key)
