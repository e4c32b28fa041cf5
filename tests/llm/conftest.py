"""A fake vendor on a loopback port for the LLM tests, reset between tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from src.config import Settings
from src.llm.openai import reset_fallbacks
from tests.fakes import FakeVendor, start_fake_vendor
from tests.fakes.settings import settings_factory


@pytest.fixture(scope="module")
def _vendor_server() -> Iterator[FakeVendor]:
    with start_fake_vendor() as vendor:
        yield vendor


@pytest.fixture
def vendor(_vendor_server: FakeVendor) -> Iterator[FakeVendor]:
    _vendor_server.reset()
    reset_fallbacks()
    yield _vendor_server
    _vendor_server.reset()
    reset_fallbacks()


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    return settings_factory(monkeypatch)
