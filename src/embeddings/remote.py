"""What the HTTP embedders share: batching, a timeout on every call, retries of 429/5xx/timeouts
with backoff (per batch call, never per text), and checking every vector's length."""

from __future__ import annotations

import asyncio
import logging
import math
from abc import ABC, abstractmethod
from typing import Any

import httpx

from src.embeddings.base import EmbeddingError
from src.llm.transport import (
    backoff_delay,
    error_detail,
    make_timeout,
    parse_retry_after,
    retryable_status,
)

logger = logging.getLogger(__name__)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


class RemoteEmbedder(ABC):
    """Subclasses set `name`, `model`, `url` and build bodies / read vectors."""

    name: str
    model: str
    url: str
    # The vendor's own limit on texts per request, if lower than the configured batch size.
    max_batch: int = 2048

    def __init__(
        self,
        *,
        dimensions: int,
        batch_size: int,
        headers: dict[str, str],
        timeout_seconds: float = 120.0,
        connect_timeout_seconds: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.dimensions = dimensions
        self.batch_size = max(1, min(batch_size, self.max_batch))
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._headers = headers
        self._timeout = make_timeout(timeout_seconds, connect_timeout_seconds)
        self._deadline = timeout_seconds + connect_timeout_seconds
        self._client = httpx.AsyncClient(timeout=self._timeout, transport=transport)

    @abstractmethod
    def body(self, texts: list[str]) -> dict[str, Any]:
        """The vendor's request body for one batch."""

    @abstractmethod
    def vectors(self, data: dict[str, Any]) -> list[list[float]]:
        """The vectors in the vendor's response, in input order."""

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector of `dimensions` floats per text, in input order."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            # Vendors refuse empty inputs; a blank embeds like nothing in particular.
            batch = [t if t else " " for t in texts[start : start + self.batch_size]]
            out.extend(await self._batch(batch))
        return out

    async def _batch(self, batch: list[str]) -> list[list[float]]:
        retry = 0
        while True:
            try:
                data = await self._post(self.body(batch))
            except _Retryable as exc:
                wait = exc.retry_after
                if retry >= self.max_retries or (wait is not None and wait > self.backoff_max):
                    raise EmbeddingError(str(exc), provider=self.name, retryable=True) from None
                if wait is None:
                    wait = backoff_delay(retry, self.backoff_base, self.backoff_max)
                logger.warning(
                    "%s embeddings failed (%s); retry %d/%d in %.1fs",
                    self.name,
                    exc,
                    retry + 1,
                    self.max_retries,
                    wait,
                )
                await asyncio.sleep(wait)
                retry += 1
                continue
            return self._check(data, len(batch))

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._client.post(
                    self.url, json=body, headers=self._headers, timeout=self._timeout
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise _Retryable(f"{self.name} embeddings request timed out", None) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise EmbeddingError(
                f"{self.name} embeddings URL {self.url!r} is not usable: {exc}", provider=self.name
            ) from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"{self.name} embeddings connection failed: {exc!r}", None) from exc
        if response.status_code >= 400:
            message = (
                f"{self.name} embeddings returned HTTP {response.status_code}: "
                f"{error_detail(response)}"
            )
            if retryable_status(response.status_code):
                raise _Retryable(message, parse_retry_after(response.headers))
            raise EmbeddingError(message, provider=self.name)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise EmbeddingError(
                f"{self.name} embeddings returned a body that is not a JSON object",
                provider=self.name,
            )
        return data

    def _check(self, data: dict[str, Any], expected: int) -> list[list[float]]:
        try:
            vectors = self.vectors(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbeddingError(
                f"{self.name} embeddings response has an unexpected shape: {exc!r}",
                provider=self.name,
            ) from None
        if len(vectors) != expected:
            raise EmbeddingError(
                f"{self.name} returned {len(vectors)} embeddings for {expected} texts",
                provider=self.name,
            )
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise EmbeddingError(
                    f"{self.name} model {self.model!r} returned vectors of {len(vector)} "
                    f"dimensions but LLM_EMBEDDING_DIMENSIONS is {self.dimensions}; set "
                    f"LLM_EMBEDDING_DIMENSIONS={len(vector)} or use a model that produces "
                    f"{self.dimensions}-dimensional vectors",
                    provider=self.name,
                )
        return [normalise([float(x) for x in v]) for v in vectors]

    async def aclose(self) -> None:
        await self._client.aclose()
