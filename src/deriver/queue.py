"""SQL for `deriver_queue`, the derivation work enqueued with each message batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class NewItem:
    workspace: str
    session: str
    key: str
    task_type: str
    message_id: int
    sender: str | None = None
    observers: list[str] = field(default_factory=list)
    witnesses: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)


_INSERT = text(
    """
    INSERT INTO deriver_queue (workspace_name, session_name, work_unit_key, task_type, message_id,
                               sender, observers, witnesses, payload)
    SELECT :workspace, :session, i.key, i.task_type, i.message_id, i.sender,
           ARRAY(SELECT jsonb_array_elements_text(CAST(i.observers AS jsonb))),
           ARRAY(SELECT jsonb_array_elements_text(CAST(i.witnesses AS jsonb))),
           CAST(i.payload AS jsonb)
    FROM unnest(CAST(:keys AS text[]), CAST(:task_types AS text[]), CAST(:message_ids AS bigint[]),
                CAST(:senders AS text[]), CAST(:observers AS text[]), CAST(:witnesses AS text[]),
                CAST(:payloads AS text[])) WITH ORDINALITY
         AS i(key, task_type, message_id, sender, observers, witnesses, payload, ord)
    ORDER BY i.ord
    """
)


async def insert_items(conn: AsyncConnection, items: list[NewItem]) -> None:
    """All items of one message batch (one workspace and session) in one statement."""
    if not items:
        return
    import json

    await conn.execute(
        _INSERT,
        {
            "workspace": items[0].workspace,
            "session": items[0].session,
            "keys": [i.key for i in items],
            "task_types": [i.task_type for i in items],
            "message_ids": [i.message_id for i in items],
            "senders": [i.sender for i in items],
            "observers": [json.dumps(i.observers) for i in items],
            "witnesses": [json.dumps(i.witnesses) for i in items],
            "payloads": [json.dumps(i.payload) for i in items],
        },
    )


_PENDING = text(
    """
    SELECT q.id, q.task_type, q.message_id, q.sender, q.observers, q.witnesses, q.payload,
           q.attempts, q.next_attempt_at, now() AS db_now,
           m.public_id, m.peer_name, m.content, m.token_count, m.created_at, m.seq_in_session
    FROM deriver_queue q JOIN messages m ON m.id = q.message_id
    WHERE q.work_unit_key = :key AND q.status = 'pending'
    ORDER BY q.id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class Backoff:
    """The oldest pending item waits for its retry time; the unit waits with it (order)."""

    until: datetime


async def pending(conn: AsyncConnection, key: str, limit: int) -> list[RowMapping]:
    return list((await conn.execute(_PENDING, {"key": key, "limit": limit})).mappings())


def take_batch(rows: list[RowMapping], max_tokens: int) -> list[RowMapping] | Backoff | None:
    """Consecutive pending items from the oldest, up to `max_tokens` of message text (the first
    always). An item that already failed is retried alone, so one bad message cannot keep
    failing the messages around it."""
    if not rows:
        return None
    first = rows[0]
    if first["next_attempt_at"] is not None and first["next_attempt_at"] > first["db_now"]:
        return Backoff(first["next_attempt_at"])
    if first["attempts"] > 0:
        return [first]
    batch = [first]
    used = first["token_count"]
    for row in rows[1:]:
        if row["attempts"] > 0 or row["payload"] != first["payload"]:
            break
        if used + row["token_count"] > max_tokens:
            break
        batch.append(row)
        used += row["token_count"]
    return batch


_DONE = text(
    """
    UPDATE deriver_queue SET status = 'done', processed_at = now(), error = NULL
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'pending'
    RETURNING id
    """
)


async def mark_done(conn: AsyncConnection, ids: list[int]) -> int:
    """Mark items done; returns how many were still pending (fewer: another worker did them)."""
    return len((await conn.execute(_DONE, {"ids": ids})).all())


_FAIL = text(
    """
    UPDATE deriver_queue
    SET attempts = attempts + 1,
        error = :error,
        status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END,
        processed_at = CASE WHEN attempts + 1 >= :max_attempts THEN now() END,
        next_attempt_at = CASE WHEN attempts + 1 >= :max_attempts THEN NULL
            ELSE now() + make_interval(secs => least(:base * power(2, attempts), :cap)) END
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'pending'
    RETURNING status, attempts, next_attempt_at
    """
)


async def record_failure(
    conn: AsyncConnection,
    ids: list[int],
    error: str,
    *,
    max_attempts: int,
    backoff: float,
    backoff_max: float,
) -> list[RowMapping]:
    params = {
        "ids": ids,
        "error": error[:4000],
        "max_attempts": max_attempts,
        "base": backoff,
        "cap": backoff_max,
    }
    return list((await conn.execute(_FAIL, params)).mappings())


_RETENTION = text(
    """
    DELETE FROM deriver_queue
    WHERE (status = 'done' AND processed_at < now() - make_interval(secs => :done_secs))
       OR (status = 'failed' AND processed_at < now() - make_interval(secs => :failed_secs))
    """
)


async def apply_retention(conn: AsyncConnection, done_secs: int, failed_secs: int) -> None:
    await conn.execute(_RETENTION, {"done_secs": done_secs, "failed_secs": failed_secs})
