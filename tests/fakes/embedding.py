"""Deterministic bag-of-words embeddings: texts sharing words are close, unrelated ones are not."""

from __future__ import annotations

import hashlib
import math
import re

_WORD = re.compile(r"\w+")


def hashed_embedding(text: str, dimensions: int) -> list[float]:
    """Each lower-cased word adds ±1 at a hashed position; the sum is L2-normalised."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        vector[value % dimensions] += 1.0 if (value >> 63) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [x / norm for x in vector]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
