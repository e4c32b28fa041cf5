"""Gemini embeddings (`batchEmbedContents`, at most 100 texts per request)."""

from __future__ import annotations

from typing import Any

import httpx

from src.embeddings.remote import RemoteEmbedder

DEFAULT_GEMINI_MODEL = "gemini-embedding-001"


class GeminiEmbedder(RemoteEmbedder):
    # The API refuses larger batches, whatever LLM_EMBEDDING_BATCH_SIZE says.
    max_batch = 100

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str = DEFAULT_GEMINI_MODEL,
        dimensions: int,
        batch_size: int,
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = "gemini"
        self.model = model.removeprefix("models/")
        self.url = f"{base_url.rstrip('/')}/v1beta/models/{self.model}:batchEmbedContents"
        super().__init__(
            dimensions=dimensions,
            batch_size=batch_size,
            headers={"x-goog-api-key": api_key},
            timeout_seconds=timeout_seconds,
            connect_timeout_seconds=connect_timeout_seconds,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            transport=transport,
        )

    def body(self, texts: list[str]) -> dict[str, Any]:
        return {
            "requests": [
                {
                    "model": f"models/{self.model}",
                    "content": {"parts": [{"text": text}]},
                    "outputDimensionality": self.dimensions,
                }
                for text in texts
            ]
        }

    def vectors(self, data: dict[str, Any]) -> list[list[float]]:
        # Below 3072 dimensions Gemini's vectors are not unit length; RemoteEmbedder normalises.
        return [list(item["values"]) for item in data["embeddings"]]
