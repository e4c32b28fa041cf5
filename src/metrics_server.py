"""The deriver's HTTP endpoint (METRICS_DERIVER_HOST:METRICS_DERIVER_PORT, while METRICS_ENABLED):
`GET /metrics` (its own Prometheus metrics plus the queue gauges), `/health` and `/ready`.

A few lines of asyncio instead of a web framework: it runs inside the worker's event loop next to
procrastinate, answers one request per connection, and needs nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging

from src.config import Settings
from src.db.engine import Database
from src.health import readiness
from src.metrics import Metrics, exposition

logger = logging.getLogger(__name__)

_READ_TIMEOUT_SECONDS = 5.0
_MAX_HEADER_LINES = 100
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


async def _respond(
    db: Database, metrics: Metrics, method: str, path: str
) -> tuple[int, str, bytes]:
    if method not in ("GET", "HEAD"):
        return 405, "text/plain", b"method not allowed\n"
    if path == "/metrics":
        body, content_type = await exposition(metrics, db)
        return 200, content_type, body
    if path == "/health":
        return 200, "application/json", b'{"status":"ok"}'
    if path == "/ready":
        ok, detail = await readiness(db)
        status = {"status": "ready" if ok else "unavailable", "detail": detail}
        return (200 if ok else 503), "application/json", json.dumps(status).encode()
    return 404, "text/plain", b"not found\n"


async def start(settings: Settings, db: Database, metrics: Metrics) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT_SECONDS):
                request_line = (await reader.readline()).decode("latin-1").split()
                for _ in range(_MAX_HEADER_LINES):
                    if (await reader.readline()) in (b"\r\n", b"\n", b""):
                        break
            if len(request_line) < 2:
                return
            method, path = request_line[0], request_line[1].split("?", 1)[0]
            status, content_type, body = await _respond(db, metrics, method, path)
            head = (
                f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            writer.write(head if method == "HEAD" else head + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        except Exception:
            logger.exception("deriver metrics endpoint failed")
        finally:
            writer.close()

    host, port = settings.metrics.DERIVER_HOST, settings.metrics.DERIVER_PORT
    server = await asyncio.start_server(handle, host, port)
    logger.info("deriver metrics on http://%s:%d/metrics (and /health, /ready)", host, port)
    return server
