"""What the fake vendor records (`RecordedRequest`) and how a test scripts its answers (`Reply`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Api = Literal["openai", "anthropic", "gemini"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON
    time: float  # time.monotonic() on arrival

    @property
    def api(self) -> Api:
        if self.path.startswith("/v1beta/"):
            return "gemini"
        if self.path.startswith("/v1/messages"):
            return "anthropic"
        return "openai"

    @property
    def is_embedding(self) -> bool:
        return self.path.endswith("/embeddings") or "embedContent" in self.path

    @property
    def stream(self) -> bool:
        if self.api == "gemini":
            return ":streamGenerateContent" in self.path
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def model(self) -> str:
        if self.api == "gemini":
            return self.path.split("/models/", 1)[-1].split(":", 1)[0]
        return str(self.body.get("model", "")) if isinstance(self.body, dict) else ""

    @property
    def system(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        if self.api == "openai":
            return "\n".join(t for r, t in self._openai_messages() if r in ("system", "developer"))
        if self.api == "anthropic":
            return _text_of(body.get("system"))
        return _text_of((body.get("systemInstruction") or {}).get("parts"))

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(role, text) of the conversation turns, system excluded; roles user/assistant."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.api == "openai":
            return [(r, t) for r, t in self._openai_messages() if r not in ("system", "developer")]
        if self.api == "anthropic":
            return [(m["role"], _text_of(m.get("content"))) for m in body.get("messages", [])]
        return [
            ("assistant" if c.get("role") == "model" else "user", _text_of(c.get("parts")))
            for c in body.get("contents", [])
        ]

    @property
    def last_user_text(self) -> str:
        users = [t for r, t in self.messages if r == "user"]
        return users[-1] if users else ""

    @property
    def json_schema(self) -> dict[str, Any] | None:
        """The schema the request asked for natively (response_format, tool, responseJsonSchema)."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.api == "openai":
            fmt = body.get("response_format") or {}
            schema = (fmt.get("json_schema") or {}).get("schema")
        elif self.api == "anthropic":
            tools = body.get("tools") or []
            schema = tools[0].get("input_schema") if tools else None
        else:
            schema = (body.get("generationConfig") or {}).get("responseJsonSchema")
        return schema if isinstance(schema, dict) else None

    @property
    def prompt_words(self) -> int:
        return sum(len(t.split()) for _, t in self.messages) + len(self.system.split())

    def _openai_messages(self) -> list[tuple[str, str]]:
        body = self.body if isinstance(self.body, dict) else {}
        return [(m["role"], _text_of(m.get("content"))) for m in body.get("messages", [])]


def _text_of(content: Any) -> str:
    """Text of a string, or of a list of parts/blocks with `text`."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the class methods."""

    chunks: tuple[str, ...] = ("ok",)
    value: Any = None  # Reply.json's value: Anthropic answers a tool request with it as input
    status: int = 200
    retry_after: str | None = None
    message: str = ""
    delay: float = 0.0  # seconds to wait before answering at all
    then: Reply | None = None  # what to answer after `delay`
    chunk_interval: float = 0.0  # seconds between streamed chunks
    drop: bool = False  # stream: cut the connection after the chunks, without finishing
    reasoning: str | None = None  # OpenAI format: message.reasoning_content (reasoning models)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    @classmethod
    def json(cls, value: Any) -> Reply:
        """Content that is `value` as JSON (a tool_use block for Anthropic tool requests)."""
        return cls(chunks=(json.dumps(value),), value=value)

    @classmethod
    def raw(cls, text: str, *, reasoning: str | None = None) -> Reply:
        """Content exactly `text` (prose, JSON in a code fence, ...), whatever was asked for;
        `reasoning` is sent as OpenAI-style `reasoning_content` beside it."""
        return cls(chunks=(text,), reasoning=reasoning)

    @classmethod
    def stream(cls, *chunks: str, interval: float = 0.0, drop: bool = False) -> Reply:
        """Streamed as these chunks (non-streaming requests get them joined)."""
        return cls(chunks=tuple(chunks), chunk_interval=interval, drop=drop)

    @classmethod
    def error(
        cls, status: int, *, retry_after: float | str | None = None, message: str = ""
    ) -> Reply:
        """An HTTP error in the vendor's error shape, with an optional Retry-After header."""
        after = None if retry_after is None else str(retry_after)
        return cls(status=status, retry_after=after, message=message or f"fake error {status}")

    @classmethod
    def hang(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Say nothing for `seconds` (no headers either), then answer `then`."""
        return cls(delay=seconds, then=then or cls.raw("late reply"))
