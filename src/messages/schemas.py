from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import RowMapping

from src.common.configuration import MessageConfiguration
from src.common.validation import JsonObject, Name, SafeText


class MessageCreate(BaseModel):
    # The configured MAX_MESSAGE_SIZE (<= 65535) is enforced by the service with a 422 naming it.
    content: SafeText = Field(max_length=65_535)
    peer_id: Name
    metadata: JsonObject | None = None
    configuration: MessageConfiguration | None = None
    created_at: datetime | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class MessageBatch(BaseModel):
    messages: list[MessageCreate] = Field(min_length=1, max_length=100)


class MessageUpdate(BaseModel):
    metadata: JsonObject | None = None


class Message(BaseModel):
    id: str
    content: str
    peer_id: str
    session_id: str
    metadata: dict[str, Any]
    created_at: datetime
    workspace_id: str
    token_count: int

    @classmethod
    def from_row(cls, row: RowMapping) -> Message:
        return cls(
            id=row["public_id"],
            content=row["content"],
            peer_id=row["peer_name"],
            session_id=row["session_name"],
            metadata=row["metadata"],
            created_at=row["created_at"],
            workspace_id=row["workspace_name"],
            token_count=row["token_count"],
        )
