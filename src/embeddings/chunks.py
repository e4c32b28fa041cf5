"""Splitting text longer than the embedding model's limit into overlapping windows."""

from __future__ import annotations

from src.common.tokens import _encoding

OVERLAP = 0.2


def chunk_for_embedding(text: str, max_tokens: int) -> list[str]:
    """The text itself when it fits; otherwise windows of `max_tokens` tokens overlapping by 20%."""
    encoding = _encoding("o200k_base")
    if encoding is None:  # no tokenizer: approximate tokens as 4 characters
        limit = max_tokens * 4
        if len(text) <= limit:
            return [text]
        step = max(1, int(limit * (1 - OVERLAP)))
        return [text[i : i + limit] for i in range(0, len(text) - int(limit * OVERLAP), step)]
    tokens = encoding.encode_ordinary(text)
    if len(tokens) <= max_tokens:
        return [text]
    step = max(1, int(max_tokens * (1 - OVERLAP)))
    windows = range(0, len(tokens) - int(max_tokens * OVERLAP), step)
    return [encoding.decode(tokens[i : i + max_tokens]) for i in windows]
