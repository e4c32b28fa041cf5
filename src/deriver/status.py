"""`GET /v2/workspaces/{w}/deriver/status`: what the queue holds for a workspace.

Counts are of queue items (one per message and view set, or per summary trigger). `pending`
items wait for a worker, `in_progress` ones belong to a unit a worker is processing now,
`completed` are done, `failed` gave up after DERIVER_MAX_ATTEMPTS (their errors are listed).
The SDK's `poll_deriver_status` waits for pending + in_progress to reach 0. Webhook deliveries
are not derivation and are not counted (a dead endpoint must not hold up that poll), but those
that failed for good are listed in `recent_failures` (task_type `webhook`, no session).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from src.auth.tokens import Principal
from src.config import Settings
from src.db.engine import Database
from src.errors import ForbiddenError

_COUNTS = text(
    """
    SELECT q.session_name,
           CASE WHEN q.status = 'pending' AND d.lock IS NOT NULL THEN 'in_progress'
                ELSE q.status END AS state,
           count(*) AS n
    FROM deriver_queue q
    LEFT JOIN (SELECT DISTINCT lock FROM procrastinate_jobs WHERE status = 'doing') d
           ON d.lock = q.work_unit_key
    WHERE q.workspace_name = :workspace AND q.task_type <> 'webhook'
      AND (CAST(:session AS text) IS NULL OR q.session_name = :session)
      AND (CAST(:sender AS text) IS NULL OR q.sender = :sender)
      AND (CAST(:observer AS text) IS NULL OR :observer = ANY(q.observers))
    GROUP BY 1, 2
    """
)
_ERRORS = text(
    """
    SELECT session_name, task_type, error, attempts, processed_at FROM deriver_queue
    WHERE workspace_name = :workspace AND status = 'failed'
      AND (CAST(:session AS text) IS NULL OR session_name = :session)
    ORDER BY processed_at DESC LIMIT 5
    """
)


_USAGE = text(
    """
    SELECT component, count(*) AS calls, count(*) FILTER (WHERE NOT ok) AS errors,
           coalesce(sum(input_tokens), 0) AS input_tokens,
           coalesce(sum(output_tokens), 0) AS output_tokens,
           coalesce(sum(messages), 0) AS messages
    FROM llm_calls
    WHERE workspace_name = :workspace
      AND (CAST(:session AS text) IS NULL OR session_name = :session)
    GROUP BY component
    """
)


class ComponentUsage(BaseModel):
    """LLM calls made for this workspace (or session), for cost reporting."""

    calls: int
    errors: int
    input_tokens: int
    output_tokens: int
    messages: int


class UnitCounts(BaseModel):
    total_work_units: int = 0
    completed_work_units: int = 0
    in_progress_work_units: int = 0
    pending_work_units: int = 0
    failed_work_units: int = 0

    def add(self, state: str, n: int) -> None:
        self.total_work_units += n
        if state == "done":
            self.completed_work_units += n
        elif state == "in_progress":
            self.in_progress_work_units += n
        elif state == "pending":
            self.pending_work_units += n
        else:
            self.failed_work_units += n


class SessionCounts(UnitCounts):
    session_id: str


class FailedItem(BaseModel):
    session_id: str | None  # None: a webhook delivery
    task_type: str
    error: str | None
    attempts: int
    failed_at: str | None


class Derivation(BaseModel):
    enabled: bool
    representation: str | None
    summaries: str | None
    detail: str


class DeriverStatus(UnitCounts):
    sessions: dict[str, SessionCounts] | None = None
    recent_failures: list[FailedItem] = []
    llm_usage: dict[str, ComponentUsage] = {}
    derivation: Derivation


def derivation_state(settings: Settings) -> Derivation:
    rep, summ = settings.component_llm("deriver"), settings.component_llm("summary")
    enabled = rep is not None or (summ is not None and settings.summary.ENABLED)
    return Derivation(
        enabled=enabled,
        representation=f"{rep.provider}/{rep.model}" if rep else None,
        summaries=f"{summ.provider}/{summ.model}" if summ and settings.summary.ENABLED else None,
        detail="derivation is on"
        if enabled
        else "derivation is off: no LLM is configured (set LLM_OPENAI_API_KEY, "
        "LLM_ANTHROPIC_API_KEY, LLM_GEMINI_API_KEY or LLM_OPENAI_COMPATIBLE_BASE_URL)",
    )


def authorize(
    principal: Principal,
    workspace: str,
    session: str | None,
    observer: str | None,
    sender: str | None,
) -> None:
    """Workspace keys see everything; a session key its session; a peer key its own views."""
    if principal.may_workspace(workspace):
        return
    if session is not None and principal.may_session(workspace, session):
        return
    peer = observer or sender
    if (
        peer is not None
        and principal.may_peer(workspace, peer)
        and observer in (None, peer)
        and sender in (None, peer)
    ):
        return
    raise ForbiddenError("This token is not permitted to read this workspace's deriver status")


async def status(
    db: Database,
    settings: Settings,
    workspace: str,
    session: str | None,
    observer: str | None,
    sender: str | None,
) -> DeriverStatus:
    params: dict[str, Any] = {
        "workspace": workspace,
        "session": session,
        "observer": observer,
        "sender": sender,
    }
    async with db.transaction() as conn:
        rows = (await conn.execute(_COUNTS, params)).mappings().all()
        errors = (await conn.execute(_ERRORS, params)).mappings().all()
        usage = (await conn.execute(_USAGE, params)).mappings().all()
    result = DeriverStatus(derivation=derivation_state(settings))
    per_session: dict[str, SessionCounts] = {}
    for row in rows:
        result.add(row["state"], row["n"])
        name = row["session_name"]
        per_session.setdefault(name, SessionCounts(session_id=name)).add(row["state"], row["n"])
    if session is None and per_session:
        result.sessions = dict(sorted(per_session.items()))
    result.llm_usage = {
        u["component"]: ComponentUsage(**{k: v for k, v in u.items() if k != "component"})
        for u in usage
    }
    result.recent_failures = [
        FailedItem(
            session_id=e["session_name"],
            task_type=e["task_type"],
            error=e["error"],
            attempts=e["attempts"],
            failed_at=e["processed_at"].isoformat() if e["processed_at"] else None,
        )
        for e in errors
    ]
    return result
