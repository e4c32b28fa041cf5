"""HTTP: one request description (`Request`), a response parser beside it (`Call`), and a sync and
an async executor sharing the rules for headers, retries and errors.

Retries (at most `max_retries`, exponential backoff with jitter, honouring `Retry-After`) happen
only when repeating cannot do anything twice:

* any request, when the connection could not be made (nothing was sent);
* any request, on 429, and on 503 with `Retry-After` (the server says it applied nothing: our
  server sends this when the database was too busy and rolled the transaction back);
* requests marked `repeatable` (reads, get-or-create, PUTs, membership merges), also on timeouts
  and broken connections after sending, and on 408, 502, 503, 504.

A server's `x-should-retry: true|false` header overrides all of this.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic_core import to_jsonable_python

from .errors import APIConnectionError, APITimeoutError, status_error

T = TypeVar("T")

VERSION = "0.1.0"
USER_AGENT = f"honcho-sdk-python/{VERSION}"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
_RETRY_STATUSES = frozenset({408, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()


@dataclass(frozen=True)
class Options:
    """Resolved client settings (see `Honcho.__init__`)."""

    base_url: str
    api_key: str | None = None
    timeout: httpx.Timeout | None = None  # None: the HTTP client's own
    max_retries: int = DEFAULT_MAX_RETRIES
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = NO_BODY
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    data: Mapping[str, str] | None = None
    repeatable: bool = False


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request and how to turn its decoded JSON body into the result."""

    request: Request
    parse: Callable[[Any], T]


def _build(
    client: httpx.Client | httpx.AsyncClient, options: Options, req: Request
) -> httpx.Request:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **options.headers}
    if options.api_key:
        headers["Authorization"] = f"Bearer {options.api_key}"
    params: dict[str, Any] = dict(options.query)
    params.update({k: v for k, v in (req.params or {}).items() if v is not None})
    content: bytes | None = None
    if req.json is not NO_BODY:
        content = json.dumps(to_jsonable_python(req.json), ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    timeout: Any = options.timeout if options.timeout is not None else httpx.USE_CLIENT_DEFAULT
    return client.build_request(
        req.method,
        options.base_url + req.path,
        params=params,
        headers=headers,
        content=content,
        files=dict(req.files) if req.files else None,
        data=dict(req.data) if req.data else None,
        timeout=timeout,
    )


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return seconds if 0 <= seconds <= _MAX_RETRY_AFTER else None


def _delay(attempt: int, response: httpx.Response | None) -> float:
    told = _retry_after(response)
    if told is not None:
        return told
    return float(min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random()))


def _retry_status(req: Request, response: httpx.Response) -> bool:
    hint = str(response.headers.get("x-should-retry", "")).lower()
    if hint in ("true", "false"):
        return hint == "true"
    status = response.status_code
    if status == 429 or (status == 503 and "retry-after" in response.headers):
        return True
    return req.repeatable and status in _RETRY_STATUSES


def _retry_error(req: Request, exc: httpx.TransportError) -> bool:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # the request never left
    return req.repeatable


def _connection_error(req: Request, exc: httpx.TransportError) -> APIConnectionError:
    what = f"{req.method} {req.path}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{what} timed out: {exc!r}")
    return APIConnectionError(f"{what} failed: {exc!r}")


def decode(response: httpx.Response) -> Any:
    """The JSON body, or None for an empty one."""
    if not response.content.strip():
        return None
    return response.json()


class SyncHTTP:
    """Sends `Call`s with an `httpx.Client` (the caller's, or one it owns)."""

    def __init__(self, options: Options, client: httpx.Client | None = None) -> None:
        self.options = options
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=options.timeout or DEFAULT_TIMEOUT, follow_redirects=True
        )

    def call(self, call: Call[T]) -> T:
        response = self._send(call.request, stream=False)
        return call.parse(decode(response))

    def stream_lines(self, req: Request) -> tuple[Iterator[str], Callable[[], None]]:
        """Send now (raising on an error status), then read the body line by line."""
        response = self._send(req, stream=True)

        def lines() -> Iterator[str]:
            try:
                yield from response.iter_lines()
            finally:
                response.close()

        return lines(), response.close

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _send(self, req: Request, *, stream: bool) -> httpx.Response:
        attempt = 0
        while True:
            request = _build(self._client, self.options, req)
            try:
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.options.max_retries and _retry_error(req, exc):
                    time.sleep(_delay(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(req, exc) from exc
            if response.is_success:
                return response
            response.read()
            response.close()
            if attempt < self.options.max_retries and _retry_status(req, response):
                time.sleep(_delay(attempt, response))
                attempt += 1
                continue
            raise status_error(response)


class AsyncHTTP:
    """Sends `Call`s with an `httpx.AsyncClient`. `prelude`, when given, runs once before the
    first request (the async client creates its workspace there: constructors cannot await)."""

    def __init__(
        self,
        options: Options,
        client: httpx.AsyncClient | None = None,
        prelude: Callable[[AsyncHTTP], Awaitable[None]] | None = None,
    ) -> None:
        self.options = options
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=options.timeout or DEFAULT_TIMEOUT, follow_redirects=True
        )
        self._prelude = prelude
        self._prelude_lock = asyncio.Lock()

    async def call(self, call: Call[T]) -> T:
        await self._run_prelude()
        return await self.call_direct(call)

    async def call_direct(self, call: Call[T]) -> T:
        """`call` without waiting for the prelude (the prelude itself uses this)."""
        response = await self._send(call.request, stream=False)
        return call.parse(decode(response))

    async def stream_lines(
        self, req: Request
    ) -> tuple[AsyncIterator[str], Callable[[], Awaitable[None]]]:
        await self._run_prelude()
        response = await self._send(req, stream=True)

        async def lines() -> AsyncIterator[str]:
            try:
                async for line in response.aiter_lines():
                    yield line
            finally:
                await response.aclose()

        return lines(), response.aclose

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def prelude_done(self) -> None:
        """The prelude's work was done another way: skip it."""
        self._prelude = None

    async def _run_prelude(self) -> None:
        if self._prelude is None:
            return
        async with self._prelude_lock:
            prelude = self._prelude
            if prelude is not None:
                await prelude(self)
                self._prelude = None

    async def _send(self, req: Request, *, stream: bool) -> httpx.Response:
        attempt = 0
        while True:
            request = _build(self._client, self.options, req)
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.options.max_retries and _retry_error(req, exc):
                    await asyncio.sleep(_delay(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(req, exc) from exc
            if response.is_success:
                return response
            await response.aread()
            await response.aclose()
            if attempt < self.options.max_retries and _retry_status(req, response):
                await asyncio.sleep(_delay(attempt, response))
                attempt += 1
                continue
            raise status_error(response)
