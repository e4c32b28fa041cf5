"""Fakes for tests. `FakeVendor`: scripted OpenAI / Anthropic / Gemini HTTP APIs on 127.0.0.1."""

from tests.fakes.embedding import cosine, hashed_embedding
from tests.fakes.script import RecordedRequest, Reply
from tests.fakes.vendor import FakeVendor, fake_vendor, start_fake_vendor

__all__ = [
    "FakeVendor",
    "RecordedRequest",
    "Reply",
    "cosine",
    "fake_vendor",
    "hashed_embedding",
    "start_fake_vendor",
]
