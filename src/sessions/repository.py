"""SQL for sessions and session membership."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.filters import FilterColumn, FilterSpec, Kind
from src.common.ids import new_id
from src.common.pagination import PageParams
from src.db.tables import messages, peers, session_peers
from src.db.tables import sessions as t

FILTERS = FilterSpec(
    "Session",
    {
        "id": FilterColumn(t.c.name, Kind.TEXT),
        "created_at": FilterColumn(t.c.created_at, Kind.DATETIME),
        "is_active": FilterColumn(t.c.is_active, Kind.BOOL),
        "workspace_id": FilterColumn(t.c.workspace_name, Kind.TEXT),
        "metadata": FilterColumn(t.c.metadata, Kind.JSON),
    },
)
sp = session_peers


def _key(workspace: str, name: str) -> ColumnElement[bool]:
    return and_(t.c.workspace_name == workspace, t.c.name == name)


async def get(conn: AsyncConnection, workspace: str, name: str) -> RowMapping | None:
    return (await conn.execute(select(t).where(_key(workspace, name)))).mappings().one_or_none()


async def insert_if_missing(
    conn: AsyncConnection,
    workspace: str,
    name: str,
    metadata: dict[str, Any],
    configuration: dict[str, Any],
) -> RowMapping | None:
    stmt = (
        insert(t)
        .values(
            id=new_id(),
            workspace_name=workspace,
            name=name,
            metadata=metadata,
            configuration=configuration,
        )
        .on_conflict_do_nothing(index_elements=["workspace_name", "name"])
        .returning(*t.c)
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def update_fields(
    conn: AsyncConnection,
    workspace: str,
    name: str,
    metadata: dict[str, Any] | None,
    configuration: dict[str, Any] | None,
) -> RowMapping:
    """Replace metadata and shallow-merge configuration, when given, of an existing session."""
    changes: dict[str, Any] = {}
    if metadata is not None:
        changes["metadata"] = metadata
    if configuration is not None:
        changes["configuration"] = t.c.configuration.op("||")(literal(configuration, JSONB))
    stmt = update(t).where(_key(workspace, name)).values(**changes).returning(*t.c)
    return (await conn.execute(stmt)).mappings().one()


async def reserve_sequence(
    conn: AsyncConnection, workspace: str, name: str, count: int
) -> RowMapping | None:
    """Hand out `count` sequence numbers. The UPDATE row-locks the session until commit, so
    concurrent batches for one session queue up here and get consecutive, gap-free ranges."""
    stmt = (
        update(t)
        .where(_key(workspace, name))
        .values(last_seq=t.c.last_seq + count)
        .returning(t.c.id, t.c.is_active, t.c.last_seq, t.c.configuration)
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def list_page(
    conn: AsyncConnection, workspace: str, where: ColumnElement[bool], params: PageParams
) -> tuple[list[RowMapping], int]:
    scope = (t.c.workspace_name == workspace) & t.c.is_active & where
    total = (await conn.execute(select(func.count()).select_from(t).where(scope))).scalar_one()
    rows = await conn.execute(
        select(t)
        .where(scope)
        .order_by(t.c.created_at, t.c.id)
        .offset(params.offset)
        .limit(params.size)
    )
    return list(rows.mappings()), total


async def list_page_for_peer(
    conn: AsyncConnection,
    workspace: str,
    peer: str,
    where: ColumnElement[bool],
    params: PageParams,
) -> tuple[list[RowMapping], int]:
    member = (
        select(sp.c.session_name)
        .where(sp.c.workspace_name == workspace, sp.c.peer_name == peer)
        .scalar_subquery()
    )
    scope = (t.c.workspace_name == workspace) & t.c.name.in_(member) & where
    total = (await conn.execute(select(func.count()).select_from(t).where(scope))).scalar_one()
    rows = await conn.execute(
        select(t)
        .where(scope)
        .order_by(t.c.created_at, t.c.id)
        .offset(params.offset)
        .limit(params.size)
    )
    return list(rows.mappings()), total


async def delete(conn: AsyncConnection, workspace: str, name: str) -> bool:
    """Hard delete; messages, memberships and everything derived cascade from the session."""
    result = await conn.execute(t.delete().where(_key(workspace, name)).returning(t.c.id))
    return result.first() is not None


# -- membership ------------------------------------------------------------------------------


async def active_members(conn: AsyncConnection, workspace: str, session: str) -> list[RowMapping]:
    stmt = select(sp).where(
        sp.c.workspace_name == workspace, sp.c.session_name == session, sp.c.left_at.is_(None)
    )
    return list((await conn.execute(stmt)).mappings())


async def member(
    conn: AsyncConnection, workspace: str, session: str, peer: str
) -> RowMapping | None:
    stmt = select(sp).where(
        sp.c.workspace_name == workspace, sp.c.session_name == session, sp.c.peer_name == peer
    )
    return (await conn.execute(stmt)).mappings().one_or_none()


async def join(
    conn: AsyncConnection,
    workspace: str,
    session: str,
    configs: Mapping[str, dict[str, Any]],
    *,
    replace_config: bool,
) -> None:
    """Make the given peers active members (peers must exist). A peer that had left rejoins now
    with the given configuration; an active member keeps its join time, and keeps its stored
    configuration unless `replace_config`."""
    if not configs:
        return
    rows = [
        {"workspace_name": workspace, "session_name": session, "peer_name": p, "configuration": c}
        for p, c in sorted(configs.items())
    ]
    stmt = insert(sp).values(rows)
    was_left = sp.c.left_at.is_not(None)
    keep_or_new = stmt.excluded.configuration if replace_config else sp.c.configuration
    from sqlalchemy import case

    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_name", "session_name", "peer_name"],
        set_={
            "configuration": case((was_left, stmt.excluded.configuration), else_=keep_or_new),
            "joined_at": case((was_left, func.now()), else_=sp.c.joined_at),
            "left_at": None,
        },
    )
    await conn.execute(stmt)


_JOIN_AUTHORS = text(
    """
    INSERT INTO session_peers (workspace_name, session_name, peer_name, configuration)
    SELECT :workspace, :session, p.name, '{}'::jsonb
    FROM unnest(CAST(:peers AS text[])) AS p(name)
    ORDER BY p.name
    ON CONFLICT (workspace_name, session_name, peer_name)
    DO UPDATE SET left_at = NULL, joined_at = now()
    WHERE session_peers.left_at IS NOT NULL
    """
)


async def join_authors(
    conn: AsyncConnection, workspace: str, session: str, authors: list[str]
) -> None:
    """Message authors become members; departed ones rejoin. Writes nothing for active members."""
    await conn.execute(
        _JOIN_AUTHORS,
        {"workspace": workspace, "session": session, "peers": sorted(set(authors))},
    )


async def leave(
    conn: AsyncConnection, workspace: str, session: str, peers_: list[str] | None
) -> None:
    """Mark the listed active members (all, when `peers_` is None) as having left now."""
    cond = and_(
        sp.c.workspace_name == workspace, sp.c.session_name == session, sp.c.left_at.is_(None)
    )
    if peers_ is not None:
        cond = cond & sp.c.peer_name.in_(peers_)
    await conn.execute(update(sp).where(cond).values(left_at=func.now()))


async def set_member_config(
    conn: AsyncConnection, workspace: str, session: str, peer: str, patch: dict[str, Any]
) -> None:
    """Merge `patch` into the membership's configuration, creating the membership if needed."""
    stmt = insert(sp).values(
        workspace_name=workspace, session_name=session, peer_name=peer, configuration=patch
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_name", "session_name", "peer_name"],
        set_={"configuration": sp.c.configuration.op("||")(stmt.excluded.configuration)},
    )
    await conn.execute(stmt)


async def member_peers_page(
    conn: AsyncConnection, workspace: str, session: str, params: PageParams
) -> tuple[list[RowMapping], int]:
    scope = and_(
        sp.c.workspace_name == workspace, sp.c.session_name == session, sp.c.left_at.is_(None)
    )
    joined = sp.join(
        peers, and_(peers.c.workspace_name == sp.c.workspace_name, peers.c.name == sp.c.peer_name)
    )
    total = (await conn.execute(select(func.count()).select_from(sp).where(scope))).scalar_one()
    stmt = (
        select(peers)
        .select_from(joined)
        .where(scope)
        .order_by(sp.c.joined_at, sp.c.peer_name)
        .offset(params.offset)
        .limit(params.size)
    )
    return list((await conn.execute(stmt)).mappings()), total


# -- clone -----------------------------------------------------------------------------------


async def clone(
    conn: AsyncConnection, workspace: str, source: RowMapping, cutoff_id: int | None
) -> RowMapping:
    """Copy a session with its memberships and its messages (all, or up to `cutoff_id`)."""
    name = new_id()
    cond = and_(messages.c.workspace_name == workspace, messages.c.session_name == source["name"])
    if cutoff_id is not None:
        cond = cond & (messages.c.id <= cutoff_id)
    last_seq = (
        await conn.execute(
            select(func.coalesce(func.max(messages.c.seq_in_session), 0)).where(cond)
        )
    ).scalar_one()
    row = (
        (
            await conn.execute(
                insert(t)
                .values(
                    id=new_id(),
                    workspace_name=workspace,
                    name=name,
                    metadata=source["metadata"],
                    configuration=source["configuration"],
                    last_seq=last_seq,
                )
                .returning(*t.c)
            )
        )
        .mappings()
        .one()
    )
    await conn.execute(
        insert(sp).from_select(
            [
                "workspace_name",
                "session_name",
                "peer_name",
                "configuration",
                "joined_at",
                "left_at",
            ],
            select(
                sp.c.workspace_name,
                literal(name),
                sp.c.peer_name,
                sp.c.configuration,
                sp.c.joined_at,
                sp.c.left_at,
            ).where(sp.c.workspace_name == workspace, sp.c.session_name == source["name"]),
        )
    )
    # Public ids are random per row: md5 of a fresh uuid, cut to the 21-char id alphabet.
    fresh_id = func.substr(
        func.translate(
            func.encode(
                func.decode(func.md5(func.gen_random_uuid().cast(_text())), "hex"), "base64"
            ),
            "+/=",
            "-_",
        ),
        1,
        21,
    )
    await conn.execute(
        insert(messages).from_select(
            [
                "public_id",
                "workspace_name",
                "session_name",
                "peer_name",
                "content",
                "metadata",
                "internal_metadata",
                "token_count",
                "seq_in_session",
                "created_at",
            ],
            select(
                fresh_id,
                messages.c.workspace_name,
                literal(name),
                messages.c.peer_name,
                messages.c.content,
                messages.c.metadata,
                messages.c.internal_metadata,
                messages.c.token_count,
                messages.c.seq_in_session,
                messages.c.created_at,
            )
            .where(cond)
            .order_by(messages.c.id),
        )
    )
    return row


def _text() -> Any:
    from sqlalchemy import Text

    return Text()
