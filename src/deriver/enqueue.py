"""Enqueue derivation work for new messages, inside the transaction that writes them.

Everything the deriver needs to know about the moment a message was written is frozen into its
queue item: the resolved configuration (spec §5.3), whose views it feeds (`observers`) and who was
in the session to see it (`witnesses`). Later membership changes cannot leak a message into the
view of a peer that was not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.configuration import resolve
from src.config import Settings
from src.deriver import jobs
from src.deriver.queue import NewItem, insert_items

_CONTEXT = text(
    """
    SELECT w.configuration AS workspace_configuration, sp.peer_name,
           sp.configuration AS member_configuration, p.configuration AS peer_configuration
    FROM workspaces w
    LEFT JOIN session_peers sp
           ON sp.workspace_name = w.name AND sp.session_name = :session AND sp.left_at IS NULL
    LEFT JOIN peers p ON p.workspace_name = sp.workspace_name AND p.name = sp.peer_name
    WHERE w.name = :workspace
    """
)


@dataclass(frozen=True)
class DerivationPlan:
    """What this process enqueues: only work some configured LLM can do."""

    representation: bool
    summary: bool
    embed: bool  # message embeddings through the queue
    embed_synchronously: bool  # message embeddings in the write request
    defaults: dict[str, Any]

    @property
    def anything(self) -> bool:
        return self.representation or self.summary or self.embed


def plan(settings: Settings) -> DerivationPlan:
    from src.embeddings.registry import resolve_provider

    card = settings.peer_card.ENABLED
    embeds = settings.app.EMBED_MESSAGES and resolve_provider(settings) is not None
    return DerivationPlan(
        representation=settings.component_llm("deriver") is not None,
        summary=settings.summary.ENABLED and settings.component_llm("summary") is not None,
        embed=embeds and not settings.app.EMBED_MESSAGES_SYNCHRONOUSLY,
        embed_synchronously=embeds and settings.app.EMBED_MESSAGES_SYNCHRONOUSLY,
        defaults={
            "deriver": {"enabled": True},
            "peer_card": {"use": card, "create": card},
            "summary": {
                "enabled": settings.summary.ENABLED,
                "messages_per_short_summary": settings.summary.MESSAGES_PER_SHORT_SUMMARY,
                "messages_per_long_summary": settings.summary.MESSAGES_PER_LONG_SUMMARY,
            },
        },
    )


def _observes_self(member: dict[str, Any] | None, peer: dict[str, Any] | None) -> bool:
    """Session-level observe_me wins over the peer's; absent means observed."""
    if member is not None and member.get("observe_me") is not None:
        return member["observe_me"] is not False
    return not (peer is not None and peer.get("observe_me") is False)


async def enqueue(
    conn: AsyncConnection,
    derivation: DerivationPlan,
    workspace: str,
    session: str,
    session_configuration: dict[str, Any],
    messages: list[RowMapping],
    message_configurations: list[dict[str, Any] | None],
) -> None:
    if not derivation.anything:
        return
    rows = list(
        (await conn.execute(_CONTEXT, {"workspace": workspace, "session": session})).mappings()
    )
    workspace_configuration = rows[0]["workspace_configuration"] if rows else {}
    members = {r["peer_name"]: r for r in rows if r["peer_name"] is not None}
    witnesses = sorted(members)
    observing_others = [
        name
        for name, r in members.items()
        if r["member_configuration"].get("observe_others") is True
    ]
    embed_key = jobs.unit_key("embed", workspace, session)
    representation_key = jobs.unit_key("representation", workspace, session)
    summary_key = jobs.unit_key("summary", workspace, session)
    items: list[NewItem] = []
    for message, message_configuration in zip(messages, message_configurations, strict=True):
        if derivation.embed:
            items.append(NewItem(workspace, session, embed_key, "embed", message["id"]))
        config = resolve(
            derivation.defaults,
            workspace_configuration,
            session_configuration,
            message_configuration,
        )
        summary = config.get("summary", {})
        if derivation.summary and summary.get("enabled", True):
            seq = message["seq_in_session"]
            kinds = [
                kind
                for kind, every in (
                    ("short", summary.get("messages_per_short_summary")),
                    ("long", summary.get("messages_per_long_summary")),
                )
                if isinstance(every, int) and every > 0 and seq % every == 0
            ]
            if kinds:
                items.append(
                    NewItem(
                        workspace,
                        session,
                        summary_key,
                        "summary",
                        message["id"],
                        payload={"kinds": kinds, "summary": summary},
                    )
                )
        if not (derivation.representation and config.get("deriver", {}).get("enabled", True)):
            continue
        sender = message["peer_name"]
        member = members.get(sender)
        if not _observes_self(
            member["member_configuration"] if member else None,
            member["peer_configuration"] if member else None,
        ):
            continue  # an unobserved sender feeds no view at all, global or local
        observers = [sender, *sorted(o for o in observing_others if o != sender)]
        items.append(
            NewItem(
                workspace,
                session,
                representation_key,
                "representation",
                message["id"],
                sender=sender,
                observers=observers,
                witnesses=witnesses,
                payload={
                    "peer_card": config.get("peer_card", {}),
                    "instructions": config.get("deriver", {}).get("custom_instructions"),
                },
            )
        )
    if not items:
        return
    await insert_items(conn, items)
    for key in sorted({item.key for item in items}):
        await jobs.defer(conn, key)
