"""A session's context for a model call (spec §4.7, §9) and its summaries (§4.6, §4.8)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .base import PeerBase
from .models import Message
from .representation import Representation

__all__ = ["SessionContext", "SessionSummaries", "Summary"]


class Summary(BaseModel):
    """A running summary of a session, up to the message `message_id` (public id)."""

    model_config = ConfigDict(extra="allow")

    content: str
    message_id: str
    summary_type: str
    created_at: str
    token_count: int


class SessionSummaries(BaseModel):
    """The session's short and long summaries (each `None` until the deriver writes it)."""

    id: str
    short_summary: Summary | None = None
    long_summary: Summary | None = None


def _assistant_id(assistant: str | PeerBase) -> str:
    return assistant if isinstance(assistant, str) else assistant.id


class SessionContext(BaseModel):
    """What to show a model: the most recent messages within a token budget, the summary of what
    came before, and (when asked for a `peer_target`) that peer's representation and card."""

    session_id: str
    messages: list[Message] = Field(default_factory=list)
    summary: Summary | None = None
    peer_representation: Representation | None = None
    peer_card: list[str] | None = None

    @classmethod
    def from_response(cls, session_id: str, data: Any) -> SessionContext:
        """Build one from the server's JSON for session `session_id`.

        Example:
            >>> SessionContext.from_response("chat", {"messages": [], "summary": None})
            SessionContext(messages=0, summary=None)
        """
        body: dict[str, Any] = data if isinstance(data, dict) else {}
        return cls(
            session_id=str(body.get("id") or session_id),
            messages=body.get("messages") or [],
            summary=body.get("summary"),
            peer_representation=body.get("peer_representation"),
            peer_card=body.get("peer_card"),
        )

    def _preamble(self) -> list[str]:
        parts = []
        if self.peer_representation is not None and not self.peer_representation.is_empty():
            parts.append(f"<peer_representation>\n{self.peer_representation}</peer_representation>")
        if self.peer_card:
            parts.append("<peer_card>\n" + "\n".join(self.peer_card) + "\n</peer_card>")
        if self.summary is not None:
            parts.append(f"<summary>\n{self.summary.content}\n</summary>")
        return parts

    def to_openai(self, *, assistant: str | PeerBase) -> list[dict[str, str]]:
        """Chat Completions messages: system messages for the representation, card and summary,
        then the conversation, `assistant`'s messages as role "assistant", others as "user"
        (with the author in `name`).

        Example:
            >>> context = session.get_context(tokens=1500)
            >>> openai_messages = context.to_openai(assistant=alice)
        """
        me = _assistant_id(assistant)
        system = [{"role": "system", "content": text} for text in self._preamble()]
        return system + [
            {
                "role": "assistant" if m.peer_id == me else "user",
                "name": m.peer_id,
                "content": m.content,
            }
            for m in self.messages
        ]

    def to_anthropic(self, *, assistant: str | PeerBase) -> list[dict[str, str]]:
        """Messages API turns: the representation, card and summary as user turns first, then the
        conversation, others' messages prefixed with their author ("bob: ...").

        Example:
            >>> anthropic_messages = session.get_context().to_anthropic(assistant="assistant")
        """
        me = _assistant_id(assistant)
        preamble = [{"role": "user", "content": text} for text in self._preamble()]
        return preamble + [
            {"role": "assistant", "content": m.content}
            if m.peer_id == me
            else {"role": "user", "content": f"{m.peer_id}: {m.content}"}
            for m in self.messages
        ]

    def __len__(self) -> int:
        return len(self.messages) + (1 if self.summary is not None else 0)

    def __repr__(self) -> str:
        summary = "present" if self.summary is not None else "None"
        return f"SessionContext(messages={len(self.messages)}, summary={summary})"
