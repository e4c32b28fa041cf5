"""OpenAI Chat Completions and OpenAI-compatible ("custom") servers, over real HTTP."""

from __future__ import annotations

import json
import logging

import pydantic
import pytest

from src.llm.base import ChatMessage, CompletionRequest, LLMError, Usage
from src.llm.client import LLMClient
from src.llm.openai import OpenAIProvider, StructuredMode
from tests.fakes import FakeVendor, RecordedRequest, Reply


class Facts(pydantic.BaseModel):
    facts: list[str]


def openai(vendor: FakeVendor) -> OpenAIProvider:
    return OpenAIProvider(name="openai", base_url=vendor.openai_base_url, api_key="sk-test")


def custom(vendor: FakeVendor, mode: StructuredMode) -> OpenAIProvider:
    return OpenAIProvider(
        name="custom", base_url=vendor.openai_base_url, api_key=None, structured_output=mode
    )


REQUEST = CompletionRequest(
    model="gpt-test",
    system="You are terse.",
    messages=[
        ChatMessage("user", "hello there"),
        ChatMessage("assistant", "hi"),
        ChatMessage("user", "say ok"),
    ],
    max_tokens=50,
    temperature=0.2,
)


async def test_request_shape_and_parsing(vendor: FakeVendor) -> None:
    """OpenAI: bearer key, system first, max_completion_tokens, temperature; text and usage read."""
    vendor.queue(Reply.raw("ok then"))
    provider = openai(vendor)
    completion = await provider.complete(REQUEST)
    await provider.aclose()
    (rec,) = vendor.requests
    assert rec.path == "/v1/chat/completions"
    assert rec.headers["authorization"] == "Bearer sk-test"
    assert rec.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "say ok"},
    ]
    assert rec.body["max_completion_tokens"] == 50 and "max_tokens" not in rec.body
    assert rec.body["temperature"] == 0.2 and "response_format" not in rec.body
    assert completion.text == "ok then" and completion.provider == "openai"
    assert completion.usage == Usage(input_tokens=8, output_tokens=2)


async def test_custom_sends_max_tokens_and_no_key(vendor: FakeVendor) -> None:
    """custom: `max_tokens` (what compatible servers know), no Authorization without a key."""
    provider = custom(vendor, "json_schema")
    await provider.complete(REQUEST)
    await provider.aclose()
    (rec,) = vendor.requests
    assert rec.body["max_tokens"] == 50 and "authorization" not in rec.headers


async def test_json_schema_mode(vendor: FakeVendor) -> None:
    """json_schema mode: response_format carries name, schema and strict=false; JSON parsed."""
    vendor.queue(Reply.json({"facts": ["a"]}))
    client = LLMClient(openai(vendor), max_retries=0)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.value == Facts(facts=["a"]) and result.attempts == 1
    fmt = vendor.requests[0].body["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "Facts", "schema": Facts.model_json_schema(), "strict": False},
    }
    assert vendor.requests[0].system == "You are terse."


async def test_json_object_mode(vendor: FakeVendor) -> None:
    """json_object mode: JSON mode plus the schema in the system prompt."""
    vendor.queue(Reply.json({"facts": []}))
    client = LLMClient(custom(vendor, "json_object"), max_retries=0)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    rec = vendor.requests[0]
    assert result.value == Facts(facts=[])
    assert rec.body["response_format"] == {"type": "json_object"}
    assert rec.system.startswith("You are terse.\n\n")
    assert json.dumps(Facts.model_json_schema(), separators=(",", ":")) in rec.system


async def test_prompt_mode(vendor: FakeVendor) -> None:
    """prompt mode: no response_format at all; the schema is only in the system prompt."""
    vendor.queue(Reply.json({"facts": ["x"]}))
    client = LLMClient(custom(vendor, "prompt"), max_retries=0)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    rec = vendor.requests[0]
    assert result.value == Facts(facts=["x"]) and "response_format" not in rec.body
    assert "JSON schema" in rec.system and '"facts"' in rec.system


async def test_rejected_response_format_falls_back_to_prompt_mode(
    vendor: FakeVendor, caplog: pytest.LogCaptureFixture
) -> None:
    """A 4xx on response_format: asked again in prompt mode, which sticks; one WARNING."""

    def handler(rec: RecordedRequest) -> Reply:
        if "response_format" in rec.body:
            return Reply.error(400, message="response_format is not supported")
        return Reply.json({"facts": ["ok"]})

    vendor.on_chat(handler)
    client = LLMClient(custom(vendor, "json_schema"), max_retries=3)
    with caplog.at_level(logging.WARNING, logger="src.llm.openai"):
        first = await client.complete_structured(REQUEST, Facts)
        second = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert first.value == second.value == Facts(facts=["ok"])
    bodies = [r.body for r in vendor.requests]
    assert ["response_format" in b for b in bodies] == [True, False, False]
    assert "JSON schema" in vendor.requests[2].system
    warnings = [r for r in caplog.records if "rejected response_format" in r.getMessage()]
    assert len(warnings) == 1


async def test_format_500_from_llama_cpp_falls_back_to_prompt_mode(vendor: FakeVendor) -> None:
    """A 500 blaming the output format (llama.cpp JSON mode) also switches to prompt mode."""

    def handler(rec: RecordedRequest) -> Reply:
        if "response_format" in rec.body:
            message = "The model produced output that does not match the expected peg-native format"
            return Reply.error(500, message=message)
        return Reply.json({"facts": ["ok"]})

    vendor.on_chat(handler)
    client = LLMClient(custom(vendor, "json_object"), max_retries=3, backoff_base=0.01)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.value == Facts(facts=["ok"])
    assert ["response_format" in r.body for r in vendor.requests] == [True, False]


async def test_plain_500_keeps_the_mode(vendor: FakeVendor) -> None:
    """An ordinary 500 is retried as is: response_format stays, no fallback."""
    vendor.queue(Reply.error(500, message="internal error"), Reply.json({"facts": []}))
    client = LLMClient(custom(vendor, "json_schema"), max_retries=1, backoff_base=0.01)
    await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert ["response_format" in r.body for r in vendor.requests] == [True, True]


async def test_json_in_reasoning_content_with_empty_content(vendor: FakeVendor) -> None:
    """Empty content with the JSON in reasoning_content (reasoning models): still parsed."""
    vendor.queue(Reply.raw("", reasoning='Thinking... {"facts": ["r"]}'))
    client = LLMClient(custom(vendor, "json_schema"), max_retries=0)
    result = await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert result.value == Facts(facts=["r"]) and result.attempts == 1


async def test_auth_errors_do_not_trigger_the_fallback(vendor: FakeVendor) -> None:
    """A 401 is not read as a response_format rejection: raised as is, nothing retried."""
    vendor.queue(Reply.error(401, message="bad key"))
    client = LLMClient(custom(vendor, "json_schema"), max_retries=3)
    with pytest.raises(LLMError) as info:
        await client.complete_structured(REQUEST, Facts)
    await client.aclose()
    assert "401" in str(info.value) and "bad key" in str(info.value)
    assert len(vendor.requests) == 1


async def test_stream(vendor: FakeVendor) -> None:
    """Streaming: SSE deltas in order, then usage (stream_options.include_usage is sent)."""
    vendor.queue(Reply.stream("one ", "two ", "three"))
    provider = openai(vendor)
    chunks = [c async for c in provider.stream(REQUEST)]
    await provider.aclose()
    rec = vendor.requests[0]
    assert rec.body["stream"] is True
    assert rec.body["stream_options"] == {"include_usage": True}
    assert [c.text for c in chunks if not c.done] == ["one ", "two ", "three"]
    assert chunks[-1].done and chunks[-1].usage == Usage(input_tokens=8, output_tokens=3)
