"""Request/response pieces shared by several areas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ListFilters(BaseModel):
    """Body of every `.../list` route. `null` or `{}` filters mean no filter."""

    filters: dict[str, Any] | None = Field(
        default=None, description="Filter DSL object (see the API docs)"
    )


class MessageResponse(BaseModel):
    message: str
