"""Choose the embedder from LLM_EMBEDDING_PROVIDER."""

from __future__ import annotations

from src.config import ConfigurationError, Settings
from src.embeddings.base import Embedder
from src.embeddings.gemini import DEFAULT_GEMINI_MODEL, GeminiEmbedder
from src.embeddings.openai import DEFAULT_OPENAI_MODEL, OpenAIEmbedder


def resolve_provider(settings: Settings) -> str | None:
    """ "openai", "custom", "gemini", "local", or None for no embeddings.

    `auto`: OpenAI when LLM_OPENAI_API_KEY is set, else Gemini when LLM_GEMINI_API_KEY is set.
    """
    choice = settings.llm.EMBEDDING_PROVIDER
    if choice == "auto":
        if settings.llm.OPENAI_API_KEY:
            return "openai"
        if settings.llm.GEMINI_API_KEY:
            return "gemini"
        return None
    if choice == "none":
        return None
    return "gemini" if choice == "google" else choice


def _required(value: str | None, setting: str, provider: str) -> str:
    if not value:
        raise ConfigurationError(f"LLM_EMBEDDING_PROVIDER is {provider!r} but {setting} is not set")
    return value


def embedder_for(settings: Settings) -> Embedder | None:
    """The configured embedder, or None when LLM_EMBEDDING_PROVIDER resolves to none.
    Each call builds a new one: close it with `aclose()`."""
    llm = settings.llm
    provider = resolve_provider(settings)
    if provider is None:
        return None
    if provider == "local":
        from src.embeddings.local import LocalEmbedder  # heavy; loaded only when chosen

        embedder: Embedder = LocalEmbedder(
            model_dir=llm.EMBEDDING_LOCAL_MODEL_DIR,
            dimensions=llm.EMBEDDING_DIMENSIONS,
            batch_size=llm.EMBEDDING_BATCH_SIZE,
        )
        return embedder
    if provider == "gemini":
        return GeminiEmbedder(
            base_url=llm.GEMINI_BASE_URL,
            api_key=_required(llm.GEMINI_API_KEY, "LLM_GEMINI_API_KEY", provider),
            model=llm.EMBEDDING_MODEL or DEFAULT_GEMINI_MODEL,
            dimensions=llm.EMBEDDING_DIMENSIONS,
            batch_size=llm.EMBEDDING_BATCH_SIZE,
            timeout_seconds=llm.TIMEOUT_SECONDS,
            connect_timeout_seconds=llm.CONNECT_TIMEOUT_SECONDS,
            max_retries=llm.MAX_RETRIES,
        )
    if provider == "openai":
        base_url = llm.OPENAI_BASE_URL
        api_key: str | None = _required(llm.OPENAI_API_KEY, "LLM_OPENAI_API_KEY", provider)
        model = llm.EMBEDDING_MODEL or DEFAULT_OPENAI_MODEL
    else:  # custom
        base_url = _required(
            llm.OPENAI_COMPATIBLE_BASE_URL, "LLM_OPENAI_COMPATIBLE_BASE_URL", provider
        )
        api_key = llm.OPENAI_COMPATIBLE_API_KEY
        model = _required(llm.EMBEDDING_MODEL, "LLM_EMBEDDING_MODEL", provider)
    return OpenAIEmbedder(
        name=provider,
        base_url=base_url,
        api_key=api_key,
        model=model,
        dimensions=llm.EMBEDDING_DIMENSIONS,
        batch_size=llm.EMBEDDING_BATCH_SIZE,
        timeout_seconds=llm.TIMEOUT_SECONDS,
        connect_timeout_seconds=llm.CONNECT_TIMEOUT_SECONDS,
        max_retries=llm.MAX_RETRIES,
    )
