from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field
from sqlalchemy import RowMapping

from src.common.validation import JsonObject, Name


class PeerCreate(BaseModel):
    name: Name = Field(validation_alias=AliasChoices("id", "name"))
    metadata: JsonObject | None = None
    configuration: JsonObject | None = None


class PeerUpdate(BaseModel):
    metadata: JsonObject | None = None
    configuration: JsonObject | None = None


class Peer(BaseModel):
    id: str
    workspace_id: str
    created_at: datetime
    metadata: dict[str, Any]
    configuration: dict[str, Any]

    @classmethod
    def from_row(cls, row: RowMapping) -> Peer:
        return cls(
            id=row["name"],
            workspace_id=row["workspace_name"],
            created_at=row["created_at"],
            metadata=row["metadata"],
            configuration=row["configuration"],
        )
