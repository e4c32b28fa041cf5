from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlalchemy import RowMapping

from src.common.configuration import WorkspaceConfiguration
from src.common.validation import JsonObject, Name


class WorkspaceCreate(BaseModel):
    name: Name = Field(validation_alias=AliasChoices("id", "name"))
    metadata: JsonObject = Field(default_factory=dict)
    configuration: WorkspaceConfiguration = Field(default_factory=WorkspaceConfiguration)


class WorkspaceUpdate(BaseModel):
    metadata: JsonObject | None = None
    configuration: WorkspaceConfiguration | None = None


class Workspace(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    metadata: dict[str, Any]
    configuration: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> Workspace:
        return cls(
            id=row["name"],
            metadata=row["metadata"],
            configuration=row["configuration"],
            created_at=row["created_at"],
        )
