"""Typed models of what the server sends (spec §4) and of the few request objects users build.

Response models keep fields the server adds beyond the ones declared here (`model_extra`), so a
newer server never breaks an older SDK.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Required, TypedDict

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DerivationState",
    "DeriverStatus",
    "FailedWorkUnit",
    "LLMUsage",
    "Message",
    "MessageCreate",
    "MessageCreateParam",
    "Observation",
    "SessionDeriverStatus",
    "SessionPeerConfig",
    "WebhookEndpoint",
    "Workspace",
]


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


class Workspace(_Response):
    """A workspace as the server returns it."""

    id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    configuration: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class Message(_Response):
    """A stored message. `id` is the server-generated public id."""

    id: str
    content: str
    peer_id: str
    session_id: str
    workspace_id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    token_count: int = 0


class SessionPeerConfig(BaseModel):
    """A peer's configuration within one session (spec §5.5).

    `observe_others`: this peer builds its own view of the other peers from this session's
    messages. `observe_me`: overrides the peer-level `observe_me` in this session. `None` means
    "not set" (server default).
    """

    observe_others: bool | None = None
    observe_me: bool | None = None


class SessionDeriverStatus(_Response):
    """Queue counts of one session."""

    session_id: str
    total_work_units: int = 0
    completed_work_units: int = 0
    in_progress_work_units: int = 0
    pending_work_units: int = 0
    failed_work_units: int = 0


class FailedWorkUnit(_Response):
    """Work the deriver gave up on, with its last error."""

    session_id: str | None = None
    task_type: str | None = None
    error: str | None = None
    attempts: int = 0
    failed_at: str | None = None


class LLMUsage(_Response):
    """Model calls made for the workspace (or session), per component."""

    calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    messages: int = 0


class DerivationState(_Response):
    """Whether this server derives anything at all, and why not."""

    enabled: bool = False
    representation: str | None = None
    summaries: str | None = None
    detail: str = ""


class DeriverStatus(_Response):
    """What the deriver's queue holds for a workspace (optionally one session/observer/sender).

    `pending_work_units + in_progress_work_units == 0` means everything sent so far is processed.
    """

    total_work_units: int = 0
    completed_work_units: int = 0
    in_progress_work_units: int = 0
    pending_work_units: int = 0
    failed_work_units: int = 0
    sessions: dict[str, SessionDeriverStatus] | None = None
    recent_failures: list[FailedWorkUnit] = Field(default_factory=list)
    llm_usage: dict[str, LLMUsage] = Field(default_factory=dict)
    derivation: DerivationState | None = None


class Observation(_Response):
    """A stored observation (fact) that `observer_id` holds about `observed_id`."""

    id: str
    content: str
    observer_id: str
    observed_id: str
    session_id: str | None = None
    created_at: datetime


class WebhookEndpoint(_Response):
    """A URL the server POSTs workspace events to."""

    id: str
    workspace_id: str
    url: str
    created_at: datetime


class MessageCreate(TypedDict, total=False):
    """A message to add, as built by `Peer.message(...)` (a plain dict at run time)."""

    peer_id: Required[str]
    content: Required[str]
    metadata: dict[str, Any] | None
    configuration: dict[str, Any] | None
    created_at: str | None


MessageCreateParam = MessageCreate
"""The official SDK's name for `MessageCreate`."""
