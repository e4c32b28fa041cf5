"""Providers and clients built from settings (env vars), and used against the fake vendor."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from src.config import ConfigurationError, Settings
from src.llm.anthropic import AnthropicProvider
from src.llm.base import ChatMessage, CompletionRequest, LLMError
from src.llm.gemini import GeminiProvider
from src.llm.openai import OpenAIProvider
from src.llm.registry import build_provider, llm_for
from tests.fakes import FakeVendor, Reply

MakeSettings = Callable[..., Settings]


def test_build_each_provider(make_settings: MakeSettings) -> None:
    """Each name (and alias) builds its provider with the configured base URL and mode."""
    settings = make_settings(
        LLM_OPENAI_API_KEY="o",
        LLM_ANTHROPIC_API_KEY="a",
        LLM_GEMINI_API_KEY="g",
        LLM_OPENAI_COMPATIBLE_BASE_URL="http://127.0.0.1:9/v1",
        LLM_OPENAI_COMPATIBLE_MODEL="llama",
        LLM_OPENAI_COMPATIBLE_STRUCTURED_OUTPUT="json_object",
    )
    openai = build_provider(settings, "openai")
    assert isinstance(openai, OpenAIProvider) and openai.base_url == "https://api.openai.com/v1"
    assert openai.structured_output == "json_schema"
    custom = build_provider(settings, "vllm")
    assert isinstance(custom, OpenAIProvider) and custom.name == "custom"
    assert custom.base_url == "http://127.0.0.1:9/v1" and custom.structured_output == "json_object"
    assert isinstance(build_provider(settings, "anthropic"), AnthropicProvider)
    assert isinstance(build_provider(settings, "gemini"), GeminiProvider)
    with pytest.raises(ConfigurationError, match="unknown LLM provider"):
        build_provider(settings, "mystery")


def test_missing_key_names_the_setting(make_settings: MakeSettings) -> None:
    """Building a provider without its key fails naming the setting to set."""
    settings = make_settings()
    with pytest.raises(ConfigurationError, match="LLM_ANTHROPIC_API_KEY"):
        build_provider(settings, "anthropic")


def test_llm_for_without_any_provider_is_none(make_settings: MakeSettings) -> None:
    """No provider configured: llm_for returns None (the component is simply off)."""
    assert llm_for(make_settings(), "deriver") is None


async def test_llm_for_uses_component_choice_and_timeouts(
    make_settings: MakeSettings, vendor: FakeVendor
) -> None:
    """llm_for: the component's provider and model, LLM_MAX_RETRIES and LLM_TIMEOUT_SECONDS."""
    settings = make_settings(
        LLM_OPENAI_COMPATIBLE_BASE_URL=vendor.openai_base_url,
        LLM_OPENAI_COMPATIBLE_MODEL="small-model",
        LLM_TIMEOUT_SECONDS="0.4",
        LLM_MAX_RETRIES="0",
        DERIVER_MAX_OUTPUT_TOKENS="123",
    )
    built = llm_for(settings, "deriver")
    assert built is not None
    client, choice = built
    assert (choice.provider, choice.model, choice.max_output_tokens) == (
        "custom",
        "small-model",
        123,
    )
    assert client.max_retries == 0
    request = CompletionRequest(model=choice.model, messages=[ChatMessage("user", "hi")])
    vendor.queue(Reply.raw("hello"), Reply.hang(10))
    assert (await client.complete(request)).text == "hello"
    with pytest.raises(LLMError, match="timed out"):
        await client.complete(request)
    await client.aclose()
    assert [r.body["model"] for r in vendor.requests] == ["small-model", "small-model"]
