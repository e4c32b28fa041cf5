"""LLMClient over real HTTP: lenient structured output, one repair, retries, timeouts, streams."""

from __future__ import annotations

import time

import pydantic
import pytest

from src.llm.base import ChatMessage, CompletionRequest, LLMError, Usage
from src.llm.client import LLMClient, StructuredOutputError
from src.llm.openai import OpenAIProvider
from tests.fakes import FakeVendor, Reply


class Fact(pydantic.BaseModel):
    content: str
    speaker: str


class Facts(pydantic.BaseModel):
    facts: list[Fact]


GOOD = {"facts": [{"content": "lives in Lisbon", "speaker": "alice"}]}
REQUEST = CompletionRequest(model="local-model", messages=[ChatMessage("user", "extract facts")])


def client_for(
    vendor: FakeVendor,
    *,
    max_retries: int = 3,
    timeout: float = 30.0,
    mode: str = "prompt",
    backoff_max: float = 30.0,
) -> LLMClient:
    provider = OpenAIProvider(
        name="custom",
        base_url=vendor.openai_base_url,
        api_key=None,
        structured_output=mode,  # type: ignore[arg-type]
        timeout_seconds=timeout,
        connect_timeout_seconds=2.0,
    )
    return LLMClient(provider, max_retries=max_retries, backoff_base=0.01, backoff_max=backoff_max)


async def test_prose_and_code_fence_ignoring_the_schema_is_parsed(vendor: FakeVendor) -> None:
    """A server ignoring the schema (prose + ```json fence) still yields the object, one call."""
    vendor.queue(
        Reply.raw(
            "Sure! Here are the facts I found:\n```json\n"
            '{"facts": [{"content": "lives in Lisbon", "speaker": "alice"}]}\n```\nHope it helps.'
        )
    )
    client = client_for(vendor, mode="json_schema")
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.value == Facts.model_validate(GOOD)
    assert result.attempts == 1 and len(vendor.requests) == 1


async def test_wrong_shape_gets_one_repair_call(vendor: FakeVendor) -> None:
    """Wrong shape: one repair call (bad output as assistant turn + the error), then parsed."""
    bad = {"facts": [{"text": "lives in Lisbon"}]}
    vendor.queue(Reply.json(bad), Reply.json(GOOD))
    client = client_for(vendor)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.value == Facts.model_validate(GOOD) and result.attempts == 2
    first, repair = vendor.requests
    assert result.usage == Usage(
        input_tokens=first.prompt_words + repair.prompt_words, output_tokens=4 + 8
    )
    (role1, text1), (role2, text2), (role3, text3) = repair.messages
    assert (role1, text1) == ("user", "extract facts")
    assert role2 == "assistant" and text2 == Reply.json(bad).text
    assert role3 == "user" and "facts.0.content: Field required" in text3
    assert "only a JSON object" in text3 and '"speaker"' in text3


async def test_still_wrong_after_repair_raises(vendor: FakeVendor) -> None:
    """Still invalid after the repair: StructuredOutputError (not retryable), exactly 2 calls."""
    vendor.queue(Reply.raw("I cannot do that."), Reply.raw("Really, I cannot."))
    client = client_for(vendor)
    with pytest.raises(StructuredOutputError) as info:
        await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert len(vendor.requests) == 2
    error = info.value
    assert not error.retryable and error.attempts == 2
    assert "no JSON object" in str(error) and "Facts" in str(error)
    assert error.text == "Really, I cannot." and error.usage.output_tokens == 4 + 3


async def test_429_with_retry_after_then_success(vendor: FakeVendor) -> None:
    """429 with Retry-After: 1 -> waits about a second, then succeeds: exactly 2 calls."""
    vendor.queue(Reply.error(429, retry_after=1), Reply.raw("done"))
    client = client_for(vendor)
    completion = await client.complete(REQUEST)
    await client.aclose()
    first, second = vendor.requests
    assert completion.text == "done"
    assert second.time - first.time >= 0.95


async def test_retry_after_longer_than_backoff_max_is_raised_at_once(vendor: FakeVendor) -> None:
    """A Retry-After beyond backoff_max is left to the caller's own backoff: raised, 1 call."""
    vendor.queue(Reply.error(429, retry_after=120))
    client = client_for(vendor, backoff_max=10.0)
    with pytest.raises(LLMError) as info:
        await client.complete(REQUEST)
    await client.aclose()
    assert info.value.retryable and info.value.retry_after == 120.0
    assert len(vendor.requests) == 1


async def test_500s_exhaust_the_retries(vendor: FakeVendor) -> None:
    """Persistent 500s: 1 call + max_retries retries, then a retryable LLMError with the status."""
    vendor.on_chat(lambda rec: Reply.error(500, message="boom"))
    client = client_for(vendor, max_retries=2)
    with pytest.raises(LLMError) as info:
        await client.complete(REQUEST)
    await client.aclose()
    assert len(vendor.requests) == 3
    assert info.value.status == 500 and info.value.retryable and "boom" in str(info.value)


async def test_client_errors_are_not_retried(vendor: FakeVendor) -> None:
    """A 400 is not retryable: one call, error raised."""
    vendor.queue(Reply.error(400, message="bad request"))
    client = client_for(vendor)
    with pytest.raises(LLMError) as info:
        await client.complete(REQUEST)
    await client.aclose()
    assert not info.value.retryable and len(vendor.requests) == 1


async def test_structured_retries_are_per_call_not_per_item(vendor: FakeVendor) -> None:
    """429s during a structured call are retried within the call budget, then parsed once."""
    vendor.queue(Reply.error(429, retry_after=0), Reply.error(503), Reply.json(GOOD))
    client = client_for(vendor, max_retries=2)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.attempts == 3 and len(vendor.requests) == 3


async def test_hanging_server_hits_the_timeout(vendor: FakeVendor) -> None:
    """A server that never answers: each call gives up after the timeout, retried, then raised."""
    vendor.on_chat(lambda rec: Reply.hang(30))
    client = client_for(vendor, max_retries=1, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(LLMError) as info:
        await client.complete(REQUEST)
    elapsed = time.monotonic() - started
    await client.aclose()
    assert info.value.retryable and "timed out" in str(info.value)
    assert len(vendor.requests) == 2 and 0.9 <= elapsed < 5


async def test_stream_retries_before_the_first_chunk(vendor: FakeVendor) -> None:
    """A 503 before any chunk is retried; the stream then arrives whole: 2 calls."""
    vendor.queue(Reply.error(503), Reply.stream("a", "b", "c"))
    client = client_for(vendor)
    chunks = [c async for c in client.stream(REQUEST)]
    await client.aclose()
    assert "".join(c.text for c in chunks) == "abc" and chunks[-1].done
    assert len(vendor.requests) == 2


async def test_stream_is_not_retried_after_the_first_chunk(vendor: FakeVendor) -> None:
    """A connection cut mid-stream is raised after the chunks already yielded; no second call."""
    vendor.queue(Reply.stream("a", "b", drop=True))
    client = client_for(vendor)
    seen: list[str] = []
    with pytest.raises(LLMError) as info:
        async for chunk in client.stream(REQUEST):
            seen.append(chunk.text)
    await client.aclose()
    assert seen == ["a", "b"] and info.value.retryable
    assert len(vendor.requests) == 1


async def test_stream_timeout_before_first_chunk_is_retried_then_raised(
    vendor: FakeVendor,
) -> None:
    """A stream whose server never answers times out per call; retried once, then raised."""
    vendor.on_chat(lambda rec: Reply.hang(30))
    client = client_for(vendor, max_retries=1, timeout=0.3)
    with pytest.raises(LLMError, match="timed out"):
        _ = [c async for c in client.stream(REQUEST)]
    await client.aclose()
    assert len(vendor.requests) == 2


async def test_unusable_base_url_is_not_retried() -> None:
    """A base URL without http(s):// is a configuration error: not retryable, said plainly."""
    provider = OpenAIProvider(name="custom", base_url="localhost:11434/v1", api_key=None)
    client = LLMClient(provider, max_retries=3, backoff_base=0.01)
    with pytest.raises(LLMError, match="base URL is not usable") as info:
        await client.complete(REQUEST)
    await client.aclose()
    assert not info.value.retryable
