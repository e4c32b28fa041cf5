"""Working representations (spec §10): what an observer knows about an observed peer, assembled
from three slices of its observations (semantic match, most derived, most recent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from pydantic import BaseModel
from sqlalchemy import Float, RowMapping, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db.tables import documents as d
from src.observations.repository import vector_literal


class ExplicitItem(BaseModel):
    created_at: datetime
    message_ids: list[int]
    session_name: str | None
    content: str


class DeductiveItem(BaseModel):
    created_at: datetime
    message_ids: list[int]
    session_name: str | None
    premises: list[str]
    conclusion: str


class Representation(BaseModel):
    explicit: list[ExplicitItem] = []
    deductive: list[DeductiveItem] = []

    def render(self) -> str:
        """The text shown to models and counted against token budgets."""
        lines = ["EXPLICIT:", ""]
        for n, e in enumerate(self.explicit, start=1):
            lines.append(f"{n}. [{_stamp(e.created_at)}] {e.content}")
        lines += ["", "DEDUCTIVE:", ""]
        for n, item in enumerate(self.deductive, start=1):
            lines.append(f"{n}. [{_stamp(item.created_at)}] {item.conclusion}")
            lines += [f"    - {p}" for p in item.premises]
        return "\n".join(lines)

    def is_empty(self) -> bool:
        return not self.explicit and not self.deductive


def _stamp(moment: datetime) -> str:
    return str(moment.replace(microsecond=0))


_COLUMNS = (
    d.c.id,
    d.c.level,
    d.c.content,
    d.c.premises,
    d.c.message_ids,
    d.c.session_name,
    d.c.created_at,
    d.c.message_created_at,
)


async def working_representation(
    conn: AsyncConnection,
    workspace: str,
    observer: str,
    observed: str,
    *,
    session: str | None = None,
    query_vector: list[float] | None = None,
    top_k: int | None = None,
    max_distance: float | None = None,
    include_most_derived: bool = False,
    max_observations: int = 50,
) -> Representation:
    n = max_observations
    semantic = min(top_k if top_k is not None else n // 3, n) if query_vector is not None else 0
    if include_most_derived:
        most_derived = min(n // 3 if query_vector is not None else n // 2, n - semantic)
    else:
        most_derived = 0
    recent = n - semantic - most_derived
    view = and_(d.c.workspace_name == workspace, d.c.observer == observer, d.c.observed == observed)
    rows: list[RowMapping] = []
    if semantic and query_vector is not None:
        distance = d.c.embedding.op("<=>", return_type=Float())(
            cast(literal(vector_literal(query_vector)), Vector())
        )
        cond = and_(view, d.c.embedding.is_not(None))
        if max_distance is not None:
            cond = and_(cond, distance < max_distance)
        stmt = select(*_COLUMNS).where(cond).order_by(distance).limit(semantic)
        rows += (await conn.execute(stmt)).mappings().all()
    if most_derived:
        stmt = (
            select(*_COLUMNS)
            .where(view)
            .order_by(d.c.times_derived.desc(), d.c.created_at.desc())
            .limit(most_derived)
        )
        rows += (await conn.execute(stmt)).mappings().all()
    if recent:
        cond = view if session is None else and_(view, d.c.session_name == session)
        stmt = select(*_COLUMNS).where(cond).order_by(d.c.created_at.desc(), d.c.id).limit(recent)
        rows += (await conn.execute(stmt)).mappings().all()
    return build(rows)


def build(rows: list[RowMapping] | list[dict[str, Any]]) -> Representation:
    seen: set[str] = set()
    explicit: list[ExplicitItem] = []
    deductive: list[DeductiveItem] = []
    for row in rows:
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        when = row["message_created_at"] or row["created_at"].replace(microsecond=0)
        common = {
            "created_at": when,
            "message_ids": list(row["message_ids"]),
            "session_name": row["session_name"],
        }
        if row["level"] == "deductive":
            deductive.append(
                DeductiveItem(**common, premises=list(row["premises"]), conclusion=row["content"])
            )
        else:
            explicit.append(ExplicitItem(**common, content=row["content"]))
    explicit.sort(key=lambda e: e.created_at)
    deductive.sort(key=lambda e: e.created_at)
    return Representation(explicit=explicit, deductive=deductive)


async def count_for_view(
    conn: AsyncConnection, workspace: str, observer: str, observed: str
) -> int:
    stmt = select(func.count()).where(
        d.c.workspace_name == workspace, d.c.observer == observer, d.c.observed == observed
    )
    return int((await conn.execute(stmt)).scalar_one())
