"""Rules for session membership and per-session peer configuration (spec §5.5, §6.4.6)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from src.common.configuration import SessionPeerConfig
from src.common.pagination import Page, PageParams, make_page
from src.config import Settings
from src.db.engine import Database
from src.errors import BadRequestError, NotFoundError
from src.peers import repository as peers_repo
from src.peers.schemas import Peer
from src.sessions import repository as repo
from src.sessions.lookup import get_active, get_or_create_row
from src.sessions.schemas import PeerConfigMap, Session


def _as_stored(config: SessionPeerConfig) -> dict[str, bool | None]:
    return {"observe_me": config.observe_me, "observe_others": config.observe_others}


def _check_observer_limit(settings: Settings, session: str, observers: int) -> None:
    limit = settings.app.SESSION_OBSERVERS_LIMIT
    if observers > limit:
        raise BadRequestError(
            f"Cannot create session {session} with {observers} observers. Maximum allowed is "
            f"{limit} observers per session. Observers are peers with 'observe_others' set to true."
        )


async def add(
    conn: AsyncConnection, settings: Settings, workspace: str, session: str, peers: PeerConfigMap
) -> None:
    """Add peers; active members keep their stored configuration, new and returning ones take
    the given one."""
    current = {r["peer_name"]: r for r in await repo.active_members(conn, workspace, session)}
    observers = {
        name for name, r in current.items() if r["configuration"].get("observe_others") is True
    }
    for name, config in peers.items():
        if name not in current and config.observe_others:
            observers.add(name)
    _check_observer_limit(settings, session, len(observers))
    await peers_repo.ensure_many(conn, workspace, peers.keys())
    await repo.join(
        conn, workspace, session, {p: _as_stored(c) for p, c in peers.items()}, replace_config=False
    )


async def add_peers(
    db: Database, settings: Settings, workspace: str, session: str, peers: PeerConfigMap
) -> Session:
    async with db.transaction() as conn:
        row = await get_or_create_row(conn, workspace, session)
        await add(conn, settings, workspace, session, peers)
    return Session.from_row(row)


async def set_peers(
    db: Database, settings: Settings, workspace: str, session: str, peers: PeerConfigMap
) -> Session:
    """Make exactly these peers the members, each with the given configuration."""
    _check_observer_limit(settings, session, sum(1 for c in peers.values() if c.observe_others))
    async with db.transaction() as conn:
        row = await get_active(conn, workspace, session)
        leaving = [
            r["peer_name"]
            for r in await repo.active_members(conn, workspace, session)
            if r["peer_name"] not in peers
        ]
        if leaving:
            await repo.leave(conn, workspace, session, leaving)
        await peers_repo.ensure_many(conn, workspace, peers.keys())
        await repo.join(
            conn,
            workspace,
            session,
            {p: _as_stored(c) for p, c in peers.items()},
            replace_config=True,
        )
    return Session.from_row(row)


async def remove_peers(db: Database, workspace: str, session: str, peers: list[str]) -> Session:
    async with db.transaction() as conn:
        row = await get_active(conn, workspace, session)
        await repo.leave(conn, workspace, session, peers)
    return Session.from_row(row)


async def list_members(
    db: Database, workspace: str, session: str, params: PageParams
) -> Page[Peer]:
    async with db.transaction() as conn:
        rows, total = await repo.member_peers_page(conn, workspace, session, params)
    return make_page([Peer.from_row(r) for r in rows], total, params)


async def get_peer_config(
    db: Database, workspace: str, session: str, peer: str
) -> SessionPeerConfig:
    async with db.transaction() as conn:
        row = await repo.member(conn, workspace, session, peer)
    if row is None:
        raise NotFoundError(f"Peer {peer} is not a member of session {session}")
    stored = row["configuration"]
    return SessionPeerConfig(
        observe_me=stored.get("observe_me"), observe_others=stored.get("observe_others")
    )


async def set_peer_config(
    db: Database,
    settings: Settings,
    workspace: str,
    session: str,
    peer: str,
    config: SessionPeerConfig,
) -> None:
    patch = config.model_dump(exclude_none=True)
    async with db.transaction() as conn:
        await get_active(conn, workspace, session)
        if await peers_repo.get(conn, workspace, peer) is None:
            raise NotFoundError(f"Peer {peer} not found in workspace {workspace}")
        existing = await repo.member(conn, workspace, session, peer)
        already_observer = (
            existing is not None
            and existing["left_at"] is None
            and existing["configuration"].get("observe_others") is True
        )
        if config.observe_others and not already_observer:
            observers = sum(
                1
                for r in await repo.active_members(conn, workspace, session)
                if r["configuration"].get("observe_others") is True
            )
            _check_observer_limit(settings, session, observers + 1)
        await repo.set_member_config(conn, workspace, session, peer, patch)
