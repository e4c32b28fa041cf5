"""Dialectic chat (spec §11): a model answers natural-language questions about a peer.

What the model is shown is exactly the observer's view: its observations of the observed peer
(semantic matches to the question, the most derived, the most recent, scoped to the session when
one is given), the observer's own card and its card of the target (never the same card twice),
and, with a session, that session's summary and recent messages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from fastapi.sse import format_sse_event
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.tokens import count_tokens
from src.common.validation import Name, SafeText
from src.config import ComponentLLM, Settings
from src.db.engine import Database
from src.db.tables import messages
from src.embeddings.base import Embedder
from src.errors import UnavailableError, UpstreamError
from src.llm.base import ChatMessage, CompletionRequest, Usage
from src.llm.usage import ComponentClient, record_call, timed, tracked_call
from src.observations.representation import working_representation
from src.peers import cards
from src.peers import repository as peers_repo
from src.peers.representation import query_vector
from src.sessions import repository as sessions_repo
from src.sessions.context import choose_summary, load_summaries, recent_within
from src.workspaces import repository as workspaces_repo

from . import prompts

logger = logging.getLogger(__name__)

PROMPT_OVERHEAD = 750


class DialecticOptions(BaseModel):
    query: SafeText = Field(min_length=1, max_length=10_000)
    session_id: Name | None = None
    target: Name | None = None
    stream: bool = False


class DialecticResponse(BaseModel):
    content: str | None


@dataclass(frozen=True)
class Prepared:
    request: CompletionRequest
    session: str | None


def require(component: ComponentClient | None) -> ComponentClient:
    if component is None:
        raise UnavailableError(
            "No LLM is configured for the dialectic. Set one provider's key (LLM_OPENAI_API_KEY, "
            "LLM_ANTHROPIC_API_KEY, LLM_GEMINI_API_KEY, or LLM_OPENAI_COMPATIBLE_BASE_URL with "
            "LLM_OPENAI_COMPATIBLE_MODEL), and optionally DIALECTIC_PROVIDER / DIALECTIC_MODEL."
        )
    return component


async def prepare(
    db: Database,
    settings: Settings,
    embedder: Embedder | None,
    llm: ComponentLLM,
    workspace: str,
    observer: str,
    options: DialecticOptions,
) -> Prepared:
    observed = options.target or observer
    dialectic = settings.dialectic
    vector = await query_vector(embedder, options.query)
    async with db.transaction() as conn:
        await workspaces_repo.ensure(conn, workspace)
        await peers_repo.ensure_many(conn, workspace, [observer])
        rep = await working_representation(
            conn,
            workspace,
            observer,
            observed,
            session=options.session_id,
            query_vector=vector,
            top_k=dialectic.SEMANTIC_SEARCH_TOP_K,
            max_distance=dialectic.SEMANTIC_SEARCH_MAX_DISTANCE,
            include_most_derived=True,
            max_observations=dialectic.MAX_OBSERVATIONS,
        )
        own_card = await cards.get_card(conn, workspace, observer, observer)
        target_card = (
            await cards.get_card(conn, workspace, observer, observed)
            if observed != observer
            else None
        )
        rendered = rep.render()
        budget = dialectic.CONTEXT_WINDOW_SIZE - PROMPT_OVERHEAD - count_tokens(options.query)
        budget -= count_tokens(rendered) + count_tokens(
            "\n".join((own_card or []) + (target_card or []))
        )
        conversation = None
        member = (
            await sessions_repo.member(conn, workspace, options.session_id, observer)
            if options.session_id is not None
            else None
        )
        if options.session_id is not None and member is not None and budget > 0:
            # Only what the observer witnessed: messages inside its membership, and the summary
            # only when that membership spans everything the summary covers.
            window = (member["joined_at"], member["left_at"])
            summaries = await load_summaries(conn, workspace, options.session_id)
            summary = choose_summary(summaries, budget)
            if summary is not None and not await _witnessed_all(
                conn, workspace, options.session_id, summary["message_id"], window
            ):
                summary = None
            remaining = budget - (summary["token_count"] if summary else 0)
            rows = await recent_within(
                conn,
                workspace,
                options.session_id,
                remaining,
                summary["message_id"] if summary else None,
                window,
            )
            parts = []
            if summary is not None:
                parts.append(f"<summary>\n{summary['content']}\n</summary>")
            if rows:
                lines = "\n".join(f"{r['peer_name']}: {r['content']}" for r in rows)
                parts.append(f"<recent_messages>\n{lines}\n</recent_messages>")
            conversation = "\n\n".join(parts) or None
    prompt = prompts.user_prompt(
        observer=observer,
        observed=observed,
        query=options.query,
        own_card=own_card,
        target_card=target_card,
        representation=rendered,
        conversation=conversation,
    )
    request = CompletionRequest(
        model=llm.model,
        system=prompts.SYSTEM,
        messages=[ChatMessage("user", prompt)],
        max_tokens=llm.max_output_tokens,
    )
    return Prepared(request, options.session_id)


async def answer(
    db: Database, component: ComponentClient, workspace: str, prepared: Prepared
) -> DialecticResponse:
    try:
        completion = await tracked_call(
            db,
            component,
            lambda: component.client.complete(prepared.request),
            lambda c: c.usage,
            workspace=workspace,
            session=prepared.session,
        )
    except Exception as exc:
        logger.error("dialectic call failed: %s", exc)
        raise UpstreamError(f"The dialectic model failed: {exc}") from exc
    return DialecticResponse(content=completion.text.strip() or None)


async def _witnessed_all(
    conn: AsyncConnection,
    workspace: str,
    session: str,
    through_id: int,
    window: tuple[datetime, datetime | None],
) -> bool:
    """Whether every message of the session up to `through_id` falls inside the window."""
    first, last = (
        await conn.execute(
            select(func.min(messages.c.created_at), func.max(messages.c.created_at)).where(
                messages.c.workspace_name == workspace,
                messages.c.session_name == session,
                messages.c.id <= through_id,
            )
        )
    ).one()
    joined, left = window
    return first is not None and first >= joined and (left is None or last <= left)


def _frame(content: str | None, done: bool) -> bytes:
    payload = json.dumps({"delta": {"content": content}, "done": done}, ensure_ascii=False)
    return format_sse_event(data_str=payload)


async def stream(
    db: Database, component: ComponentClient, workspace: str, prepared: Prepared
) -> AsyncIterator[bytes]:
    """SSE frames of spec §11.4: one per text delta, then a `done` frame. A failure after the
    first frame can only end the stream (HTTP status is already sent); it is logged."""
    usage = Usage()
    error: str | None = None
    async with timed() as elapsed:
        try:
            async for chunk in component.client.stream(prepared.request):
                if chunk.text:
                    yield _frame(chunk.text, False)
                if chunk.done:
                    usage = chunk.usage
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.error("dialectic stream failed: %s", exc)
    await record_call(
        db,
        component,
        workspace=workspace,
        session=prepared.session,
        usage=usage,
        messages=0,
        seconds=elapsed[0],
        error=error,
    )
    if error is None:
        yield _frame(None, True)
