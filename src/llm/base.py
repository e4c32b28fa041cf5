"""The provider-neutral request/response types and the `LLMProvider` protocol.

Providers speak their vendor's wire format over httpx with an explicit timeout on every call. They
do not retry: `src.llm.client.LLMClient` owns retries (429/5xx/timeouts, backoff with jitter),
structured-output validation and the one repair attempt, so every provider behaves the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    messages: list[ChatMessage]
    system: str | None = None
    max_tokens: int = 1024
    temperature: float | None = None
    # When set, the provider asks for JSON matching this schema in the most reliable way it has
    # (native JSON schema, JSON mode, or instructions in the prompt); the client validates.
    json_schema: dict[str, Any] | None = None
    schema_name: str = "output"


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    provider: str
    model: str


@dataclass(frozen=True)
class StreamChunk:
    """A text delta, or (last, `done=True`) the final usage."""

    text: str = ""
    done: bool = False
    usage: Usage = field(default_factory=Usage)


class LLMError(Exception):
    """A failed call. `retryable` for rate limits, 5xx, timeouts and connection errors."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class LLMProvider(Protocol):
    name: str

    async def complete(self, request: CompletionRequest) -> Completion: ...

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamChunk]: ...

    async def aclose(self) -> None: ...
