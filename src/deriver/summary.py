"""The summary task: a session's short and long running summaries.

The item for message n (n a multiple of the cadence) produces a summary covering the session's
messages up to and including n, built from the previous summary of that kind plus the messages
after its boundary. The boundary is stored exactly: `message_id`/`message_seq` are message n's.
"""

from __future__ import annotations

import logging
from functools import partial

from sqlalchemy import RowMapping, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.tokens import count_tokens
from src.db.tables import session_summaries
from src.deriver import queue
from src.deriver.prompts import LONG_EXTRA, SUMMARY_SYSTEM, summary_prompt
from src.deriver.representation import NoLLMConfigured
from src.deriver.runtime import Runtime
from src.llm.base import ChatMessage, CompletionRequest
from src.llm.usage import tracked_call

logger = logging.getLogger(__name__)

# At most this many messages are fed to one summary call (the newest ones win).
MAX_MESSAGES = 400

_PREVIOUS = text(
    """
    SELECT content, message_id FROM session_summaries
    WHERE workspace_name = :workspace AND session_name = :session AND summary_type = :kind
    """
)
_MESSAGES = text(
    """
    SELECT peer_name, content FROM (
        SELECT id, peer_name, content FROM messages
        WHERE workspace_name = :workspace AND session_name = :session
          AND id > :after AND id <= :through
        ORDER BY id DESC LIMIT :limit
    ) recent ORDER BY id
    """
)


async def _inputs(
    conn: AsyncConnection, workspace: str, session: str, kind: str, through: int
) -> tuple[str | None, list[tuple[str, str]]]:
    key = {"workspace": workspace, "session": session}
    previous = (await conn.execute(_PREVIOUS, {**key, "kind": kind})).mappings().one_or_none()
    after = previous["message_id"] if previous else 0
    rows = await conn.execute(
        _MESSAGES, {**key, "after": after, "through": through, "limit": MAX_MESSAGES}
    )
    return (previous["content"] if previous else None), [(r[0], r[1]) for r in rows]


async def run_item(rt: Runtime, workspace: str, session: str, row: RowMapping) -> None:
    component = rt.summary
    if component is None:
        raise NoLLMConfigured("no LLM is configured for summaries (set SUMMARY_PROVIDER)")
    settings = rt.settings.summary
    summaries: list[dict[str, object]] = []
    for kind in row["payload"].get("kinds", []):
        async with rt.db.transaction() as conn:
            previous, messages = await _inputs(conn, workspace, session, kind, row["message_id"])
        if not messages:
            continue
        limit = settings.MAX_TOKENS_LONG if kind == "long" else settings.MAX_TOKENS_SHORT
        words = max(50, int(limit * 0.75))
        request = CompletionRequest(
            model=component.llm.model,
            system=SUMMARY_SYSTEM.format(
                long_extra=LONG_EXTRA if kind == "long" else "", words=words
            ),
            messages=[ChatMessage("user", summary_prompt(previous, messages))],
            max_tokens=limit,
            temperature=0.0,
        )
        completion = await tracked_call(
            rt.db,
            component,
            partial(component.client.complete, request),
            lambda c: c.usage,
            workspace=workspace,
            session=session,
            messages=len(messages),
        )
        content = completion.text.strip()
        if not content:
            raise ValueError(f"the model returned an empty {kind} summary")
        summaries.append(
            {
                "workspace_name": workspace,
                "session_name": session,
                "summary_type": kind,
                "content": content,
                "message_id": row["message_id"],
                "message_public_id": row["public_id"],
                "message_seq": row["seq_in_session"],
                "token_count": count_tokens(content),
            }
        )
    async with rt.db.transaction() as conn:
        if await queue.mark_done(conn, [row["id"]]) != 1:
            await conn.rollback()
            return
        for values in summaries:
            stmt = insert(session_summaries).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["workspace_name", "session_name", "summary_type"],
                set_={
                    k: stmt.excluded[k]
                    for k in values
                    if k not in ("workspace_name", "session_name", "summary_type")
                }
                | {"created_at": stmt.excluded.created_at},
            )
            await conn.execute(stmt)
    for values in summaries:
        logger.info(
            "summarised %s/%s (%s) through message %s",
            workspace,
            session,
            values["summary_type"],
            values["message_seq"],
        )
