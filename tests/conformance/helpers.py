"""Shared values and helpers of the conformance suite."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from honcho_core.types.workspaces.sessions.message import Message

PAGE = 50  # the server's default page size, which the SDK never overrides
MANY = PAGE + 5  # enough items for the SDK to fetch a second page
MAX_MESSAGE_SIZE = 25_000

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def contents(messages: Iterable[Message]) -> list[str]:
    return [m.content for m in messages]


def long_text() -> str:
    """About 67,000 characters in paragraphs: more than two messages' worth."""
    paragraphs = [
        f"Paragraph {i}: " + " ".join(f"word{i}-{j}" for j in range(60)) for i in range(110)
    ]
    text = "\n\n".join(paragraphs)
    assert len(text) > 2 * MAX_MESSAGE_SIZE
    return text


def check_split(chunks: list[str], text: str, cut_after: str = "\n\n") -> None:
    """Chunks of an uploaded file: each within the limit, cut after `cut_after`, lossless."""
    assert len(chunks) >= 3
    assert all(0 < len(c) <= MAX_MESSAGE_SIZE for c in chunks)
    assert all(c.endswith(cut_after) for c in chunks[:-1])
    assert "".join(chunks) == text
