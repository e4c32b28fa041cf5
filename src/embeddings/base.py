"""The `Embedder` protocol. Implementations batch internally (at most the configured batch size
per request), apply a timeout to every call, retry 429/5xx with backoff, and return one vector of
exactly `dimensions` floats per input text, in input order."""

from __future__ import annotations

from typing import Protocol


class EmbeddingError(Exception):
    def __init__(self, message: str, *, provider: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable


class Embedder(Protocol):
    name: str
    model: str
    dimensions: int

    async def embed(self, texts: list[str]) -> list[list[float]]: ...

    async def aclose(self) -> None: ...
