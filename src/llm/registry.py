"""Build providers and clients from the settings tree."""

from __future__ import annotations

from src.config import PROVIDER_ALIASES, ComponentLLM, ConfigurationError, Settings
from src.llm.anthropic import AnthropicProvider
from src.llm.base import LLMProvider
from src.llm.client import LLMClient
from src.llm.gemini import GeminiProvider
from src.llm.openai import OpenAIProvider


def _required(value: str | None, setting: str, provider: str) -> str:
    if not value:
        raise ConfigurationError(f"the {provider!r} LLM provider needs {setting}")
    return value


def build_provider(settings: Settings, provider: str) -> LLMProvider:
    """A provider for "openai", "anthropic", "google" or "custom" (aliases of config accepted)."""
    llm = settings.llm
    name = PROVIDER_ALIASES.get(provider.lower())
    timeout, connect = llm.TIMEOUT_SECONDS, llm.CONNECT_TIMEOUT_SECONDS
    if name == "openai":
        return OpenAIProvider(
            name="openai",
            base_url=llm.OPENAI_BASE_URL,
            api_key=_required(llm.OPENAI_API_KEY, "LLM_OPENAI_API_KEY", name),
            structured_output="json_schema",
            timeout_seconds=timeout,
            connect_timeout_seconds=connect,
        )
    if name == "custom":
        return OpenAIProvider(
            name="custom",
            base_url=_required(
                llm.OPENAI_COMPATIBLE_BASE_URL, "LLM_OPENAI_COMPATIBLE_BASE_URL", name
            ),
            api_key=llm.OPENAI_COMPATIBLE_API_KEY,
            structured_output=llm.OPENAI_COMPATIBLE_STRUCTURED_OUTPUT,
            timeout_seconds=timeout,
            connect_timeout_seconds=connect,
        )
    if name == "anthropic":
        return AnthropicProvider(
            base_url=llm.ANTHROPIC_BASE_URL,
            api_key=_required(llm.ANTHROPIC_API_KEY, "LLM_ANTHROPIC_API_KEY", name),
            timeout_seconds=timeout,
            connect_timeout_seconds=connect,
        )
    if name == "google":
        return GeminiProvider(
            base_url=llm.GEMINI_BASE_URL,
            api_key=_required(llm.GEMINI_API_KEY, "LLM_GEMINI_API_KEY", name),
            timeout_seconds=timeout,
            connect_timeout_seconds=connect,
        )
    raise ConfigurationError(
        f"unknown LLM provider {provider!r}; use one of anthropic, openai, google, custom"
    )


def llm_for(settings: Settings, component: str) -> tuple[LLMClient, ComponentLLM] | None:
    """The client and model choice for a component ("deriver", "summary", "peer_card"), or None
    when no LLM is configured for it. Each call builds a new client: close it with `aclose()`."""
    choice = settings.component_llm(component)
    if choice is None:
        return None
    client = LLMClient(
        build_provider(settings, choice.provider), max_retries=settings.llm.MAX_RETRIES
    )
    return client, choice
