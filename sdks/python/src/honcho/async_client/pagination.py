"""`AsyncPage` (the official SDK's `honcho.async_client.pagination`)."""

from __future__ import annotations

from ..pagination import AsyncPage

__all__ = ["AsyncPage"]
