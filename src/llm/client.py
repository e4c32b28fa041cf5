"""`LLMClient`: retries, structured output and streaming over any `LLMProvider`.

Retries: only `LLMError.retryable` failures (429, 5xx, timeouts, connection errors), at most
`max_retries` per call, exponential backoff with full jitter, never sooner than a server's
Retry-After. A Retry-After longer than `backoff_max` is not waited out here: the error is raised
(still retryable) so the caller's own, longer backoff (the deriver's queue) takes over instead of a
worker sleeping on it.

Structured output: the request carries the pydantic model's JSON schema; the reply is parsed
leniently; if it does not validate, ONE repair call shows the model its reply and the problem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import pydantic

from src.llm.base import (
    ChatMessage,
    Completion,
    CompletionRequest,
    LLMError,
    LLMProvider,
    StreamChunk,
    Usage,
)
from src.llm.structured import ParseFailure, parse_output, repair_instruction
from src.llm.transport import backoff_delay, safe_name

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=pydantic.BaseModel)
R = TypeVar("R")


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    value: T
    usage: Usage  # summed over every attempt, repair included
    completion: Completion  # the last completion
    attempts: int  # HTTP calls made (retries + repair)


class StructuredOutputError(LLMError):
    """The model's output did not validate, even after the repair call. Not retryable.

    `text` is the last reply, `usage` the tokens spent on all attempts, `attempts` the HTTP calls.
    """

    def __init__(
        self, message: str, *, provider: str, text: str, usage: Usage, attempts: int
    ) -> None:
        super().__init__(message, provider=provider, retryable=False)
        self.text = text
        self.usage = usage
        self.attempts = attempts


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(a.input_tokens + b.input_tokens, a.output_tokens + b.output_tokens)


async def _close(chunks: AsyncIterator[StreamChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


class LLMClient:
    def __init__(
        self,
        provider: LLMProvider,
        *,
        max_retries: int,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
    ) -> None:
        self.provider = provider
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max

    def _delay(self, exc: LLMError, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None to give up."""
        if not exc.retryable or retry >= self.max_retries:
            return None
        if exc.retry_after is not None:
            if exc.retry_after > self.backoff_max:
                return None
            return exc.retry_after
        return backoff_delay(retry, self.backoff_base, self.backoff_max)

    async def _call(self, fn: Callable[[], Awaitable[R]]) -> tuple[R, int]:
        """The result of `fn` and the number of calls it took."""
        retry = 0
        while True:
            try:
                return await fn(), retry + 1
            except LLMError as exc:
                delay = self._delay(exc, retry)
                if delay is None:
                    raise
                logger.warning(
                    "%s call failed (%s); retry %d/%d in %.1fs",
                    self.provider.name,
                    exc,
                    retry + 1,
                    self.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
                retry += 1

    async def complete(self, request: CompletionRequest) -> Completion:
        completion, _ = await self._call(lambda: self.provider.complete(request))
        return completion

    async def complete_structured(
        self, request: CompletionRequest, output_type: type[T]
    ) -> StructuredResult[T]:
        schema = output_type.model_json_schema()
        name = request.schema_name
        if name == CompletionRequest.schema_name:  # the default: name it after the model
            name = safe_name(output_type.__name__)
        request = replace(request, json_schema=schema, schema_name=name)
        completion, attempts = await self._call(lambda: self.provider.complete(request))
        usage = completion.usage
        try:
            value = parse_output(completion.text, output_type)
        except ParseFailure as first:
            # The answer can quote message text: only its shape is logged above DEBUG.
            logger.warning(
                "%s output for %s did not validate (%s); asking once more",
                self.provider.name,
                name,
                type(first).__name__,
            )
            logger.debug("the %s answer began: %r", name, completion.text[:200])
            repair = replace(
                request,
                messages=[
                    *request.messages,
                    ChatMessage("assistant", completion.text or "(empty reply)"),
                    ChatMessage("user", repair_instruction(str(first), schema, name)),
                ],
            )
            completion, more = await self._call(lambda: self.provider.complete(repair))
            attempts += more
            usage = _add(usage, completion.usage)
            try:
                value = parse_output(completion.text, output_type)
            except ParseFailure as second:
                raise StructuredOutputError(
                    f"{self.provider.name} ({completion.model}) did not return valid {name} JSON "
                    f"after one repair attempt: {second}",
                    provider=self.provider.name,
                    text=completion.text,
                    usage=usage,
                    attempts=attempts,
                ) from None
        return StructuredResult(value=value, usage=usage, completion=completion, attempts=attempts)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamChunk]:
        """The provider's chunks. Failures before the first chunk are retried like `complete`;
        once a chunk has been yielded, a failure is raised as is (the text cannot be unsent)."""
        retry = 0
        while True:
            chunks = self.provider.stream(request)
            try:
                try:
                    first = await anext(chunks)
                except StopAsyncIteration:
                    return
                except LLMError as exc:
                    delay = self._delay(exc, retry)
                    if delay is None:
                        raise
                    logger.warning(
                        "%s stream failed before its first chunk (%s); retry %d/%d in %.1fs",
                        self.provider.name,
                        exc,
                        retry + 1,
                        self.max_retries,
                        delay,
                    )
                else:
                    yield first
                    async for chunk in chunks:
                        yield chunk
                    return
            finally:
                await _close(chunks)
            await asyncio.sleep(delay)
            retry += 1

    async def aclose(self) -> None:
        await self.provider.aclose()
