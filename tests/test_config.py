"""The settings tree: names, precedence (env > .env > config.toml > defaults), fail-fast errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from src.config import SECTIONS, ConfigurationError, Settings


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    toml, dotenv = tmp_path / "config.toml", tmp_path / ".env"
    monkeypatch.setenv("HONCHO_CONFIG_FILE", str(toml))
    monkeypatch.setenv("HONCHO_ENV_FILE", str(dotenv))
    prefixes = ("LOG_", "DB_", "AUTH_", "LLM_", "DERIVER_", "SUMMARY_", "PEER_CARD_", "API_")
    for key in [k for k in os.environ if k.startswith(prefixes)]:
        monkeypatch.delenv(key, raising=False)
    yield toml, dotenv


def test_defaults(files: tuple[Path, Path]) -> None:
    """With nothing configured: embedded database, auth off, spec defaults."""
    s = Settings()
    assert s.db.CONNECTION_URI is None and s.auth.USE_AUTH is False
    assert s.app.LOG_LEVEL == "INFO" and s.db.POOL_SIZE == 20 and s.deriver.WORKERS == 1
    assert s.app.MAX_MESSAGE_SIZE == 25_000 and s.app.SESSION_OBSERVERS_LIMIT == 10


def test_precedence(files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """config.toml < .env < the real environment, key by key."""
    toml, dotenv = files
    toml.write_text('[app]\nLOG_LEVEL = "ERROR"\n[db]\nPOOL_SIZE = 3\n[deriver]\nWORKERS = 4\n')
    dotenv.write_text("DB_POOL_SIZE=5\nDERIVER_WORKERS=6\n")
    monkeypatch.setenv("DERIVER_WORKERS", "7")
    s = Settings()
    assert s.app.LOG_LEVEL == "ERROR"  # only in TOML
    assert s.db.POOL_SIZE == 5  # .env beats TOML
    assert s.deriver.WORKERS == 7  # environment beats .env


def test_contradictions_fail_with_readable_message(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Startup refuses contradictory configuration and names every offending setting."""
    monkeypatch.setenv("AUTH_USE_AUTH", "true")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    monkeypatch.setenv("DB_POOL_SIZE", "zero")
    with pytest.raises(ConfigurationError) as info:
        Settings()
    text = str(info.value)
    assert "AUTH_JWT_SECRET" in text and "generate_jwt_secret" in text
    assert "LOG_LEVEL" in text
    assert "DB_POOL_SIZE" in text


def test_templates_list_exactly_the_settings_the_code_knows() -> None:
    """config.toml.example and .env.template name every setting, and nothing else."""
    import re

    from tests.support import PROJECT_ROOT

    toml_text = (PROJECT_ROOT / "config.toml.example").read_text()
    in_toml: set[tuple[str, str]] = set()
    section = ""
    for line in toml_text.splitlines():
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            section = header.group(1)
            continue
        key = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)\s*=", line)
        if key:
            in_toml.add((section, key.group(1)))
    env_text = (PROJECT_ROOT / ".env.template").read_text()
    in_env = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_text, flags=re.M))

    expected_toml = {(name, key) for name, cls in SECTIONS.items() for key in cls.model_fields}
    expected_env = {
        f"{cls.model_config.get('env_prefix', '')}{key}"
        for cls in SECTIONS.values()
        for key in cls.model_fields
    }
    assert in_toml == expected_toml
    assert in_env == expected_env


def test_example_config_loads_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example file is valid TOML whose values are the code's defaults."""
    from tests.support import PROJECT_ROOT

    monkeypatch.setenv("HONCHO_CONFIG_FILE", str(PROJECT_ROOT / "config.toml.example"))
    monkeypatch.setenv("HONCHO_ENV_FILE", "/nonexistent/.env")
    from_example = Settings()
    monkeypatch.setenv("HONCHO_CONFIG_FILE", "/nonexistent/config.toml")
    defaults = Settings()
    for name in SECTIONS:
        assert getattr(from_example, name) == getattr(defaults, name)


def test_llm_choices_fail_fast(files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider chosen without its key, or a custom endpoint without a model, stops startup;
    with nothing configured, derivation is simply off."""
    assert Settings().component_llm("deriver") is None
    monkeypatch.setenv("DERIVER_PROVIDER", "anthropic")
    monkeypatch.setenv("LLM_EMBEDDING_PROVIDER", "custom")
    with pytest.raises(ConfigurationError) as info:
        Settings()
    text = str(info.value)
    assert "LLM_ANTHROPIC_API_KEY" in text and "LLM_EMBEDDING_MODEL" in text
    monkeypatch.setenv("LLM_ANTHROPIC_API_KEY", "k")
    monkeypatch.setenv("LLM_EMBEDDING_PROVIDER", "none")
    chosen = Settings().component_llm("deriver")
    assert chosen is not None and (chosen.provider, chosen.model) == (
        "anthropic",
        "claude-haiku-4-5",
    )
    monkeypatch.setenv("LLM_OPENAI_COMPATIBLE_BASE_URL", "http://localhost:11434/v1")
    with pytest.raises(ConfigurationError, match="LLM_OPENAI_COMPATIBLE_MODEL"):
        Settings()
