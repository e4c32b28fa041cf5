"""Peer cards: a short list of stable facts per (observer, observed). SQL and route rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db.engine import Database
from src.db.tables import peer_cards as t
from src.errors import NotFoundError
from src.peers import repository as peers_repo

MAX_CARD_LINES = 40


async def get_card(
    conn: AsyncConnection, workspace: str, observer: str, observed: str
) -> list[str] | None:
    stmt = select(t.c.card).where(
        t.c.workspace_name == workspace, t.c.observer == observer, t.c.observed == observed
    )
    card = (await conn.execute(stmt)).scalar_one_or_none()
    return list(card) if card is not None else None


async def set_card(
    conn: AsyncConnection, workspace: str, observer: str, observed: str, card: list[str]
) -> None:
    stmt = insert(t).values(
        workspace_name=workspace, observer=observer, observed=observed, card=card
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_name", "observer", "observed"],
        set_={"card": stmt.excluded.card, "updated_at": func.now()},
    )
    await conn.execute(stmt)


def clean_card(lines: list[str]) -> list[str]:
    """Non-empty, de-duplicated lines, without the model's notes to itself, at most 40."""
    seen: set[str] = set()
    cleaned = []
    for line in lines:
        line = line.strip().lstrip("-• ").strip()
        if not line or line.lower().startswith(("note:", "notes:", "note ", "notes ")):
            continue
        if line.lower() not in seen:
            seen.add(line.lower())
            cleaned.append(line)
    return cleaned[:MAX_CARD_LINES]


async def read(db: Database, workspace: str, observer: str, target: str | None) -> list[str] | None:
    async with db.transaction() as conn:
        return await get_card(conn, workspace, observer, target or observer)


async def write(
    db: Database, workspace: str, observer: str, target: str | None, card: list[str]
) -> list[str]:
    observed = target or observer
    async with db.transaction() as conn:
        for name in {observer, observed}:
            if await peers_repo.get(conn, workspace, name) is None:
                raise NotFoundError(f"Peer {name} not found in workspace {workspace}")
        await set_card(conn, workspace, observer, observed, card)
    return card
