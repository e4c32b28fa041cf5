"""The asynchronous client: the same classes and methods as the synchronous one, as coroutines."""

from __future__ import annotations

from ..models import SessionPeerConfig
from ..pagination import AsyncPage
from .client import AsyncHoncho
from .peer import AsyncPeer
from .session import AsyncSession

__all__ = ["AsyncHoncho", "AsyncPage", "AsyncPeer", "AsyncSession", "SessionPeerConfig"]
