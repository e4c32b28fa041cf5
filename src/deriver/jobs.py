"""SQL against procrastinate's job table, for work enqueued inside our own transactions.

A job names a work unit (`<kind>:<workspace>:<session>`) and carries it as its procrastinate
`lock`, so one unit's jobs run one at a time, in order, across every worker process. Jobs are
wake-ups, not work: the work is the pending rows of `deriver_queue`, so duplicate jobs are harmless
no-ops and a lost job is recreated by `reconcile`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

QUEUE = "deriver"
TASK = "derive"

_DEFER = text(
    """
    INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, scheduled_at)
    SELECT :queue, :task, CAST(:key AS text), jsonb_build_object('key', CAST(:key AS text)),
           CAST(:at AS timestamptz)
    WHERE NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs WHERE lock = CAST(:key AS text) AND status = 'todo'
    )
    """
)

# Units with runnable pending work but no job to run it (a worker died, or shut down mid-unit).
_RECONCILE = text(
    """
    INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args)
    SELECT :queue, :task, u.key, jsonb_build_object('key', u.key)
    FROM (SELECT DISTINCT work_unit_key AS key FROM deriver_queue WHERE status = 'pending') AS u
    WHERE NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs j
        WHERE j.lock = u.key AND j.status IN ('todo', 'doing')
    )
    RETURNING lock
    """
)

# Successful jobs delete themselves; aborted or failed ones (a worker stopped mid-batch) are kept a
# day for inspection. Their work is never lost with them: it is the pending deriver_queue rows.
_PRUNE = text(
    """
    DELETE FROM procrastinate_jobs j
    WHERE j.status IN ('failed', 'cancelled', 'aborted')
      AND NOT EXISTS (
          SELECT 1 FROM procrastinate_events e
          WHERE e.job_id = j.id AND e.at > now() - interval '1 day'
      )
    """
)


def unit_key(kind: str, workspace: str, session: str) -> str:
    return f"{kind}:{workspace}:{session}"


def parse_unit_key(key: str) -> tuple[str, str, str]:
    kind, workspace, session = key.split(":", 2)
    return kind, workspace, session


async def defer(conn: AsyncConnection, key: str, at: datetime | None = None) -> None:
    """Wake a worker for `key` (at `at`), unless a job for it is already waiting."""
    await conn.execute(_DEFER, {"queue": QUEUE, "task": TASK, "key": key, "at": at})


async def reconcile(conn: AsyncConnection) -> list[str]:
    result = await conn.execute(_RECONCILE, {"queue": QUEUE, "task": TASK})
    return [row[0] for row in result]


async def prune(conn: AsyncConnection) -> None:
    await conn.execute(_PRUNE)
