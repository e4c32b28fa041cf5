"""A scripted fake of the OpenAI, Anthropic and Gemini HTTP APIs, served for real on 127.0.0.1.

It runs uvicorn in a background thread, so other OS processes (a deriver under test) can call it.

    with start_fake_vendor() as vendor:
        vendor.queue(Reply.error(429, retry_after=1), Reply.json({"facts": []}))
        ... point LLM_OPENAI_BASE_URL at vendor.openai_base_url ...
        assert len(vendor.chat_requests()) == 2

Chat answers come from, in order: the FIFO `queue(...)`, then the `on_chat(handler)` callable,
then `default_reply`. Embeddings are deterministic bag-of-words vectors (`hashed_embedding`) of
the requested size (or `embedding_dimensions` when set, to fake a wrong-sized model); error and
hang replies for them come from `queue_embeddings(...)` / `on_embeddings(handler)`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import formats
from tests.fakes.script import RecordedRequest, Reply

ChatHandler = Callable[[RecordedRequest], Reply]
EmbeddingHandler = Callable[[RecordedRequest], Reply | None]


class _Dropped(Exception):
    """Raised inside a streamed body to cut the connection mid-response."""


class FakeVendor:
    def __init__(self, *, log_level: str = "warning") -> None:
        self.default_reply = Reply.raw("ok")
        self.embedding_dimensions: int | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._chat_queue: collections.deque[Reply] = collections.deque()
        self._embedding_queue: collections.deque[Reply] = collections.deque()
        self._chat_handler: ChatHandler | None = None
        self._embedding_handler: EmbeddingHandler | None = None
        self._stopping = threading.Event()
        self._wake: asyncio.Event | None = None  # _stopping, inside the server's event loop
        self._loop: asyncio.AbstractEventLoop | None = None
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/messages", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1beta/models/{rest:path}", self._gemini, methods=["POST"]),
                Route("/{rest:path}", self._unknown, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    # -- addresses -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Base URL for Anthropic and Gemini (they add /v1/... and /v1beta/... themselves)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """Base URL for OpenAI and OpenAI-compatible clients (…/v1)."""
        return f"{self.base_url}/v1"

    # -- scripting -----------------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        """Answer the next chat requests with these, in order (before any handler)."""
        with self._lock:
            self._chat_queue.extend(replies)

    def on_chat(self, handler: ChatHandler | None) -> None:
        """Answer chat requests (once the queue is empty) with `handler(request)`."""
        self._chat_handler = handler

    def queue_embeddings(self, *replies: Reply) -> None:
        """Errors/hangs for the next embedding requests; any other reply means 'answer normally'."""
        with self._lock:
            self._embedding_queue.extend(replies)

    def on_embeddings(self, handler: EmbeddingHandler | None) -> None:
        self._embedding_handler = handler

    # -- inspection ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if not r.is_embedding]

    def embedding_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_embedding]

    def reset(self) -> None:
        """Forget recorded requests and scripts."""
        with self._lock:
            self._requests.clear()
            self._chat_queue.clear()
            self._embedding_queue.clear()
        self._chat_handler = self._embedding_handler = None
        self.default_reply = Reply.raw("ok")
        self.embedding_dimensions = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeVendor:
        if self._thread.is_alive():
            return self
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake vendor did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop may be gone already
                self._loop.call_soon_threadsafe(self._wake.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------------------------

    async def _record(self, request: Request) -> RecordedRequest:
        raw = await request.body()
        body: Any
        try:
            body = await request.json() if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        rec = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            time=time.monotonic(),
        )
        with self._lock:
            self._requests.append(rec)
        return rec

    def _next_chat(self, rec: RecordedRequest) -> Reply:
        with self._lock:
            if self._chat_queue:
                return self._chat_queue.popleft()
        if self._chat_handler is not None:
            return self._chat_handler(rec)
        return self.default_reply

    def _next_embedding(self, rec: RecordedRequest) -> Reply | None:
        with self._lock:
            if self._embedding_queue:
                return self._embedding_queue.popleft()
        return self._embedding_handler(rec) if self._embedding_handler else None

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up when the vendor stops (so stop() never waits on a hang)."""
        if self._wake is None:
            self._wake, self._loop = asyncio.Event(), asyncio.get_running_loop()
        if self._stopping.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _settle(self, rec: RecordedRequest, reply: Reply) -> Reply | Response:
        while reply.delay > 0:
            await self._pause(reply.delay)
            reply = reply.then or Reply.raw("")
        if reply.status >= 400:
            headers = {"retry-after": reply.retry_after} if reply.retry_after else {}
            return JSONResponse(formats.error_body(rec, reply), reply.status, headers=headers)
        return reply

    async def _chat(self, request: Request) -> Response:
        rec = await self._record(request)
        settled = await self._settle(rec, self._next_chat(rec))
        if isinstance(settled, Response):
            return settled
        if not rec.stream:
            return JSONResponse(formats.completion(rec, settled))
        head, chunks, tail = formats.stream_events(rec, settled)
        return StreamingResponse(
            self._stream(head, chunks, tail, settled), media_type="text/event-stream"
        )

    async def _stream(
        self, head: list[str], chunks: list[str], tail: list[str], reply: Reply
    ) -> AsyncIterator[str]:
        for event in head:
            yield event
        for event in chunks:
            yield event
            if reply.chunk_interval:
                await self._pause(reply.chunk_interval)
        if reply.drop:
            raise _Dropped("connection dropped on purpose")
        for event in tail:
            yield event

    async def _embeddings(self, request: Request) -> Response:
        rec = await self._record(request)
        scripted = self._next_embedding(rec)
        if scripted is not None:
            settled = await self._settle(rec, scripted)
            if isinstance(settled, Response):
                return settled
        return JSONResponse(formats.embeddings(rec, self.embedding_dimensions))

    async def _gemini(self, request: Request) -> Response:
        method = request.url.path.rsplit(":", 1)[-1]
        if method in ("generateContent", "streamGenerateContent"):
            return await self._chat(request)
        if method == "batchEmbedContents":
            return await self._embeddings(request)
        return await self._unknown(request)

    async def _unknown(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"error": {"message": f"no route {request.url.path}"}}, 404)


def start_fake_vendor(**kwargs: Any) -> FakeVendor:
    """A started vendor; use it as a context manager, or call `stop()` yourself."""
    return FakeVendor(**kwargs).start()


@contextlib.contextmanager
def fake_vendor(**kwargs: Any) -> Iterator[FakeVendor]:
    vendor = start_fake_vendor(**kwargs)
    try:
        yield vendor
    finally:
        vendor.stop()
