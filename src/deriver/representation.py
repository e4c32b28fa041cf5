"""The representation task: facts about the speakers of a batch of new messages, for every view.

One LLM call per batch, whatever the number of observers: facts are extracted once and then
routed. A fact about speaker S goes to S's global view, and to the local view of each observer O
that was in the session for every message the fact rests on (the `witnesses` frozen at write
time). Attribution is enforced here, not trusted to the model: a fact must name the author of the
messages it cites, or it is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.deriver import queue
from src.deriver.prompts import (
    PEER_CARD_SYSTEM,
    REPRESENTATION_SYSTEM,
    CardUpdate,
    ExtractedFact,
    Extraction,
    peer_card_prompt,
    representation_prompt,
)
from src.deriver.runtime import Runtime
from src.llm.base import ChatMessage, CompletionRequest
from src.llm.usage import ComponentClient, tracked_call
from src.observations import repository as documents
from src.observations.repository import NewDocument
from src.peers import cards

logger = logging.getLogger(__name__)

KNOWN_FACTS_PER_PEER = 15
HISTORY_ROWS = 40


class NoLLMConfigured(RuntimeError):
    pass


@dataclass(frozen=True)
class BatchMessage:
    item_id: int
    message_id: int
    number: int
    sender: str
    content: str
    created_at: datetime
    observers: frozenset[str]
    witnesses: frozenset[str]


def to_batch(rows: list[RowMapping]) -> list[BatchMessage]:
    return [
        BatchMessage(
            item_id=r["id"],
            message_id=r["message_id"],
            number=n,
            sender=r["sender"],
            content=r["content"],
            created_at=r["created_at"],
            observers=frozenset(r["observers"]),
            witnesses=frozenset(r["witnesses"]),
        )
        for n, r in enumerate(rows, start=1)
    ]


@dataclass
class Attribution:
    documents: list[NewDocument]
    dropped: int


def attribute(
    workspace: str, session: str, batch: list[BatchMessage], facts: list[ExtractedFact]
) -> Attribution:
    """Route each fact to the views entitled to it; drop what cannot be credited to its speaker."""
    by_number = {m.number: m for m in batch}
    senders = {m.sender.lower(): m.sender for m in batch}
    routed: list[NewDocument] = []
    dropped = 0
    for fact in facts:
        peer = senders.get(fact.peer.strip().lower())
        content = fact.content.strip()
        if peer is None or not content:
            dropped += 1  # about someone who did not speak in this batch
            continue
        sources = [by_number[n] for n in dict.fromkeys(fact.sources) if n in by_number]
        if not sources:  # the model left out its sources: the speaker's messages of the batch
            sources = [m for m in batch if m.sender == peer]
        own = [m for m in sources if m.sender == peer]
        if not own:
            dropped += 1  # cites only other people's messages: not this speaker's fact
            continue
        views: set[str] = set.intersection(*(set(m.observers) for m in own))
        local = views - {peer}
        for m in sources:
            local &= m.witnesses  # an observer must have seen every message the fact rests on
        targets = ({peer} & views) | local
        for observer in sorted(targets):
            routed.append(
                NewDocument(
                    workspace=workspace,
                    observer=observer,
                    observed=peer,
                    session=session,
                    content=content,
                    level=fact.level,
                    premises=[p.strip() for p in fact.premises if p.strip()]
                    if fact.level == "deductive"
                    else [],
                    message_ids=sorted({m.message_id for m in sources}),
                    message_created_at=max(m.created_at for m in sources),
                )
            )
    return Attribution(routed, dropped)


_HISTORY = text(
    """
    SELECT peer_name, content, created_at, token_count FROM messages
    WHERE workspace_name = :workspace AND session_name = :session AND id < :before
    ORDER BY id DESC LIMIT :limit
    """
)
_SUMMARY = text(
    """
    SELECT content FROM session_summaries
    WHERE workspace_name = :workspace AND session_name = :session AND message_id < :before
    ORDER BY message_id DESC LIMIT 1
    """
)


@dataclass
class Context:
    summary: str | None
    history: list[tuple[datetime, str, str]]
    known_facts: dict[str, list[str]]


async def load_context(
    conn: AsyncConnection, rt: Runtime, workspace: str, session: str, batch: list[BatchMessage]
) -> Context:
    """What the model sees before the new messages: this session's recent conversation and the
    facts already derived from this session (never another session's, which some observers of
    this one did not witness)."""
    first = batch[0].message_id
    key = {"workspace": workspace, "session": session, "before": first}
    rows = (await conn.execute(_HISTORY, {**key, "limit": HISTORY_ROWS})).mappings()
    budget = rt.settings.deriver.HISTORY_MAX_TOKENS
    history: list[tuple[datetime, str, str]] = []
    for row in rows:
        budget -= row["token_count"]
        if budget < 0:
            break
        history.append((row["created_at"], row["peer_name"], row["content"]))
    history.reverse()
    summary = (await conn.execute(_SUMMARY, key)).scalar_one_or_none()
    known: dict[str, list[str]] = {}
    for sender in sorted({m.sender for m in batch}):
        facts = await documents.recent_contents(
            conn, workspace, sender, sender, session, KNOWN_FACTS_PER_PEER
        )
        if facts:
            known[sender] = facts
    return Context(summary, history, known)


async def run_batch(rt: Runtime, workspace: str, session: str, rows: list[RowMapping]) -> None:
    component = rt.deriver
    if component is None:
        raise NoLLMConfigured(
            "no LLM is configured for the deriver (set DERIVER_PROVIDER and its LLM_*_API_KEY)"
        )
    batch = to_batch(rows)
    async with rt.db.transaction() as conn:
        context = await load_context(conn, rt, workspace, session, batch)
    prompt = representation_prompt(
        sorted({m.sender for m in batch}),
        context.known_facts,
        context.summary,
        context.history,
        [(m.number, m.created_at, m.sender, m.content) for m in batch],
    )
    system = REPRESENTATION_SYSTEM
    instructions = rows[0]["payload"].get("instructions")
    if isinstance(instructions, str) and instructions.strip():
        # deriver.custom_instructions: the application's guidance, after our rules.
        system += f"\n\nInstructions from the application:\n{instructions.strip()}"
    request = CompletionRequest(
        model=component.llm.model,
        system=system,
        messages=[ChatMessage("user", prompt)],
        max_tokens=component.llm.max_output_tokens,
        temperature=0.0,
        schema_name="extraction",
    )
    result = await tracked_call(
        rt.db,
        component,
        lambda: component.client.complete_structured(request, Extraction),
        lambda r: r.usage,
        workspace=workspace,
        session=session,
        messages=len(batch),
    )
    attribution = attribute(workspace, session, batch, result.value.facts)
    docs = attribution.documents
    if rt.embedder is not None and docs:
        unique = sorted({d.content for d in docs})
        vectors = dict(zip(unique, await rt.embedder.embed(unique), strict=True))
        docs = [replace(d, embedding=vectors[d.content]) for d in docs]
    by_view: dict[tuple[str, str], list[str]] = defaultdict(list)
    for doc in docs:
        by_view[(doc.observer, doc.observed)].append(doc.content)
    new_cards: dict[tuple[str, str], list[str]] = {}
    if rows[0]["payload"].get("peer_card", {}).get("create", True) and by_view:
        # Before the write: the cards commit with the facts, so a drained queue means the
        # cards are current too, and a crash cannot leave half a batch applied.
        new_cards = await revise_cards(rt, workspace, session, by_view)
    async with rt.db.transaction() as conn:
        item_ids = [m.item_id for m in batch]
        if await queue.mark_done(conn, item_ids) != len(item_ids):
            await conn.rollback()
            logger.info("batch of %s/%s already done by another worker", workspace, session)
            return
        fresh, bumped = await _dedupe(conn, rt, docs)
        await documents.insert_many(conn, fresh)
        for (observer, observed), card in new_cards.items():
            await cards.set_card(conn, workspace, observer, observed, card)
    logger.info(
        "derived %s/%s: %d messages -> %d new facts, %d repeats, %d dropped, %d cards",
        workspace,
        session,
        len(batch),
        len(fresh),
        bumped,
        attribution.dropped,
        len(new_cards),
    )


async def _dedupe(
    conn: AsyncConnection, rt: Runtime, docs: list[NewDocument]
) -> tuple[list[NewDocument], int]:
    """Near-duplicates of stored facts (or of each other) count as re-derivations."""
    fresh: list[NewDocument] = []
    seen: set[tuple[str, str, str]] = set()
    bumped = 0
    for doc in docs:
        key = (doc.observer, doc.observed, " ".join(doc.content.lower().split()))
        if key in seen:
            continue
        seen.add(key)
        if rt.settings.deriver.DEDUPLICATE:
            existing = await documents.find_duplicate(
                conn, doc, rt.settings.deriver.DEDUPLICATE_MAX_DISTANCE
            )
            if existing is not None:
                await documents.bump(conn, existing, doc.message_ids)
                bumped += 1
                continue
        fresh.append(doc)
    return fresh, bumped


async def revise_cards(
    rt: Runtime, workspace: str, session: str, facts_by_view: dict[tuple[str, str], list[str]]
) -> dict[tuple[str, str], list[str]]:
    """The revised card of every view that learned something (views whose card should not
    change are left out). Best effort: a failed call is logged and recorded, and that card
    simply stays as it was."""
    component = rt.peer_card
    if component is None or not rt.settings.peer_card.ENABLED:
        return {}
    views = sorted(facts_by_view)
    revised = await asyncio.gather(
        *(
            _revise_card(
                rt,
                component,
                workspace,
                session,
                observer,
                observed,
                facts_by_view[(observer, observed)],
            )
            for observer, observed in views
        )
    )
    return {view: card for view, card in zip(views, revised, strict=True) if card}


async def _revise_card(
    rt: Runtime,
    component: ComponentClient,
    workspace: str,
    session: str,
    observer: str,
    observed: str,
    facts: list[str],
) -> list[str] | None:
    async with rt.db.transaction() as conn:
        old = await cards.get_card(conn, workspace, observer, observed) or []
    request = CompletionRequest(
        model=component.llm.model,
        system=PEER_CARD_SYSTEM.format(max_lines=cards.MAX_CARD_LINES),
        messages=[ChatMessage("user", peer_card_prompt(observed, old, facts))],
        max_tokens=component.llm.max_output_tokens,
        temperature=0.0,
        schema_name="peer_card",
    )
    try:
        result = await tracked_call(
            rt.db,
            component,
            lambda: component.client.complete_structured(request, CardUpdate),
            lambda r: r.usage,
            workspace=workspace,
            session=session,
        )
    except Exception as exc:
        logger.error("peer card update for %s->%s failed: %s", observer, observed, exc)
        return None
    card = cards.clean_card(result.value.card or [])
    return card if card and card != old else None
