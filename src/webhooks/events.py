"""Webhook events, queued as one `deriver_queue` delivery per endpoint of the workspace.

A delivery's work unit is `webhook:<workspace>:<endpoint id>`: deliveries to one endpoint go out
in order, one at a time, and a failing endpoint (retrying with backoff) holds up only its own.
The event (type, data, timestamp) is frozen when queued, so every retry sends the same bytes
with the same signature. A workspace without endpoints queues nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db.engine import Database
from src.deriver import jobs

_ENQUEUE = text(
    """
    INSERT INTO deriver_queue (workspace_name, work_unit_key, task_type, endpoint_id, payload)
    SELECT e.workspace_name, :key_prefix || e.id, 'webhook', e.id,
           jsonb_build_object('event', CAST(:event AS jsonb))
    FROM webhook_endpoints e
    WHERE e.workspace_name = :workspace
      AND (CAST(:unless_pending AS text) IS NULL OR NOT EXISTS (
          SELECT 1 FROM deriver_queue q
          WHERE q.work_unit_key = :unless_pending AND q.status = 'pending'))
    ORDER BY e.id
    RETURNING work_unit_key
    """
)


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


async def enqueue(
    conn: AsyncConnection,
    workspace: str,
    event_type: str,
    data: dict[str, Any],
    *,
    unless_pending: str | None = None,
) -> int:
    """Queue the event for every endpoint of `workspace` (skipped when the work unit
    `unless_pending` still has pending items) and wake the deriver. Returns the deliveries."""
    event = {"type": event_type, "data": data, "timestamp": timestamp()}
    result = await conn.execute(
        _ENQUEUE,
        {
            "key_prefix": jobs.unit_key("webhook", workspace, ""),
            "event": json.dumps(event),
            "workspace": workspace,
            "unless_pending": unless_pending,
        },
    )
    keys = [row[0] for row in result]
    for key in keys:
        await jobs.defer(conn, key)
    return len(keys)


async def unit_drained(
    db: Database, key: str, queue_type: str, workspace: str, session: str
) -> None:
    """`queue.empty`: a representation or summary work unit has nothing pending any more."""
    data = {
        "workspace_id": workspace,
        "queue_type": queue_type,
        "session_id": session,
        # Our units are per session, covering every view in it (the reference's were per view).
        "observer": None,
        "observed": None,
    }
    async with db.transaction() as conn:
        await enqueue(conn, workspace, "queue.empty", data, unless_pending=key)
