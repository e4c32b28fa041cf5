"""Lenient JSON extraction and validation of model output.

Models asked for JSON often wrap it: a code fence, a sentence before or after, a `<think>` block
(reasoning models on OpenAI-compatible servers). We take every JSON value we can find, in order,
and keep the first that validates against the expected pydantic model.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import pydantic

T = TypeVar("T", bound=pydantic.BaseModel)

_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_MAX_SCAN_STARTS = 200


class ParseFailure(ValueError):
    """The text holds no JSON value that validates; the message says why, for the repair turn."""


def strip_thinking(text: str) -> str:
    text = _THINK.sub("", text)
    # An unterminated block (output cut off mid-thought) hides nothing useful after it.
    lowered = text.lower()
    if "</think>" in lowered and "<think>" not in lowered:
        text = text[lowered.rindex("</think>") + len("</think>") :]
    return text.strip()


def json_candidates(text: str) -> list[Any]:
    """Every JSON object or array found in `text`: the whole text, fenced blocks, then any
    `{`/`[` from which a value decodes (prose around it ignored)."""
    found: list[Any] = []
    text = strip_thinking(text)

    def attempt(fragment: str) -> None:
        try:
            value = json.loads(fragment)
        except ValueError:
            return
        if isinstance(value, dict | list):
            found.append(value)

    attempt(text)
    for block in _FENCE.findall(text):
        attempt(block.strip())
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(text) if ch in "{["][:_MAX_SCAN_STARTS]
    end = -1
    for start in starts:
        if start < end:
            continue  # inside a value already decoded
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict | list):
            found.append(value)
    return found


def _describe(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors()[:6]:
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_output(text: str, output_type: type[T]) -> T:
    """The first JSON value in `text` that validates as `output_type`, else `ParseFailure`."""
    candidates = json_candidates(text)
    if not candidates:
        if not text.strip():
            raise ParseFailure("the reply was empty")
        raise ParseFailure("the reply contained no JSON object")
    first_error: str | None = None
    fields = list(output_type.model_fields)
    for value in candidates:
        # A bare list where the model has a single field: small models often drop the wrapper.
        if isinstance(value, list) and len(fields) == 1:
            value = {fields[0]: value}
        try:
            return output_type.model_validate(value)
        except pydantic.ValidationError as exc:
            if first_error is None:
                first_error = _describe(exc)
    raise ParseFailure(f"the JSON did not match the schema: {first_error}")


def repair_instruction(problem: str, schema: dict[str, Any], name: str) -> str:
    return (
        f"Your previous reply could not be used: {problem}. Reply again with only a JSON object "
        f"named {name!r} that conforms to this JSON schema, with no prose and no code fences:\n"
        f"{json.dumps(schema, separators=(',', ':'))}"
    )
