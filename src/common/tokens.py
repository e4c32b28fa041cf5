"""Token counting with tiktoken's o200k_base, the encoding the API reports `token_count` in."""

from __future__ import annotations

import logging
from functools import lru_cache

import tiktoken

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding | None:
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # no network and no TIKTOKEN_CACHE_DIR
        logger.warning(
            "tiktoken encoding %s is unavailable (%s); token counts are estimated as "
            "len(text)/4. Set TIKTOKEN_CACHE_DIR to a folder holding the encoding file.",
            name,
            exc,
        )
        return None


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    enc = _encoding(encoding)
    if enc is None:
        return (len(text) + 3) // 4
    return len(enc.encode_ordinary(text))


def count_tokens_many(texts: list[str], encoding: str = "o200k_base") -> list[int]:
    enc = _encoding(encoding)
    if enc is None:
        return [(len(t) + 3) // 4 for t in texts]
    return [len(enc.encode_ordinary(t)) for t in texts]


def warm_up() -> bool:
    """Load the encodings at startup so the first request does not pay for it."""
    return _encoding("o200k_base") is not None
