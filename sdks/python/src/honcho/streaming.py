"""Streamed dialectic answers (server-sent events, spec §11.4).

Each frame is a line `data: {"delta": {"content": "<text>"}, "done": false}`; the last one has
`"done": true`. A stream that ends without that last frame lost the rest of its answer (the
server, or the connection, failed mid-way): iterating raises `APIConnectionError` then, rather
than passing a truncated answer off as a whole one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType

import httpx

from .errors import APIConnectionError

__all__ = ["AsyncDialecticStreamResponse", "DialecticStreamResponse"]

_INCOMPLETE = "the chat stream ended before its final frame: the answer is incomplete"


def _frame(line: str) -> tuple[bool, str | None]:
    """(is the final frame, text) of one line; non-data and undecodable lines carry nothing."""
    if not line.startswith("data:"):
        return False, None
    try:
        frame = json.loads(line[5:].strip())
    except ValueError:
        return False, None
    if not isinstance(frame, dict):
        return False, None
    if frame.get("done"):
        return True, None
    delta = frame.get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return False, content if isinstance(content, str) and content else None


class DialecticStreamResponse:
    """A streamed `chat` answer: iterate to get its text chunks as the server sends them.

    The HTTP status was checked when `chat(..., stream=True)` returned; the body is read as you
    iterate. Use it as a context manager (or call `close()`) if you may stop early.
    """

    def __init__(self, lines: Iterator[str], close: Callable[[], None]) -> None:
        self._lines = lines
        self._close = close
        self._parts: list[str] = []
        self._complete = False
        self._chunks = self._read()

    def _read(self) -> Iterator[str]:
        try:
            for line in self._lines:
                done, text = _frame(line)
                if done:
                    self._complete = True
                    return
                if text:
                    yield text
        except httpx.TransportError as exc:
            raise APIConnectionError(f"{_INCOMPLETE} ({exc!r})") from exc
        finally:
            self._close()
        raise APIConnectionError(_INCOMPLETE)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        chunk = next(self._chunks)
        self._parts.append(chunk)
        return chunk

    def get_final_response(self) -> dict[str, str]:
        """Everything received so far, as `{"content": text}` (all of it once iterated).

        Example:
            >>> stream = alice.chat("What does Bob like?", stream=True)
            >>> text = "".join(stream)
            >>> stream.get_final_response()["content"] == text
            True
        """
        return {"content": "".join(self._parts)}

    @property
    def is_complete(self) -> bool:
        """True once the server's final frame arrived.

        Example:
            >>> for chunk in stream: pass
            >>> stream.is_complete
            True
        """
        return self._complete

    def close(self) -> None:
        """Stop reading and release the connection (safe to call twice).

        Example:
            >>> stream.close()
        """
        self._close()

    def __enter__(self) -> DialecticStreamResponse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncDialecticStreamResponse:
    """The async twin of `DialecticStreamResponse`: `async for chunk in stream`."""

    def __init__(self, lines: AsyncIterator[str], close: Callable[[], Awaitable[None]]) -> None:
        self._lines = lines
        self._close = close
        self._parts: list[str] = []
        self._complete = False
        self._chunks = self._read()

    async def _read(self) -> AsyncIterator[str]:
        try:
            async for line in self._lines:
                done, text = _frame(line)
                if done:
                    self._complete = True
                    return
                if text:
                    yield text
        except httpx.TransportError as exc:
            raise APIConnectionError(f"{_INCOMPLETE} ({exc!r})") from exc
        finally:
            await self._close()
        raise APIConnectionError(_INCOMPLETE)

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        chunk = await self._chunks.__anext__()
        self._parts.append(chunk)
        return chunk

    def get_final_response(self) -> dict[str, str]:
        """Everything received so far, as `{"content": text}`.

        Example:
            >>> stream = await alice.chat("What does Bob like?", stream=True)
            >>> text = "".join([chunk async for chunk in stream])
            >>> stream.get_final_response()["content"] == text
            True
        """
        return {"content": "".join(self._parts)}

    @property
    def is_complete(self) -> bool:
        """True once the server's final frame arrived.

        Example:
            >>> async for chunk in stream: pass
            >>> stream.is_complete
            True
        """
        return self._complete

    async def close(self) -> None:
        """Stop reading and release the connection (safe to call twice).

        Example:
            >>> await stream.close()
        """
        await self._close()

    async def __aenter__(self) -> AsyncDialecticStreamResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
