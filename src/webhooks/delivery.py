"""Delivering webhook events (the deriver's `webhook:<workspace>:<endpoint>` work units).

Body: `{"type", "data", "timestamp"}` as compact JSON with sorted keys; `X-Honcho-Signature` is
the hex HMAC-SHA256 of exactly those bytes with WEBHOOK_SECRET. Every attempt has a timeout and
follows no redirects. A non-2xx answer or a network error is retried with backoff
(WEBHOOK_RETRY_BACKOFF_SECONDS, doubling) up to WEBHOOK_MAX_ATTEMPTS, then the delivery is
recorded as failed with its error (deriver status, log). A target that resolves to a refused
address, or a server without WEBHOOK_SECRET, fails the delivery at once: nothing is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import RowMapping, text

from src import metrics
from src.config import WebhookSettings
from src.deriver import jobs, queue
from src.deriver.runtime import Runtime
from src.webhooks import targets

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Honcho-Signature"

_NEXT = text(
    """
    SELECT q.id, q.payload, q.attempts, q.next_attempt_at, now() AS db_now, e.id AS endpoint_id,
           e.url
    FROM deriver_queue q JOIN webhook_endpoints e ON e.id = q.endpoint_id
    WHERE q.work_unit_key = :key AND q.status = 'pending'
    ORDER BY q.id
    LIMIT 2
    """
)


def body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, content: bytes) -> str:
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help: fail the delivery now


async def send(
    settings: WebhookSettings, url: str, event: dict[str, Any], delivery: int
) -> Outcome:
    """One attempt at POSTing `event` to `url`."""
    if not settings.SECRET:
        return Outcome(False, "not sent: WEBHOOK_SECRET is not set", permanent=True)
    content = body(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "honcho-server-webhooks",
        SIGNATURE_HEADER: signature(settings.SECRET, content),
        "X-Honcho-Delivery-Id": str(delivery),
    }
    request_url = httpx.URL(url)
    extensions: dict[str, Any] = {}
    if not settings.ALLOW_PRIVATE_TARGETS:
        try:
            target = await targets.resolve(url)
            targets.check(target)
        except targets.ResolutionFailed as exc:
            return Outcome(False, str(exc))
        except targets.TargetRefused as exc:
            return Outcome(False, f"not sent: {exc}", permanent=True)
        # Connect to the address just checked; the name still goes in Host and TLS SNI (and the
        # certificate is verified against it).
        headers["Host"] = request_url.netloc.decode("ascii")
        if request_url.scheme == "https":
            extensions["sni_hostname"] = request_url.host
        request_url = request_url.copy_with(host=str(target.addresses[0]))
    try:
        async with (
            httpx.AsyncClient(
                timeout=settings.TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
            ) as client,
            asyncio.timeout(settings.TIMEOUT_SECONDS),
        ):
            response = await client.post(
                request_url, content=content, headers=headers, extensions=extensions
            )
    except (httpx.HTTPError, TimeoutError) as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}".rstrip(": "))
    if response.is_success:
        return Outcome(True)
    return Outcome(False, f"HTTP {response.status_code}")


async def process_unit(rt: Runtime, key: str) -> None:
    """Deliver the oldest pending event of one endpoint; defer a job for the next one."""
    settings = rt.settings.webhook
    async with rt.db.transaction() as conn:
        rows = list((await conn.execute(_NEXT, {"key": key})).mappings())
    if not rows:
        return  # delivered by an earlier job, or the endpoint was deleted with its deliveries
    item = rows[0]
    if item["next_attempt_at"] is not None and item["next_attempt_at"] > item["db_now"]:
        async with rt.db.transaction() as conn:
            await jobs.defer(conn, key, at=item["next_attempt_at"])
        return
    event = item["payload"]["event"]
    started = time.monotonic()
    outcome = await send(settings, item["url"], event, item["id"])
    metrics.task_done("webhook", time.monotonic() - started, outcome.ok)
    async with rt.db.transaction() as conn:
        more = len(rows) > 1
        if outcome.ok:
            await queue.mark_done(conn, [item["id"]])
            metrics.webhook_delivery("delivered")
            logger.info(
                "webhook %s delivered to endpoint %s (delivery %d)",
                event["type"],
                item["endpoint_id"],
                item["id"],
            )
        else:
            gave_up = await _record_failure(conn, rt, key, item, event, outcome)
            more = more and gave_up
        if more:
            await jobs.defer(conn, key)


async def _record_failure(
    conn: Any, rt: Runtime, key: str, item: RowMapping, event: dict[str, Any], outcome: Outcome
) -> bool:
    """Record a failed attempt; True when the delivery is given up (the unit may move on)."""
    settings = rt.settings.webhook
    error = outcome.error or "failed"
    results = await queue.record_failure(
        conn,
        [item["id"]],
        error,
        max_attempts=1 if outcome.permanent else settings.MAX_ATTEMPTS,
        backoff=settings.RETRY_BACKOFF_SECONDS,
        backoff_max=settings.RETRY_BACKOFF_MAX_SECONDS,
    )
    if not results:
        return False  # no longer pending: another worker settled it
    if results[0]["status"] == "pending":
        metrics.webhook_delivery("retrying")
        logger.warning(
            "webhook %s to endpoint %s failed (attempt %d of %d), retrying at %s: %s",
            event["type"],
            item["endpoint_id"],
            results[0]["attempts"],
            settings.MAX_ATTEMPTS,
            results[0]["next_attempt_at"],
            error,
        )
        await jobs.defer(conn, key, at=results[0]["next_attempt_at"])
        return False
    metrics.webhook_delivery("failed")
    logger.error(
        "webhook %s to endpoint %s failed for good (delivery %d): %s",
        event["type"],
        item["endpoint_id"],
        item["id"],
        error,
    )
    return True
