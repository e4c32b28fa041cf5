"""Anthropic Messages API provider, over real HTTP."""

from __future__ import annotations

import json

import pydantic

from src.llm.anthropic import AnthropicProvider
from src.llm.base import ChatMessage, CompletionRequest, LLMError, Usage
from src.llm.client import LLMClient
from tests.fakes import FakeVendor, Reply


class Card(pydantic.BaseModel):
    name: str
    traits: list[str]


REQUEST = CompletionRequest(
    model="claude-test",
    system="Be brief.",
    messages=[ChatMessage("user", "describe alice")],
    max_tokens=300,
)


def anthropic(vendor: FakeVendor) -> AnthropicProvider:
    return AnthropicProvider(base_url=vendor.base_url, api_key="ak-test")


async def test_request_shape_and_parsing(vendor: FakeVendor) -> None:
    """POST /v1/messages with x-api-key and anthropic-version; system top-level; text + usage."""
    vendor.queue(Reply.raw("Alice is kind."))
    provider = anthropic(vendor)
    completion = await provider.complete(REQUEST)
    await provider.aclose()
    (rec,) = vendor.requests
    assert rec.path == "/v1/messages"
    assert rec.headers["x-api-key"] == "ak-test"
    assert rec.headers["anthropic-version"] == "2023-06-01"
    assert rec.body["system"] == "Be brief." and rec.body["max_tokens"] == 300
    assert rec.body["messages"] == [{"role": "user", "content": "describe alice"}]
    assert "tools" not in rec.body and "temperature" not in rec.body
    assert completion.text == "Alice is kind." and completion.provider == "anthropic"
    assert completion.usage == Usage(input_tokens=4, output_tokens=3)


async def test_structured_output_is_a_forced_tool(vendor: FakeVendor) -> None:
    """Structured: one tool with the schema as input_schema, forced; its input is the output."""
    vendor.queue(Reply.json({"name": "alice", "traits": ["kind"]}))
    client = LLMClient(anthropic(vendor), max_retries=0)
    result = await client.complete_structured(REQUEST, Card)
    await client.aclose()
    assert result.value == Card(name="alice", traits=["kind"])
    assert json.loads(result.completion.text) == {"name": "alice", "traits": ["kind"]}
    body = vendor.requests[0].body
    assert body["tools"] == [
        {
            "name": "Card",
            "description": "Record the Card output. Call it exactly once.",
            "input_schema": Card.model_json_schema(),
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "Card"}


async def test_wrong_tool_input_is_repaired(vendor: FakeVendor) -> None:
    """A tool input of the wrong shape gets one repair turn, then validates."""
    vendor.queue(Reply.json({"name": "alice"}), Reply.json({"name": "alice", "traits": []}))
    client = LLMClient(anthropic(vendor), max_retries=0)
    result = await client.complete_structured(REQUEST, Card)
    await client.aclose()
    assert result.value == Card(name="alice", traits=[]) and result.attempts == 2
    roles = [m["role"] for m in vendor.requests[1].body["messages"]]
    assert roles == ["user", "assistant", "user"]


async def test_stream_text_and_usage(vendor: FakeVendor) -> None:
    """Streaming: text_delta pieces in order; usage from message_start and message_delta."""
    vendor.queue(Reply.stream("Alice ", "is ", "kind."))
    provider = anthropic(vendor)
    chunks = [c async for c in provider.stream(REQUEST)]
    await provider.aclose()
    assert vendor.requests[0].body["stream"] is True
    assert "".join(c.text for c in chunks) == "Alice is kind."
    assert chunks[-1].done and chunks[-1].usage == Usage(input_tokens=4, output_tokens=3)


async def test_stream_structured_yields_the_tool_json(vendor: FakeVendor) -> None:
    """Streaming a structured request yields the tool input's JSON (input_json_delta)."""
    vendor.queue(Reply.json({"name": "bob", "traits": []}))
    provider = anthropic(vendor)
    request = CompletionRequest(
        model="claude-test",
        messages=REQUEST.messages,
        json_schema=Card.model_json_schema(),
        schema_name="Card",
    )
    text = "".join([c.text async for c in provider.stream(request)])
    await provider.aclose()
    assert json.loads(text) == {"name": "bob", "traits": []}


async def test_overloaded_is_retryable(vendor: FakeVendor) -> None:
    """529 overloaded maps to a retryable LLMError; the client retries it."""
    vendor.queue(Reply.error(529, message="Overloaded"), Reply.raw("fine"))
    client = LLMClient(anthropic(vendor), max_retries=1, backoff_base=0.01)
    completion = await client.complete(REQUEST)
    await client.aclose()
    assert completion.text == "fine" and len(vendor.requests) == 2
    provider = anthropic(vendor)
    vendor.queue(Reply.error(529, message="Overloaded"))
    try:
        await provider.complete(REQUEST)
    except LLMError as exc:
        assert exc.retryable and exc.status == 529 and "Overloaded" in str(exc)
    else:
        raise AssertionError("529 did not raise")
    finally:
        await provider.aclose()
