"""Prometheus metrics (METRICS_ENABLED): what each process counts, and the exposition.

The API serves `GET /metrics`; the deriver serves its own on METRICS_DERIVER_PORT (see
`src.metrics_server`). Every name starts with METRICS_NAMESPACE (`honcho_`):

- `http_requests_total{method,route,status}`, `http_request_duration_seconds{method,route}`:
  `route` is the route template (`/v2/workspaces/{workspace_id}/peers`), never the raw path.
- `queue_pending_items{task_type}`, `queue_oldest_pending_age_seconds{task_type}`: read from the
  database at scrape time.
- `deriver_task_duration_seconds{task_type,outcome}`, `deriver_task_failures_total{task_type}`,
  `webhook_deliveries_total{outcome}` (deriver).
- `llm_calls_total{component,provider,model,outcome}`, `llm_tokens_total{...,direction}`,
  `llm_errors_total`, `llm_call_duration_seconds` (every LLM call, API and deriver).

With several API worker processes (`honcho api --workers N`), `honcho api` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory and a scrape adds up every worker's numbers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import text

from src.config import Settings
from src.db.engine import Database

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
QUEUE_TASK_TYPES = ("representation", "summary", "embed", "webhook")
UNMATCHED_ROUTE = "<unmatched>"
QUEUE_QUERY_TIMEOUT_SECONDS = 5.0

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """The metric objects of one process."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.registry = CollectorRegistry(auto_describe=True)
        if not multiprocess():
            from prometheus_client import GCCollector, PlatformCollector, ProcessCollector

            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        common: dict[str, Any] = {"namespace": namespace, "registry": self.registry}
        self.requests = Counter(
            "http_requests", "HTTP requests served", ["method", "route", "status"], **common
        )
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "Time to serve an HTTP request (to the end of its body)",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            **common,
        )
        self.task_seconds = Histogram(
            "deriver_task_duration_seconds",
            "Time a deriver task (one batch or delivery) took",
            ["task_type", "outcome"],
            buckets=_TASK_BUCKETS,
            **common,
        )
        self.task_failures = Counter(
            "deriver_task_failures", "Deriver tasks that failed", ["task_type"], **common
        )
        self.webhook_deliveries = Counter(
            "webhook_deliveries",
            "Webhook delivery attempts: delivered, retrying, failed (given up)",
            ["outcome"],
            **common,
        )
        llm = ["component", "provider", "model"]
        self.llm_calls = Counter(
            "llm_calls", "LLM calls (with their retries)", [*llm, "outcome"], **common
        )
        self.llm_tokens = Counter(
            "llm_tokens", "LLM tokens, input and output", [*llm, "direction"], **common
        )
        self.llm_errors = Counter("llm_errors", "LLM calls that failed", llm, **common)
        self.llm_seconds = Histogram(
            "llm_call_duration_seconds",
            "Time an LLM call took (with its retries)",
            llm,
            buckets=_TASK_BUCKETS,
            **common,
        )


_current: Metrics | None = None


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def configure(settings: Settings) -> Metrics | None:
    """This process's metrics when METRICS_ENABLED (built once), else None: recording is off."""
    global _current
    if not settings.metrics.ENABLED:
        _current = None
        return None
    if _current is None or _current.namespace != settings.metrics.NAMESPACE:
        _current = Metrics(settings.metrics.NAMESPACE)
    return _current


def current() -> Metrics | None:
    return _current


# -- recording (no-ops while metrics are off) ------------------------------------------------


def task_done(task_type: str, seconds: float, ok: bool) -> None:
    m = _current
    if m is None:
        return
    m.task_seconds.labels(task_type, "ok" if ok else "error").observe(seconds)
    if not ok:
        m.task_failures.labels(task_type).inc()


def webhook_delivery(outcome: str) -> None:
    if _current is not None:
        _current.webhook_deliveries.labels(outcome).inc()


def llm_call(
    component: str,
    provider: str,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    seconds: float,
    ok: bool,
) -> None:
    m = _current
    if m is None:
        return
    m.llm_calls.labels(component, provider, model, "ok" if ok else "error").inc()
    m.llm_tokens.labels(component, provider, model, "input").inc(input_tokens)
    m.llm_tokens.labels(component, provider, model, "output").inc(output_tokens)
    m.llm_seconds.labels(component, provider, model).observe(seconds)
    if not ok:
        m.llm_errors.labels(component, provider, model).inc()


# -- HTTP requests -----------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(
                time.perf_counter() - started
            )


# -- exposition --------------------------------------------------------------------------------

_QUEUE = text(
    """
    SELECT task_type, count(*) AS pending,
           extract(epoch FROM now() - min(created_at)) AS oldest_age
    FROM deriver_queue WHERE status = 'pending'
    GROUP BY task_type
    """
)


async def queue_families(db: Database, namespace: str) -> list[Metric]:
    """Queue depth and the age of the oldest pending item per task type, read now."""
    async with db.transaction() as conn:
        rows = {r["task_type"]: r for r in (await conn.execute(_QUEUE)).mappings()}
    depth = GaugeMetricFamily(
        f"{namespace}_queue_pending_items",
        "Queue items waiting to be processed",
        labels=["task_type"],
    )
    age = GaugeMetricFamily(
        f"{namespace}_queue_oldest_pending_age_seconds",
        "Age of the oldest pending queue item (0 when none)",
        labels=["task_type"],
    )
    for task_type in sorted({*QUEUE_TASK_TYPES, *rows}):
        row = rows.get(task_type)
        depth.add_metric([task_type], float(row["pending"]) if row else 0.0)
        age.add_metric([task_type], float(row["oldest_age"] or 0) if row else 0.0)
    return [depth, age]


class _Fixed(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


async def exposition(metrics: Metrics, db: Database | None) -> tuple[bytes, str]:
    """The text exposition of this process (of every worker, in multiprocess mode), plus the queue
    gauges when a database is given. A database that does not answer omits only those."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        output = generate_latest(registry)
    else:
        output = generate_latest(metrics.registry)
    if db is not None:
        try:
            async with asyncio.timeout(QUEUE_QUERY_TIMEOUT_SECONDS):
                families = await queue_families(db, metrics.namespace)
        except Exception as exc:
            logger.warning("queue metrics unavailable: %s", type(exc).__name__)
        else:
            extra = CollectorRegistry()
            extra.register(_Fixed(families))
            output += generate_latest(extra)
    return output, CONTENT_TYPE_LATEST
