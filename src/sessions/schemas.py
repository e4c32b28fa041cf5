from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field
from sqlalchemy import RowMapping

from src.common.configuration import SessionConfiguration, SessionPeerConfig
from src.common.validation import JsonObject, Name


class SessionCreate(BaseModel):
    name: Name = Field(validation_alias=AliasChoices("id", "name"))
    metadata: JsonObject | None = None
    peers: dict[Name, SessionPeerConfig] | None = Field(
        default=None, validation_alias=AliasChoices("peers", "peer_names")
    )
    configuration: SessionConfiguration | None = None


class SessionUpdate(BaseModel):
    metadata: JsonObject | None = None
    configuration: SessionConfiguration | None = None


class Session(BaseModel):
    id: str
    is_active: bool
    workspace_id: str
    metadata: dict[str, Any]
    configuration: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> Session:
        return cls(
            id=row["name"],
            is_active=row["is_active"],
            workspace_id=row["workspace_name"],
            metadata=row["metadata"],
            configuration=row["configuration"],
            created_at=row["created_at"],
        )


PeerConfigMap = dict[Name, SessionPeerConfig]
