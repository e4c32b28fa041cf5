"""OpenAI Chat Completions, for OpenAI itself ("openai") and any OpenAI-compatible server ("custom":
Ollama, vLLM, llama.cpp, LM Studio, ...).

Structured output is asked for in one of three modes: `json_schema` (response_format with the
schema, strict off), `json_object` (JSON mode, schema in the system prompt) or `prompt` (schema in
the system prompt only). A server that rejects `response_format` (a 4xx, or a 5xx blaming the
format, as llama.cpp does) is asked again at once in prompt mode, and stays in prompt mode for the
rest of the process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx

from src.llm.base import Completion, CompletionRequest, LLMError, StreamChunk, Usage
from src.llm.transport import HTTPCaller, join_system, safe_name, schema_instructions

logger = logging.getLogger(__name__)

StructuredMode = Literal["json_schema", "json_object", "prompt"]

# Base URLs (per provider name) that refused `response_format`; they get prompt mode from then on.
_PROMPT_ONLY: set[tuple[str, str]] = set()
# 4xx statuses that say nothing about response_format (auth, unknown model, rate limits, ...).
_NOT_A_FORMAT_REJECTION = frozenset({401, 403, 404, 408, 409, 429})
# A 5xx counts as a rejection only when it says so: llama.cpp answers JSON mode it cannot honour
# with 500 "The model produced output that does not match the expected ... format".
_FORMAT_FAILURE = re.compile(r"format|grammar|schema|json", re.IGNORECASE)


def reset_fallbacks() -> None:
    """Forget which servers refused `response_format` (tests)."""
    _PROMPT_ONLY.clear()


class OpenAIProvider:
    def __init__(
        self,
        *,
        name: str = "openai",
        base_url: str,
        api_key: str | None,
        structured_output: StructuredMode = "json_schema",
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.structured_output: StructuredMode = structured_output
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = HTTPCaller(
            name,
            timeout_seconds=timeout_seconds,
            connect_timeout_seconds=connect_timeout_seconds,
            transport=transport,
        )

    @property
    def _url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def mode(self) -> StructuredMode:
        if (self.name, self.base_url) in _PROMPT_ONLY:
            return "prompt"
        return self.structured_output

    def _body(self, request: CompletionRequest, mode: StructuredMode) -> dict[str, Any]:
        system = request.system
        response_format: dict[str, Any] | None = None
        if request.json_schema is not None:
            name = safe_name(request.schema_name)
            if mode == "json_schema":
                response_format = {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": request.json_schema, "strict": False},
                }
            else:
                system = join_system(system, schema_instructions(request.json_schema, name))
                if mode == "json_object":
                    response_format = {"type": "json_object"}
        messages: list[dict[str, str]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend({"role": m.role, "content": m.content} for m in request.messages)
        body: dict[str, Any] = {"model": request.model, "messages": messages}
        # OpenAI's newer models refuse `max_tokens`; compatible servers mostly know only it.
        limit_key = "max_completion_tokens" if self.name == "openai" else "max_tokens"
        body[limit_key] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if response_format is not None:
            body["response_format"] = response_format
        return body

    def _rejected_format(self, exc: LLMError, body: dict[str, Any]) -> bool:
        if "response_format" not in body or exc.status is None:
            return False
        if 400 <= exc.status < 500:
            return exc.status not in _NOT_A_FORMAT_REJECTION
        return exc.status >= 500 and bool(_FORMAT_FAILURE.search(str(exc).partition(": ")[2]))

    def _fall_back(self, exc: LLMError) -> None:
        key = (self.name, self.base_url)
        if key not in _PROMPT_ONLY:
            _PROMPT_ONLY.add(key)
            logger.warning(
                "%s at %s rejected response_format (%s); asking for JSON in the prompt instead "
                "from now on (set LLM_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT=prompt to skip the "
                "first attempt)",
                self.name,
                self.base_url,
                exc,
            )

    async def complete(self, request: CompletionRequest) -> Completion:
        body = self._body(request, self.mode())
        try:
            data = await self._http.post_json(self._url, body, self._headers)
        except LLMError as exc:
            if not self._rejected_format(exc, body):
                raise
            data = await self._http.post_json(
                self._url, self._body(request, "prompt"), self._headers
            )
            self._fall_back(exc)
        return self._parse(data, request)

    def _parse(self, data: dict[str, Any], request: CompletionRequest) -> Completion:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            detail = data.get("error") or str(data)[:300]
            raise LLMError(f"{self.name} returned no choices: {detail}", provider=self.name)
        message = choices[0].get("message") or {}
        content = message.get("content")
        if content is None and message.get("refusal"):
            raise LLMError(f"{self.name} refused: {message['refusal']}", provider=self.name)
        text = _text(content)
        if not text.strip() and request.json_schema is not None:
            # Some servers (reasoning models on Ollama, vLLM) put the whole answer, JSON included,
            # in the reasoning field and leave content empty; the client's parser sorts it out.
            text = _text(message.get("reasoning_content") or message.get("reasoning"))
        return Completion(
            text=text,
            usage=_usage(data.get("usage")),
            provider=self.name,
            model=str(data.get("model") or request.model),
        )

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamChunk]:
        body = self._body(request, self.mode())
        try:
            async for chunk in self._stream(body):
                yield chunk
        except LLMError as exc:
            # Only before anything was yielded: errors are raised before the first event.
            if not self._rejected_format(exc, body):
                raise
            self._fall_back(exc)
            async for chunk in self._stream(self._body(request, "prompt")):
                yield chunk

    async def _stream(self, body: dict[str, Any]) -> AsyncIterator[StreamChunk]:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        usage = Usage()
        async for _, data in self._http.sse(self._url, body, self._headers):
            if data.strip() == "[DONE]":
                break
            event = self._http.parse_event(data)
            if event.get("error"):
                raise LLMError(f"{self.name} stream error: {event['error']}", provider=self.name)
            if event.get("usage"):
                usage = _usage(event["usage"])
            for choice in event.get("choices") or []:
                text = _text((choice.get("delta") or {}).get("content"))
                if text:
                    yield StreamChunk(text=text)
        yield StreamChunk(done=True, usage=usage)

    async def aclose(self) -> None:
        await self._http.aclose()


def _text(content: Any) -> str:
    """Message content: a string, or (some servers) a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
    )
