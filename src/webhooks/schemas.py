from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import RowMapping

URL_MAX_LENGTH = 2048


class WebhookEndpointCreate(BaseModel):
    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        try:
            parts = urlsplit(value)
            port = parts.port  # raises on a malformed port
        except ValueError as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError("the URL must start with http:// or https://")
        if not parts.hostname:
            raise ValueError("the URL must name a host")
        if port == 0:
            raise ValueError("the URL's port must be 1-65535")
        if any(c.isspace() or ord(c) < 0x20 for c in value):
            raise ValueError("the URL must not contain whitespace or control characters")
        return value


class WebhookEndpoint(BaseModel):
    id: str
    workspace_id: str
    url: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> WebhookEndpoint:
        return cls(
            id=row["id"],
            workspace_id=row["workspace_name"],
            url=row["url"],
            created_at=row["created_at"],
        )
