"""Field types shared by every area: resource names, JSON objects PostgreSQL can store."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field

NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"
NAME_MAX_LENGTH = 100

# A resource name in a request body (`id`, `peer_id`, map keys are checked by `check_name`).
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)]

# Path parameters get the same rules, so a bad name is a 422 naming the parameter, never a 500.
WorkspacePath = Annotated[str, Path(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)]
PeerPath = Annotated[str, Path(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)]
SessionPath = Annotated[str, Path(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)]
# Generated ids (messages, observations, webhooks) are looked up, never created, from the path.
IdPath = Annotated[str, Path(min_length=1, max_length=NAME_MAX_LENGTH)]

PageQuery = Annotated[int, Query(ge=1, le=2_000_000_000, description="1-based page number")]
SizeQuery = Annotated[int, Query(ge=1, le=100, description="Items per page")]


def check_name(value: str) -> str:
    import re

    if not 1 <= len(value) <= NAME_MAX_LENGTH or not re.fullmatch(NAME_PATTERN, value):
        raise ValueError(
            f"invalid name {value[:120]!r}: use 1-{NAME_MAX_LENGTH} characters of "
            "letters, digits, '_' and '-'"
        )
    return value


def check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    return value


def _check_json(value: Any, path: str, depth: int) -> None:
    if depth > 64:
        raise ValueError(f"JSON nested deeper than 64 levels at {path or 'the top level'}")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"NUL (\\u0000) characters are not allowed (at {path or 'value'})")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number {value} is not valid JSON (at {path or 'value'})")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise ValueError(f"NUL (\\u0000) characters are not allowed in keys (at {path})")
            _check_json(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]", depth + 1)


def check_json_object(value: dict[str, Any]) -> dict[str, Any]:
    _check_json(value, "", 0)
    return value


# A JSON object that PostgreSQL's jsonb accepts (no NUL characters, no NaN/Infinity).
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_object)]
SafeText = Annotated[str, AfterValidator(check_text)]
