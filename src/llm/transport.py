"""HTTP plumbing the providers share: timeouts, error mapping, Retry-After, SSE, schema prompts.

Every call carries an explicit `httpx.Timeout` (per connect / read / write); non-streaming calls
are also bounded as a whole, so a server that trickles bytes cannot hold a worker either.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from src.llm.base import LLMError

# 408 request timeout and 429 rate limit, plus every 5xx (Anthropic's 529 "overloaded" included).
_RETRYABLE_STATUS = frozenset({408, 429})


def make_timeout(timeout_seconds: float, connect_timeout_seconds: float) -> httpx.Timeout:
    return httpx.Timeout(timeout_seconds, connect=connect_timeout_seconds)


def retryable_status(status: int) -> bool:
    return status in _RETRYABLE_STATUS or status >= 500


def parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(retry: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**retry)]."""
    return random.uniform(0.0, min(cap, base * (2.0**retry)))


def error_detail(response: httpx.Response) -> str:
    """The vendor's error message if the body has one, else the start of the body."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        return text[:500].strip() or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:500]
    if isinstance(error, str):
        return error[:500]
    return text[:500]


def response_error(provider: str, response: httpx.Response) -> LLMError:
    status = response.status_code
    return LLMError(
        f"{provider} returned HTTP {status}: {error_detail(response)}",
        provider=provider,
        status=status,
        retryable=retryable_status(status),
        retry_after=parse_retry_after(response.headers),
    )


def transport_error(provider: str, exc: BaseException) -> LLMError:
    """Timeouts and connection failures: retryable, no status. A malformed URL is not."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return LLMError(
            f"{provider} base URL is not usable ({exc}); it must start with http:// or https://",
            provider=provider,
        )
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        what = f"timed out ({type(exc).__name__})"
    else:
        what = f"connection failed: {type(exc).__name__}: {exc}"
    return LLMError(f"{provider} request {what}", provider=provider, retryable=True)


def safe_name(name: str) -> str:
    """A schema/tool name vendors accept: [a-zA-Z0-9_-]{1,64}."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "output"


def schema_instructions(schema: dict[str, Any], name: str) -> str:
    return (
        f"Reply with only a JSON object (no prose, no code fences) named {name!r} that conforms "
        f"to this JSON schema:\n{json.dumps(schema, separators=(',', ':'))}"
    )


def join_system(system: str | None, extra: str) -> str:
    return f"{system}\n\n{extra}" if system else extra


class HTTPCaller:
    """One provider's httpx client plus its timeouts; maps every failure to `LLMError`."""

    def __init__(
        self,
        provider: str,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = make_timeout(timeout_seconds, connect_timeout_seconds)
        # The whole of a non-streaming call, including a server that trickles its body.
        self.deadline = timeout_seconds + connect_timeout_seconds
        self.client = httpx.AsyncClient(timeout=self.timeout, transport=transport)

    async def post_json(
        self, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.deadline):
                response = await self.client.post(
                    url, json=body, headers=headers, timeout=self.timeout
                )
        except (TimeoutError, httpx.TransportError, httpx.InvalidURL) as exc:
            raise transport_error(self.provider, exc) from exc
        if response.status_code >= 400:
            raise response_error(self.provider, response)
        try:
            data = response.json()
        except ValueError as exc:
            raise LLMError(
                f"{self.provider} returned a body that is not JSON: {response.text[:200]!r}",
                provider=self.provider,
                status=response.status_code,
            ) from exc
        if not isinstance(data, dict):
            raise LLMError(
                f"{self.provider} returned JSON that is not an object",
                provider=self.provider,
                status=response.status_code,
            )
        return data

    async def sse(
        self,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        params: dict[str, str] | None = None,
    ) -> AsyncIterator[tuple[str, str]]:
        """(event, data) pairs of a server-sent-event stream; the read timeout applies per read."""
        try:
            async with self.client.stream(
                "POST", url, json=body, headers=headers, params=params, timeout=self.timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise response_error(self.provider, response)
                event = ""
                data: list[str] = []
                async for line in response.aiter_lines():
                    if not line:
                        if data:
                            yield event, "\n".join(data)
                        event, data = "", []
                    elif line.startswith(":"):
                        continue
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
                if data:
                    yield event, "\n".join(data)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise transport_error(self.provider, exc) from exc

    def parse_event(self, data: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise LLMError(
                f"{self.provider} sent a stream event that is not JSON: {data[:200]!r}",
                provider=self.provider,
            ) from exc
        if not isinstance(value, dict):
            raise LLMError(f"{self.provider} sent a non-object event", provider=self.provider)
        return value

    async def aclose(self) -> None:
        await self.client.aclose()
