"""Remote embedders (OpenAI, OpenAI-compatible, Gemini) over real HTTP, and provider selection."""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from src.config import ConfigurationError, Settings
from src.embeddings.base import EmbeddingError
from src.embeddings.gemini import GeminiEmbedder
from src.embeddings.openai import OpenAIEmbedder
from src.embeddings.registry import embedder_for
from tests.fakes import FakeVendor, Reply, cosine, start_fake_vendor
from tests.fakes.settings import settings_factory

MakeSettings = Callable[..., Settings]


@pytest.fixture(scope="module")
def _vendor_server() -> Iterator[FakeVendor]:
    with start_fake_vendor() as vendor:
        yield vendor


@pytest.fixture
def vendor(_vendor_server: FakeVendor) -> Iterator[FakeVendor]:
    _vendor_server.reset()
    yield _vendor_server
    _vendor_server.reset()


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> MakeSettings:
    return settings_factory(monkeypatch)


def openai_settings(make_settings: MakeSettings, vendor: FakeVendor, **env: str) -> Settings:
    return make_settings(
        LLM_OPENAI_API_KEY="sk-test", LLM_OPENAI_BASE_URL=vendor.openai_base_url, **env
    )


async def test_openai_request_shape_and_vectors(
    make_settings: MakeSettings, vendor: FakeVendor
) -> None:
    """OpenAI: bearer key, default model, `dimensions` sent; unit vectors in input order."""
    embedder = embedder_for(openai_settings(make_settings, vendor, LLM_EMBEDDING_DIMENSIONS="64"))
    assert isinstance(embedder, OpenAIEmbedder)
    texts = ["the cat sat on the mat", "a cat sat on a mat", "quarterly revenue grew"]
    vectors = await embedder.embed(texts)
    await embedder.aclose()
    (rec,) = vendor.requests
    assert rec.path == "/v1/embeddings" and rec.headers["authorization"] == "Bearer sk-test"
    assert rec.body == {"model": "text-embedding-3-small", "input": texts, "dimensions": 64}
    assert all(len(v) == 64 and math.isclose(sum(x * x for x in v), 1.0) for v in vectors)
    assert cosine(vectors[0], vectors[1]) > 0.5 > abs(cosine(vectors[0], vectors[2]))


async def test_batching(make_settings: MakeSettings, vendor: FakeVendor) -> None:
    """3 texts with LLM_EMBEDDING_BATCH_SIZE=2: 2 calls of 2 and 1 texts, order kept."""
    settings = openai_settings(
        make_settings, vendor, LLM_EMBEDDING_BATCH_SIZE="2", LLM_EMBEDDING_DIMENSIONS="32"
    )
    embedder = embedder_for(settings)
    assert embedder is not None
    vectors = await embedder.embed(["one", "two", "three"])
    await embedder.aclose()
    assert [r.body["input"] for r in vendor.requests] == [["one", "two"], ["three"]]
    alone = OpenAIEmbedder(
        base_url=vendor.openai_base_url,
        api_key="k",
        model="text-embedding-3-small",
        dimensions=32,
        batch_size=10,
    )
    assert vectors == await alone.embed(["one", "two", "three"])
    await alone.aclose()


async def test_dimension_mismatch_names_the_setting(
    make_settings: MakeSettings, vendor: FakeVendor
) -> None:
    """Vectors of the wrong length: non-retryable EmbeddingError naming LLM_EMBEDDING_DIMENSIONS."""
    vendor.embedding_dimensions = 8
    embedder = embedder_for(openai_settings(make_settings, vendor, LLM_EMBEDDING_DIMENSIONS="64"))
    assert embedder is not None
    with pytest.raises(EmbeddingError) as info:
        await embedder.embed(["hello"])
    await embedder.aclose()
    assert not info.value.retryable
    assert "LLM_EMBEDDING_DIMENSIONS" in str(info.value) and "8" in str(info.value)


async def test_custom_needs_a_model_and_omits_dimensions(
    make_settings: MakeSettings, vendor: FakeVendor
) -> None:
    """custom: LLM_EMBEDDING_MODEL required; `dimensions` only for text-embedding-3 models."""
    base = {
        "LLM_EMBEDDING_PROVIDER": "custom",
        "LLM_OPENAI_COMPATIBLE_BASE_URL": vendor.openai_base_url,
        "LLM_OPENAI_COMPATIBLE_MODEL": "llama",
    }
    with pytest.raises(ConfigurationError, match="LLM_EMBEDDING_MODEL"):
        embedder_for(make_settings(**base))
    settings = make_settings(
        **base, LLM_EMBEDDING_MODEL="nomic-embed-text", LLM_EMBEDDING_DIMENSIONS="768"
    )
    embedder = embedder_for(settings)
    assert isinstance(embedder, OpenAIEmbedder) and embedder.name == "custom"
    vendor.embedding_dimensions = 768
    assert len((await embedder.embed(["hi"]))[0]) == 768
    await embedder.aclose()
    (rec,) = vendor.requests
    assert rec.body == {"model": "nomic-embed-text", "input": ["hi"]}
    assert "authorization" not in rec.headers


async def test_gemini_request_shape(make_settings: MakeSettings, vendor: FakeVendor) -> None:
    """Gemini: batchEmbedContents with outputDimensionality, x-goog-api-key, default model."""
    settings = make_settings(
        LLM_GEMINI_API_KEY="gk", LLM_GEMINI_BASE_URL=vendor.base_url, LLM_EMBEDDING_DIMENSIONS="48"
    )
    embedder = embedder_for(settings)
    assert isinstance(embedder, GeminiEmbedder)
    vectors = await embedder.embed(["alpha beta", "gamma"])
    await embedder.aclose()
    (rec,) = vendor.requests
    assert rec.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert rec.headers["x-goog-api-key"] == "gk"
    assert rec.body["requests"][0] == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "alpha beta"}]},
        "outputDimensionality": 48,
    }
    assert [len(v) for v in vectors] == [48, 48]
    assert (
        GeminiEmbedder(base_url="http://x", api_key="k", dimensions=8, batch_size=500).batch_size
        == 100
    )


async def test_429_then_success_and_500s_exhausting(vendor: FakeVendor) -> None:
    """429 with Retry-After is retried (2 calls); persistent 500s end in a retryable error."""
    embedder = OpenAIEmbedder(
        base_url=vendor.openai_base_url,
        api_key="k",
        model="text-embedding-3-small",
        dimensions=16,
        batch_size=8,
        max_retries=2,
        backoff_base=0.01,
    )
    vendor.queue_embeddings(Reply.error(429, retry_after=0))
    assert len(await embedder.embed(["x"])) == 1
    assert len(vendor.requests) == 2
    vendor.reset()
    vendor.on_embeddings(lambda rec: Reply.error(500))
    with pytest.raises(EmbeddingError) as info:
        await embedder.embed(["x"])
    await embedder.aclose()
    assert info.value.retryable and "500" in str(info.value) and len(vendor.requests) == 3


async def test_hanging_server_hits_the_timeout(vendor: FakeVendor) -> None:
    """A server that never answers: the call times out (and is retried) instead of hanging."""
    embedder = OpenAIEmbedder(
        base_url=vendor.openai_base_url,
        api_key="k",
        model="m",
        dimensions=16,
        batch_size=8,
        timeout_seconds=0.3,
        max_retries=1,
        backoff_base=0.01,
    )
    vendor.on_embeddings(lambda rec: Reply.hang(30))
    with pytest.raises(EmbeddingError, match="timed out") as info:
        await embedder.embed(["x"])
    await embedder.aclose()
    assert info.value.retryable and len(vendor.requests) == 2


def test_auto_selection(make_settings: MakeSettings) -> None:
    """auto: OpenAI if its key is set, else Gemini if its key is set, else none."""
    assert embedder_for(make_settings()) is None
    assert isinstance(embedder_for(make_settings(LLM_GEMINI_API_KEY="g")), GeminiEmbedder)
    both = embedder_for(make_settings(LLM_GEMINI_API_KEY="g", LLM_OPENAI_API_KEY="o"))
    assert isinstance(both, OpenAIEmbedder) and both.model == "text-embedding-3-small"
    assert embedder_for(make_settings(LLM_EMBEDDING_PROVIDER="none")) is None


def test_local_is_imported_lazily(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """local: src.embeddings.local.LocalEmbedder built with the model dir, dimensions, batch."""
    made: list[dict[str, Any]] = []

    class FakeLocal:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

    module = types.ModuleType("src.embeddings.local")
    module.LocalEmbedder = FakeLocal  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "src.embeddings.local", module)
    settings = make_settings(
        LLM_EMBEDDING_PROVIDER="local",
        LLM_EMBEDDING_LOCAL_MODEL_DIR=str(tmp_path),
        LLM_EMBEDDING_DIMENSIONS="384",
        LLM_EMBEDDING_BATCH_SIZE="16",
    )
    assert isinstance(embedder_for(settings), FakeLocal)
    assert made == [{"model_dir": tmp_path, "dimensions": 384, "batch_size": 16}]
