"""Anthropic Messages API. Structured output is a forced tool call whose input schema is the
requested JSON schema; the tool input, serialised, is the completion text."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from src.llm.base import Completion, CompletionRequest, LLMError, StreamChunk, Usage
from src.llm.transport import HTTPCaller, safe_name

ANTHROPIC_VERSION = "2023-06-01"
# Error types Anthropic sends inside a stream that are worth another try.
_RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


class AnthropicProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = "anthropic"
        self.base_url = base_url.rstrip("/")
        self._url = f"{self.base_url}/v1/messages"
        self._headers = {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}
        self._http = HTTPCaller(
            self.name,
            timeout_seconds=timeout_seconds,
            connect_timeout_seconds=connect_timeout_seconds,
            transport=transport,
        )

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.json_schema is not None:
            name = safe_name(request.schema_name)
            body["tools"] = [
                {
                    "name": name,
                    "description": f"Record the {name} output. Call it exactly once.",
                    "input_schema": request.json_schema,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": name}
        return body

    async def complete(self, request: CompletionRequest) -> Completion:
        data = await self._http.post_json(self._url, self._body(request), self._headers)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise LLMError(f"anthropic returned no content: {str(data)[:300]}", provider=self.name)
        text = ""
        tool_inputs = [b.get("input") for b in blocks if b.get("type") == "tool_use"]
        if request.json_schema is not None and tool_inputs:
            text = json.dumps(tool_inputs[0], ensure_ascii=False)
        else:
            text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        return Completion(
            text=text,
            usage=_usage(data.get("usage")),
            provider=self.name,
            model=str(data.get("model") or request.model),
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamChunk]:
        body = {**self._body(request), "stream": True}
        input_tokens = output_tokens = 0
        async for event_name, data in self._http.sse(self._url, body, self._headers):
            event = self._http.parse_event(data)
            kind = event.get("type") or event_name
            if kind == "message_start":
                usage = _usage((event.get("message") or {}).get("usage"))
                input_tokens, output_tokens = usage.input_tokens, usage.output_tokens
            elif kind == "content_block_delta":
                delta = event.get("delta") or {}
                # Text, or (forced tool) pieces of the tool input's JSON.
                text = delta.get("text") if delta.get("type") == "text_delta" else None
                if delta.get("type") == "input_json_delta":
                    text = delta.get("partial_json")
                if text:
                    yield StreamChunk(text=str(text))
            elif kind == "message_delta":
                usage_raw = event.get("usage") or {}
                output_tokens = int(usage_raw.get("output_tokens") or output_tokens)
                if usage_raw.get("input_tokens"):
                    input_tokens = _usage(usage_raw).input_tokens
            elif kind == "error":
                error = event.get("error") or {}
                error_type = str(error.get("type", ""))
                status = 529 if error_type == "overloaded_error" else None
                raise LLMError(
                    f"anthropic stream error {error_type}: {error.get('message', '')}",
                    provider=self.name,
                    status=status,
                    retryable=error_type in _RETRYABLE_STREAM_ERRORS,
                )
            elif kind == "message_stop":
                break
        yield StreamChunk(done=True, usage=Usage(input_tokens, output_tokens))

    async def aclose(self) -> None:
        await self._http.aclose()


def _usage(raw: Any) -> Usage:
    """Input tokens include cache reads and writes (billed input, reported separately)."""
    if not isinstance(raw, dict):
        return Usage()
    inputs = sum(
        int(raw.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Usage(input_tokens=inputs, output_tokens=int(raw.get("output_tokens") or 0))
