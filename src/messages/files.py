"""Turning an uploaded file into message texts: extract by content type, then split."""

from __future__ import annotations

import io
import json
import logging

from src.errors import UnsupportedMediaTypeError, ValidationError

logger = logging.getLogger(__name__)

_SPLIT_PREFERENCES = ("\n\n", "\n", ". ", " ")


def extract_text(data: bytes, content_type: str, filename: str) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/pdf":
        return _pdf(data, filename)
    if kind == "application/json":
        return _json(data, filename)
    if kind.startswith("text/"):
        return _text(data, filename)
    raise UnsupportedMediaTypeError(
        f"Unsupported file type {kind or 'unknown'} for {filename!r}: "
        "upload application/pdf, text/* or application/json"
    )


def _pdf(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if text:
                pages.append(f"[Page {number}]\n{text}")
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"Could not read {filename!r} as a PDF: {exc}") from exc
    return _no_nul("\n\n".join(pages), filename)


def _json(data: bytes, filename: str) -> str:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{filename!r} is not valid JSON: {exc}") from exc
    return _no_nul(json.dumps(parsed, ensure_ascii=False), filename)


def _text(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _no_nul(data.decode("utf-16"), filename)
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _no_nul(text, filename)


def _no_nul(text: str, filename: str) -> str:
    if "\x00" in text:
        raise ValidationError(f"{filename!r} contains NUL characters and cannot be stored as text")
    return text


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut after a paragraph, line, sentence or word break
    when the window has one. An empty text is one empty chunk."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for separator in _SPLIT_PREFERENCES:
            at = window.rfind(separator)
            if at > 0:
                cut = at + len(separator)
                break
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return chunks
