"""Python SDK for Honcho v2 memory servers.

    from honcho import Honcho

    honcho = Honcho(base_url="http://localhost:8000")
    alice, bob = honcho.peer("alice"), honcho.peer("bob", config={"observe_others": True})
    session = honcho.session("group_chat")
    session.add_messages(alice.message("Hello from Alice!"), bob.message("I ate eggs today."))
    alice.chat("What did Bob have for breakfast today?")
    context = session.get_context(summary=True, tokens=1500)
    openai_messages = context.to_openai(assistant=alice)

`AsyncHoncho` offers the same methods as coroutines. Code written for the official SDK
(`honcho-ai`) runs unchanged apart from its constructor arguments.
"""

from __future__ import annotations

from ._http import VERSION
from .async_client import AsyncHoncho, AsyncPeer, AsyncSession
from .base import PeerBase, SessionBase
from .client import Honcho
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    HonchoError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from .models import (
    DeriverStatus,
    Message,
    MessageCreate,
    MessageCreateParam,
    Observation,
    SessionPeerConfig,
    WebhookEndpoint,
    Workspace,
)
from .observations import AsyncObservationScope, ObservationScope
from .pagination import AsyncPage, SyncPage
from .peer import Peer
from .representation import DeductiveObservation, ExplicitObservation, PeerContext, Representation
from .session import Session
from .session_context import SessionContext, SessionSummaries, Summary
from .streaming import AsyncDialecticStreamResponse, DialecticStreamResponse

__version__ = VERSION

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncDialecticStreamResponse",
    "AsyncHoncho",
    "AsyncObservationScope",
    "AsyncPage",
    "AsyncPeer",
    "AsyncSession",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeductiveObservation",
    "DeriverStatus",
    "DialecticStreamResponse",
    "ExplicitObservation",
    "Honcho",
    "HonchoError",
    "InternalServerError",
    "Message",
    "MessageCreate",
    "MessageCreateParam",
    "NotFoundError",
    "Observation",
    "ObservationScope",
    "Peer",
    "PeerBase",
    "PeerContext",
    "PermissionDeniedError",
    "RateLimitError",
    "Representation",
    "Session",
    "SessionBase",
    "SessionContext",
    "SessionPeerConfig",
    "SessionSummaries",
    "Summary",
    "SyncPage",
    "UnprocessableEntityError",
    "WebhookEndpoint",
    "Workspace",
]
