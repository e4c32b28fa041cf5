"""The deriver tests' API (scripted LLM and embeddings at the fake vendor), for semantic query."""

from __future__ import annotations

from tests.deriver.conftest import api, derive_api, llm, vendor

__all__ = ["api", "derive_api", "llm", "vendor"]
