"""Settings built from a clean environment plus the variables a test names."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from src.config import Settings, reset_settings

_PREFIXES = ("LLM_", "DERIVER_", "SUMMARY_", "PEER_CARD_")


def settings_factory(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """`make(LLM_OPENAI_API_KEY="k", ...)` -> Settings, ignoring the machine's own LLM_* etc."""
    monkeypatch.setenv("HONCHO_CONFIG_FILE", "/nonexistent/config.toml")
    monkeypatch.setenv("HONCHO_ENV_FILE", "/nonexistent/.env")
    for key in list(os.environ):
        if key.startswith(_PREFIXES):
            monkeypatch.delenv(key)

    def make(**env: str) -> Settings:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_settings()
        return Settings()

    return make
