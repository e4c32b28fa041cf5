"""Configuration objects of workspaces, sessions, messages and session memberships (spec §5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Nested(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DeriverConfiguration(_Nested):
    enabled: bool | None = None
    custom_instructions: str | None = None


class PeerCardConfiguration(_Nested):
    use: bool | None = None
    create: bool | None = None


class SummaryConfiguration(_Nested):
    enabled: bool | None = None
    messages_per_short_summary: int | None = Field(default=None, ge=10)
    messages_per_long_summary: int | None = Field(default=None, ge=20)

    @model_validator(mode="after")
    def _short_before_long(self) -> SummaryConfiguration:
        short, long = self.messages_per_short_summary, self.messages_per_long_summary
        if short is not None and long is not None and short >= long:
            raise ValueError(
                "messages_per_short_summary must be less than messages_per_long_summary"
            )
        return self


class DreamConfiguration(_Nested):
    enabled: bool | None = None


class WorkspaceConfiguration(BaseModel):
    """Typed where the server reads it; unknown top-level keys are kept verbatim."""

    model_config = ConfigDict(extra="allow")

    deriver: DeriverConfiguration | None = None
    peer_card: PeerCardConfiguration | None = None
    summary: SummaryConfiguration | None = None
    dream: DreamConfiguration | None = None

    def stored(self) -> dict[str, Any]:
        """The stored form: the dump with nulls removed (nested ones too)."""
        stored: dict[str, Any] = _without_nulls(self.model_dump())
        return stored


class SessionConfiguration(WorkspaceConfiguration):
    pass


class MessageConfiguration(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deriver: DeriverConfiguration | None = None
    peer_card: PeerCardConfiguration | None = None

    def stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = _without_nulls(self.model_dump())
        return stored


class SessionPeerConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    observe_me: bool | None = None
    observe_others: bool | None = None


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` wins key by key; nested objects merge; null values in `override` are skipped."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve(
    defaults: dict[str, Any],
    workspace: dict[str, Any],
    session: dict[str, Any],
    message: dict[str, Any] | None,
) -> dict[str, Any]:
    """The configuration a message is derived under: defaults < workspace < session < message."""
    resolved = deep_merge(deep_merge(defaults, workspace), session)
    return deep_merge(resolved, message or {})
