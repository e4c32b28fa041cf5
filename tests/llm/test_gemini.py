"""Google Gemini generateContent / streamGenerateContent provider, over real HTTP."""

from __future__ import annotations

import pydantic

from src.llm.base import ChatMessage, CompletionRequest, Usage
from src.llm.client import LLMClient
from src.llm.gemini import GeminiProvider
from tests.fakes import FakeVendor, Reply


class Topic(pydantic.BaseModel):
    topic: str


REQUEST = CompletionRequest(
    model="gemini-test",
    system="Answer in one word.",
    messages=[
        ChatMessage("user", "what is this about"),
        ChatMessage("assistant", "cats"),
        ChatMessage("user", "again"),
    ],
    max_tokens=64,
    temperature=0.0,
)


def gemini(vendor: FakeVendor) -> GeminiProvider:
    return GeminiProvider(base_url=vendor.base_url, api_key="gk-test")


async def test_request_shape_and_parsing(vendor: FakeVendor) -> None:
    """generateContent: x-goog-api-key, roles user/model, systemInstruction, generationConfig."""
    vendor.queue(Reply.raw("cats"))
    provider = gemini(vendor)
    completion = await provider.complete(REQUEST)
    await provider.aclose()
    (rec,) = vendor.requests
    assert rec.path == "/v1beta/models/gemini-test:generateContent"
    assert rec.headers["x-goog-api-key"] == "gk-test"
    assert rec.body["contents"] == [
        {"role": "user", "parts": [{"text": "what is this about"}]},
        {"role": "model", "parts": [{"text": "cats"}]},
        {"role": "user", "parts": [{"text": "again"}]},
    ]
    assert rec.body["systemInstruction"] == {"parts": [{"text": "Answer in one word."}]}
    assert rec.body["generationConfig"] == {"maxOutputTokens": 64, "temperature": 0.0}
    assert completion.text == "cats" and completion.provider == "google"
    assert completion.usage == Usage(input_tokens=10, output_tokens=1)


async def test_structured_output(vendor: FakeVendor) -> None:
    """Structured: responseMimeType application/json plus responseJsonSchema; JSON parsed."""
    vendor.queue(Reply.json({"topic": "cats"}))
    client = LLMClient(gemini(vendor), max_retries=0)
    result = await client.complete_structured(REQUEST, Topic)
    await client.aclose()
    config = vendor.requests[0].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == Topic.model_json_schema()
    assert result.value == Topic(topic="cats")


async def test_stream(vendor: FakeVendor) -> None:
    """streamGenerateContent?alt=sse: text pieces in order, usage from the last usageMetadata."""
    vendor.queue(Reply.stream("big ", "fluffy ", "cats"))
    provider = gemini(vendor)
    chunks = [c async for c in provider.stream(REQUEST)]
    await provider.aclose()
    rec = vendor.requests[0]
    assert rec.path == "/v1beta/models/gemini-test:streamGenerateContent"
    assert rec.query == {"alt": "sse"}
    assert [c.text for c in chunks if not c.done] == ["big ", "fluffy ", "cats"]
    assert chunks[-1].done and chunks[-1].usage == Usage(input_tokens=10, output_tokens=3)
