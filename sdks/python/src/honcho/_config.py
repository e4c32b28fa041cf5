"""Client settings from arguments, then environment variables, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from ._http import DEFAULT_MAX_RETRIES, Options

DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_WORKSPACE = "default"
ENVIRONMENTS = {"local": "http://localhost:8000", "production": "https://api.honcho.dev"}


def resolve_options(
    *,
    api_key: str | None,
    environment: str | None,
    base_url: str | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int | None,
    default_headers: Mapping[str, str] | None,
    default_query: Mapping[str, object] | None,
) -> Options:
    """`base_url`, else `environment` ("local" or "production"), else `HONCHO_BASE_URL`, else
    http://localhost:8000. `api_key`, else `HONCHO_API_KEY`, else none (no header sent)."""
    if environment is not None and environment not in ENVIRONMENTS:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise ValueError(f"unknown environment {environment!r} (known: {known})")
    url = (
        base_url
        or (ENVIRONMENTS[environment] if environment else None)
        or os.environ.get("HONCHO_BASE_URL")
        or DEFAULT_BASE_URL
    )
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
    if max_retries is not None and max_retries < 0:
        raise ValueError("max_retries must be >= 0")
    if isinstance(timeout, int | float) and timeout <= 0:
        raise ValueError("timeout must be positive")
    return Options(
        base_url=url.rstrip("/"),
        api_key=api_key or os.environ.get("HONCHO_API_KEY") or None,
        timeout=httpx.Timeout(timeout) if isinstance(timeout, int | float) else timeout,
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        headers=dict(default_headers or {}),
        query=dict(default_query or {}),
    )


def resolve_workspace(workspace_id: str | None) -> str:
    """`workspace_id`, else `HONCHO_WORKSPACE_ID`, else "default"."""
    resolved = workspace_id or os.environ.get("HONCHO_WORKSPACE_ID") or DEFAULT_WORKSPACE
    if not isinstance(resolved, str):
        raise TypeError("workspace_id must be a string")
    return resolved
