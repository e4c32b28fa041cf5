from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from src.common.validation import SafeText


class MessageSearchOptions(BaseModel):
    query: SafeText = Field(min_length=1, max_length=10_000)
    filters: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=100)
