"""The local embedding provider against the real bundled all-MiniLM-L6-v2 model (no mocks)."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from src.embeddings.base import EmbeddingError
from src.embeddings.local import LocalEmbedder

DIMENSIONS = 384


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # Unit vectors: dot product.


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder(model_dir=None, dimensions=DIMENSIONS, batch_size=4)


async def test_bundled_model_has_384_dimensions(embedder: LocalEmbedder) -> None:
    """The bundled model yields one 384-float vector per text, in order, under its own name."""
    vectors = await embedder.embed(["hello", "world", ""])
    assert [len(v) for v in vectors] == [DIMENSIONS] * 3
    assert all(isinstance(x, float) for x in vectors[0])
    assert (embedder.name, embedder.model, embedder.dimensions) == (
        "local",
        "all-MiniLM-L6-v2",
        DIMENSIONS,
    )
    assert await embedder.embed([]) == []


async def test_vectors_are_unit_length(embedder: LocalEmbedder) -> None:
    """Every vector is normalised to length 1."""
    vectors = await embedder.embed(["a short text", "a much longer text " * 20, "Ünïcödé ✓"])
    for vector in vectors:
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


async def test_similar_meanings_are_closer(embedder: LocalEmbedder) -> None:
    """'I love my dog' is closer to 'My puppy makes me happy' than to a stock-market sentence."""
    dog, puppy, stocks = await embedder.embed(
        ["I love my dog", "My puppy makes me happy", "The stock market fell today"]
    )
    assert _cosine(dog, puppy) > _cosine(dog, stocks) + 0.2


async def test_batching_matches_a_single_call() -> None:
    """Splitting into batches of 3 gives the same vectors, in order, as one batch of all texts."""
    texts = [f"sentence number {i} about {topic}" for i, topic in enumerate(["cats", "tax"] * 5)]
    batched = LocalEmbedder(model_dir=None, dimensions=DIMENSIONS, batch_size=3)
    whole = LocalEmbedder(model_dir=None, dimensions=DIMENSIONS, batch_size=len(texts))
    try:
        got, expected = await batched.embed(texts), await whole.embed(texts)
    finally:
        await batched.aclose()
        await whole.aclose()
    assert len(got) == len(expected) == len(texts)
    for a, b in zip(got, expected, strict=True):
        assert a == pytest.approx(b, abs=1e-5)


async def test_wrong_dimension_setting_raises_named_error() -> None:
    """A dimension the model does not produce raises naming LLM_EMBEDDING_DIMENSIONS and 384."""
    wrong = LocalEmbedder(model_dir=None, dimensions=1536, batch_size=8)
    with pytest.raises(EmbeddingError) as caught:
        await wrong.embed(["hello"])
    message = str(caught.value)
    assert "LLM_EMBEDDING_DIMENSIONS" in message and "384" in message
    assert caught.value.provider == "local" and not caught.value.retryable
    with pytest.raises(EmbeddingError, match="LLM_EMBEDDING_DIMENSIONS"):
        await wrong.embed(["again"])  # The failed load is remembered, not retried.


async def test_event_loop_stays_responsive_while_encoding(embedder: LocalEmbedder) -> None:
    """Another coroutine keeps ticking on the event loop while a large batch is being encoded."""
    await embedder.load()  # Import and load first, so only encoding is measured.
    texts = [f"text {i}: " + "the quick brown fox jumps over the lazy dog " * 8 for i in range(160)]
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        vectors = await embedder.embed(texts)
    finally:
        done.set()
        await task
    elapsed = time.monotonic() - started
    assert len(vectors) == len(texts)
    gaps = [b - a for a, b in zip([started, *ticks], [*ticks, time.monotonic()], strict=True)]
    assert len(ticks) >= 5, f"only {len(ticks)} ticks in {elapsed:.2f}s of encoding"
    stall = max(gaps)
    assert stall < max(0.25, elapsed / 4), f"the loop stalled {stall:.2f}s of {elapsed:.2f}s"
