"""Google Gemini API (generateContent / streamGenerateContent). Structured output by
`responseMimeType: application/json` plus `responseJsonSchema`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from src.llm.base import Completion, CompletionRequest, LLMError, StreamChunk, Usage
from src.llm.transport import HTTPCaller


class GeminiProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = "google"
        self.base_url = base_url.rstrip("/")
        self._headers = {"x-goog-api-key": api_key}
        self._http = HTTPCaller(
            self.name,
            timeout_seconds=timeout_seconds,
            connect_timeout_seconds=connect_timeout_seconds,
            transport=transport,
        )

    def _url(self, model: str, method: str) -> str:
        return f"{self.base_url}/v1beta/models/{model.removeprefix('models/')}:{method}"

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        config: dict[str, Any] = {"maxOutputTokens": request.max_tokens}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.json_schema is not None:
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = request.json_schema
        body: dict[str, Any] = {
            "contents": [
                {
                    "role": "model" if m.role == "assistant" else "user",
                    "parts": [{"text": m.content}],
                }
                for m in request.messages
            ],
            "generationConfig": config,
        }
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        return body

    async def complete(self, request: CompletionRequest) -> Completion:
        url = self._url(request.model, "generateContent")
        data = await self._http.post_json(url, self._body(request), self._headers)
        text = self._text(data, final=True)
        return Completion(
            text=text,
            usage=_usage(data.get("usageMetadata")),
            provider=self.name,
            model=str(data.get("modelVersion") or request.model),
        )

    def _text(self, data: dict[str, Any], *, final: bool) -> str:
        candidates = data.get("candidates")
        if not candidates:
            feedback = data.get("promptFeedback") or {}
            if feedback.get("blockReason"):
                raise LLMError(
                    f"google blocked the prompt: {feedback['blockReason']}", provider=self.name
                )
            if final:
                raise LLMError(
                    f"google returned no candidates: {str(data)[:300]}", provider=self.name
                )
            return ""
        parts = (candidates[0].get("content") or {}).get("parts") or []
        # Thought summaries (thinking models) are not part of the answer.
        return "".join(str(p.get("text", "")) for p in parts if not p.get("thought"))

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamChunk]:
        url = self._url(request.model, "streamGenerateContent")
        usage = Usage()
        body = self._body(request)
        async for _, data in self._http.sse(url, body, self._headers, params={"alt": "sse"}):
            event = self._http.parse_event(data)
            if event.get("error"):
                raise LLMError(f"google stream error: {event['error']}", provider=self.name)
            if event.get("usageMetadata"):
                usage = _usage(event["usageMetadata"])
            text = self._text(event, final=False)
            if text:
                yield StreamChunk(text=text)
        yield StreamChunk(done=True, usage=usage)

    async def aclose(self) -> None:
        await self._http.aclose()


def _usage(raw: Any) -> Usage:
    """Thinking tokens are billed as output."""
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=int(raw.get("promptTokenCount") or 0),
        output_tokens=int(raw.get("candidatesTokenCount") or 0)
        + int(raw.get("thoughtsTokenCount") or 0),
    )
