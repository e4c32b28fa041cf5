"""Session context (spec §9) and summaries: the summary plus the most recent messages that fit a
token budget, optionally with a peer's representation and card.

The budget is never exceeded, and the cost does not grow with the session: messages are read
newest first along the (workspace, session, id) index, in pages, stopping at the first message
that does not fit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, RowMapping, Text, and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.tokens import count_tokens
from src.db.engine import Database
from src.db.tables import messages as m
from src.db.tables import session_summaries as ss
from src.embeddings.base import Embedder
from src.errors import ValidationError
from src.messages.repository import PUBLIC_COLUMNS
from src.messages.schemas import Message
from src.observations.representation import Representation, working_representation
from src.peers import cards
from src.peers.representation import query_vector

FIRST_PAGE = 128
SUMMARY_SHARE = 0.4
SUMMARY_TYPES = {"short": "honcho_chat_summary_short", "long": "honcho_chat_summary_long"}


class Summary(BaseModel):
    content: str
    message_id: str
    summary_type: str
    created_at: str
    token_count: int

    @classmethod
    def from_row(cls, row: RowMapping) -> Summary:
        created = row["created_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(
            content=row["content"],
            message_id=row["message_public_id"],
            summary_type=SUMMARY_TYPES[row["summary_type"]],
            created_at=created,
            token_count=row["token_count"],
        )


class SessionSummaries(BaseModel):
    id: str
    short_summary: Summary | None
    long_summary: Summary | None


class SessionContext(BaseModel):
    id: str
    messages: list[Message]
    summary: Summary | None
    peer_representation: Representation | None = None
    peer_card: list[str] | None = None


async def load_summaries(
    conn: AsyncConnection, workspace: str, session: str
) -> dict[str, RowMapping]:
    stmt = select(ss).where(ss.c.workspace_name == workspace, ss.c.session_name == session)
    return {r["summary_type"]: r for r in (await conn.execute(stmt)).mappings()}


def choose_summary(summaries: dict[str, RowMapping], budget: int) -> RowMapping | None:
    """The long summary when it fits 40% of the budget and says more than the short one; else
    the short one when it fits; else none."""
    limit = int(budget * SUMMARY_SHARE)
    short, long = summaries.get("short"), summaries.get("long")
    longer = long is not None and (short is None or long["token_count"] > short["token_count"])
    if long is not None and longer and long["token_count"] <= limit:
        return long
    if short is not None and 0 < short["token_count"] <= limit:
        return short
    return None


def _scope(
    workspace: str,
    session: str,
    after_id: int | None,
    window: tuple[datetime, datetime | None] | None,
) -> ColumnElement[bool]:
    cond = and_(m.c.workspace_name == workspace, m.c.session_name == session)
    if after_id is not None:
        cond = and_(cond, m.c.id > after_id)
    if window is not None:
        joined, left = window
        cond = and_(cond, m.c.created_at >= joined)
        if left is not None:
            cond = and_(cond, m.c.created_at <= left)
    return cond


async def _range_within(
    conn: AsyncConnection, scope: ColumnElement[bool], budget: int
) -> tuple[int, int] | None:
    """(oldest, newest) ids of the newest messages whose token counts sum to at most `budget`,
    stopping at the first that does not fit. Reads ids and token counts newest-first from the
    covering index (an index-only scan), in growing pages."""
    used, oldest, newest = 0, None, None
    before: int | None = None
    page = FIRST_PAGE
    while budget > 0:
        cond = scope if before is None else and_(scope, m.c.id < before)
        stmt = select(m.c.id, m.c.token_count).where(cond).order_by(m.c.id.desc()).limit(page)
        rows = (await conn.execute(stmt)).all()
        full = False
        for message_id, tokens in rows:
            if used + tokens > budget:
                full = True
                break
            used += tokens
            oldest = message_id
            newest = newest or message_id
        if full or len(rows) < page:
            break
        before = rows[-1][0]
        page = min(page * 4, 4096)
    return (oldest, newest) if oldest is not None and newest is not None else None


async def recent_within(
    conn: AsyncConnection,
    workspace: str,
    session: str,
    budget: int,
    after_id: int | None,
    window: tuple[datetime, datetime | None] | None = None,
) -> list[RowMapping]:
    """The newest messages (after `after_id`, inside a membership `window` when given) whose
    token counts sum to at most `budget`, oldest first."""
    scope = _scope(workspace, session, after_id, window)
    span = await _range_within(conn, scope, budget)
    if span is None:
        return []
    stmt = select(*PUBLIC_COLUMNS).where(scope, m.c.id.between(*span)).order_by(m.c.id)
    return list((await conn.execute(stmt)).mappings().all())


def _iso(column: ColumnElement[datetime]) -> ColumnElement[str]:
    """Timestamps as pydantic writes them: UTC, 'Z', six-digit microseconds unless zero."""
    utc = func.timezone("UTC", column)
    seconds = func.to_char(utc, literal('YYYY-MM-DD"T"HH24:MI:SS'))
    micros = func.to_char(utc, literal("US"))
    return case(
        (micros == "000000", seconds + "Z"),
        else_=seconds + "." + micros + "Z",
    )


async def recent_within_json(
    conn: AsyncConnection, workspace: str, session: str, budget: int, after_id: int | None
) -> str:
    """`recent_within` as the JSON array of Message objects, built by PostgreSQL: the
    response's hot path does no per-message work in Python."""
    scope = _scope(workspace, session, after_id, None)
    span = await _range_within(conn, scope, budget)
    if span is None:
        return "[]"
    item = func.json_build_object(
        "id",
        m.c.public_id,
        "content",
        m.c.content,
        "peer_id",
        m.c.peer_name,
        "session_id",
        m.c.session_name,
        "metadata",
        m.c.metadata,
        "created_at",
        _iso(m.c.created_at),
        "workspace_id",
        m.c.workspace_name,
        "token_count",
        m.c.token_count,
    )
    ordered = (
        select(m.c.id.label("id"), item.label("item"))
        .where(scope, m.c.id.between(*span))
        .subquery()
    )
    stmt = select(cast(func.json_agg(aggregate_order_by(ordered.c.item, ordered.c.id)), Text))
    result: str | None = (await conn.execute(stmt)).scalar_one()
    return result or "[]"


async def summaries(db: Database, workspace: str, session: str) -> SessionSummaries:
    async with db.transaction() as conn:
        found = await load_summaries(conn, workspace, session)
    return SessionSummaries(
        id=session,
        short_summary=Summary.from_row(found["short"]) if "short" in found else None,
        long_summary=Summary.from_row(found["long"]) if "long" in found else None,
    )


async def session_context(
    db: Database,
    embedder: Embedder | None,
    workspace: str,
    session: str,
    tokens: int,
    *,
    summary: bool = True,
    last_message: str | None = None,
    peer_target: str | None = None,
    peer_perspective: str | None = None,
    limit_to_session: bool = False,
    search_top_k: int | None = None,
    search_max_distance: float | None = None,
    include_most_derived: bool = False,
    max_observations: int = 50,
) -> str:
    """The session context as the JSON body of the route (a SessionContext)."""
    if peer_perspective is not None and peer_target is None:
        raise ValidationError("peer_target must be provided if peer_perspective is provided")
    vector = await query_vector(embedder, last_message) if peer_target else None
    async with db.transaction() as conn:
        rep: Representation | None = None
        card: list[str] | None = None
        budget = tokens
        if peer_target is not None:
            observer = peer_perspective or peer_target
            rep = await working_representation(
                conn,
                workspace,
                observer,
                peer_target,
                session=session if limit_to_session else None,
                query_vector=vector,
                top_k=search_top_k,
                max_distance=search_max_distance,
                include_most_derived=include_most_derived,
                max_observations=max_observations,
            )
            card = await cards.get_card(conn, workspace, observer, peer_target)
            budget -= count_tokens(rep.render()) + count_tokens("\n".join(card or []))
        chosen = None
        if budget > 0 and summary:
            chosen = choose_summary(await load_summaries(conn, workspace, session), budget)
        messages_json = "[]"
        if budget > 0:
            remaining = budget - (chosen["token_count"] if chosen else 0)
            after = chosen["message_id"] if chosen else None
            messages_json = await recent_within_json(conn, workspace, session, remaining, after)
    head = SessionContext(
        id=session,
        messages=[],
        summary=Summary.from_row(chosen) if chosen else None,
        peer_representation=rep,
        peer_card=card,
    ).model_dump_json()
    # The message list comes from PostgreSQL as JSON; session names cannot contain quotes or
    # brackets, so the first empty "messages" key is the field itself.
    return head.replace('"messages":[]', f'"messages":{messages_json}', 1)
