from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping

from src.common.validation import Name, SafeText


class ObservationCreate(BaseModel):
    content: SafeText = Field(min_length=1, max_length=65_535)
    observer_id: Name
    observed_id: Name
    session_id: Name


class ObservationBatch(BaseModel):
    observations: list[ObservationCreate] = Field(min_length=1, max_length=100)


class ObservationQuery(BaseModel):
    query: SafeText = Field(min_length=1, max_length=10_000)
    top_k: int = Field(default=10, ge=1, le=100)
    distance: float | None = Field(default=None, ge=0.0, le=1.0)
    filters: dict[str, Any] | None = None


class Observation(BaseModel):
    id: str
    content: str
    observer_id: str
    observed_id: str
    session_id: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> Observation:
        return cls(
            id=row["id"],
            content=row["content"],
            observer_id=row["observer"],
            observed_id=row["observed"],
            session_id=row["session_name"],
            created_at=row["created_at"],
        )
