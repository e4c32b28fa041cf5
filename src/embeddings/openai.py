"""OpenAI embeddings (`POST {base}/embeddings`), for OpenAI and OpenAI-compatible servers."""

from __future__ import annotations

from typing import Any

import httpx

from src.embeddings.remote import RemoteEmbedder

DEFAULT_OPENAI_MODEL = "text-embedding-3-small"


class OpenAIEmbedder(RemoteEmbedder):
    def __init__(
        self,
        *,
        name: str = "openai",
        base_url: str,
        api_key: str | None,
        model: str,
        dimensions: int,
        batch_size: int,
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.url = f"{base_url.rstrip('/')}/embeddings"
        # Only the text-embedding-3 family can shorten its vectors on request.
        self.send_dimensions = model.startswith("text-embedding-3")
        super().__init__(
            dimensions=dimensions,
            batch_size=batch_size,
            headers={"authorization": f"Bearer {api_key}"} if api_key else {},
            timeout_seconds=timeout_seconds,
            connect_timeout_seconds=connect_timeout_seconds,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            transport=transport,
        )

    def body(self, texts: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "input": texts}
        if self.send_dimensions:
            body["dimensions"] = self.dimensions
        return body

    def vectors(self, data: dict[str, Any]) -> list[list[float]]:
        items = sorted(data["data"], key=lambda item: int(item.get("index", 0)))
        return [list(item["embedding"]) for item in items]
