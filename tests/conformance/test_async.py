"""The official SDK against a live server: the async client (AsyncHoncho)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from honcho import AsyncHoncho, AsyncPeer, AsyncSession
from honcho.async_client.session import SessionPeerConfig as AsyncSessionPeerConfig
from honcho_core import NotFoundError, UnprocessableEntityError

from tests.conformance.helpers import (
    MANY,
    MAX_MESSAGE_SIZE,
    PAGE,
    WHEN,
    check_split,
    contents,
    ids,
    long_text,
)
from tests.support import unique

# -- async --------------------------------------------------------------------------------------


async def test_async_construction_and_workspace_round_trip(
    ahoncho: AsyncHoncho, make_async_honcho: Callable[[str], AsyncHoncho]
) -> None:
    """AsyncHoncho creates its workspace; its metadata/config setters, getters and refresh work."""
    assert await ahoncho.get_workspaces(filters={"id": ahoncho.workspace_id}) == [
        ahoncho.workspace_id
    ]
    assert await ahoncho.get_metadata() == {} and await ahoncho.get_config() == {}

    await ahoncho.set_metadata({"plan": "pro", "tags": ["a"]})
    await ahoncho.set_config({"deriver": {"enabled": False}, "custom": 1})
    other = make_async_honcho(ahoncho.workspace_id)
    assert other.metadata is None
    assert await other.get_metadata() == {"plan": "pro", "tags": ["a"]}
    config = await other.get_config()
    assert config["deriver"] == {"enabled": False} and config["custom"] == 1

    await ahoncho.set_metadata({"plan": "free"})
    await ahoncho.set_config({"summary": {"enabled": False}})
    await other.refresh()
    assert other.metadata == {"plan": "free"}
    assert other.configuration is not None
    assert other.configuration["summary"] == {"enabled": False}


async def test_async_get_and_delete_workspaces(
    ahoncho: AsyncHoncho, make_async_honcho: Callable[[str], AsyncHoncho]
) -> None:
    """Async get_workspaces lists and filters; delete_workspace removes one and 404s after."""
    marker = unique("marker")
    created = [make_async_honcho(unique("sdk-async-ws")) for _ in range(2)]
    for client in created:
        await client.set_metadata({"marker": marker})
    names = [c.workspace_id for c in created]
    assert await ahoncho.get_workspaces(filters={"metadata": {"marker": marker}}) == names
    assert set(names) <= set(await ahoncho.get_workspaces())

    session = await created[0].session("chat")
    await session.add_messages((await created[0].peer("alice")).message("hello"))
    deleted = await ahoncho.delete_workspace(names[0])
    assert deleted.id == names[0] and deleted.metadata == {"marker": marker}
    assert await ahoncho.get_workspaces(filters={"metadata": {"marker": marker}}) == names[1:]
    with pytest.raises(NotFoundError):
        await ahoncho.delete_workspace(names[0])


async def test_async_update_message(ahoncho: AsyncHoncho) -> None:
    """Async update_message replaces metadata given a Message or an id plus its session."""
    session = await ahoncho.session("chat")
    alice = await ahoncho.peer("alice")
    first, second = await session.add_messages([alice.message("one"), alice.message("two")])
    assert (await ahoncho.update_message(first, {"r": 1})).metadata == {"r": 1}
    assert (await ahoncho.update_message(second.id, {"r": 2}, session=session)).metadata == {"r": 2}
    page = await session.get_messages()
    assert [m.metadata async for m in page] == [{"r": 1}, {"r": 2}]
    with pytest.raises(NotFoundError):
        await ahoncho.update_message("no-such-message", {"x": 1}, session="chat")


async def test_async_peers(ahoncho: AsyncHoncho) -> None:
    """Async peer() with and without metadata/config, and peer metadata/config round trips."""
    alice = await ahoncho.peer("alice")
    assert isinstance(alice, AsyncPeer) and alice.metadata is None
    assert await alice.get_metadata() == {} and await alice.get_config() == {}

    bob = await ahoncho.peer("bob", metadata={"role": "user"}, config={"observe_me": False})
    assert bob.metadata == {"role": "user"} and bob.configuration == {"observe_me": False}

    await alice.set_metadata({"name": "Alice"})
    await alice.set_config({"observe_me": False})
    fresh = await ahoncho.peer("alice")
    await fresh.refresh()
    assert fresh.metadata == {"name": "Alice"} and fresh.configuration == {"observe_me": False}
    await alice.set_config({"observe_me": True})
    assert await fresh.get_config() == {"observe_me": True}
    await alice.set_peer_config({"other": 1})
    assert await fresh.get_peer_config() == {"other": 1}


async def test_async_get_peers_and_get_sessions_iterate_all_pages(ahoncho: AsyncHoncho) -> None:
    """Async get_peers/get_sessions page through more than 50 items in creation order."""
    peer_names = [f"peer-{i:02d}" for i in range(MANY)]
    for i, name in enumerate(peer_names):
        await ahoncho.peer(name, metadata={"n": i})
    session_names = [f"session-{i:02d}" for i in range(MANY)]
    for i, name in enumerate(session_names):
        await ahoncho.session(name, metadata={"n": i})

    peers = await ahoncho.get_peers()
    assert len(peers) == PAGE and peers.total == MANY and peers.pages == 2
    listed_peers = [p async for p in peers]
    assert ids(listed_peers) == peer_names
    assert all(isinstance(p, AsyncPeer) for p in listed_peers)
    assert [p.metadata for p in listed_peers] == [{"n": i} for i in range(MANY)]
    second = await peers.get_next_page()
    assert second is not None and ids(second.items) == peer_names[PAGE:]

    sessions = await ahoncho.get_sessions()
    assert len(sessions) == PAGE and sessions.total == MANY
    listed_sessions = [s async for s in sessions]
    assert ids(listed_sessions) == session_names
    assert all(isinstance(s, AsyncSession) for s in listed_sessions)
    assert [s.metadata for s in listed_sessions] == [{"n": i} for i in range(MANY)]

    even = await ahoncho.get_peers(filters={"metadata": {"n": {"in": [0, 2, 4]}}})
    assert ids([p async for p in even]) == peer_names[0:5:2]
    late = await ahoncho.get_sessions(filters={"metadata": {"n": {"gte": MANY - 2}}})
    assert ids([s async for s in late]) == session_names[-2:]


async def test_async_peer_get_sessions_and_message(ahoncho: AsyncHoncho) -> None:
    """Async Peer.get_sessions lists joined sessions; Peer.message() round-trips its fields."""
    alice = await ahoncho.peer("alice")
    one = await ahoncho.session("one", metadata={"topic": "x"})
    await one.add_peers(alice)
    two = await ahoncho.session("two")
    (stored,) = await two.add_messages(
        alice.message(
            "hi", metadata={"m": 1}, config={"deriver": {"enabled": False}}, created_at=WHEN
        )
    )
    assert stored.peer_id == "alice" and stored.metadata == {"m": 1}
    assert stored.created_at == WHEN and stored.session_id == "two"
    await (await ahoncho.session("other")).add_peers("bob")

    sessions = [s async for s in await alice.get_sessions()]
    assert ids(sessions) == ["one", "two"]
    assert all(isinstance(s, AsyncSession) for s in sessions)
    filtered = await alice.get_sessions(filters={"metadata": {"topic": "x"}})
    assert ids([s async for s in filtered]) == ["one"]


async def test_async_session_metadata_and_config(ahoncho: AsyncHoncho) -> None:
    """Async session() with and without metadata/config, and session round trips and refresh."""
    plain = await ahoncho.session("plain")
    assert plain.metadata is None
    assert await plain.get_metadata() == {} and await plain.get_config() == {}

    rich = await ahoncho.session("rich", metadata={"c": "web"}, config={"custom": True})
    assert rich.metadata == {"c": "web"} and rich.configuration == {"custom": True}

    await plain.set_metadata({"a": 1})
    await plain.set_config({"deriver": {"enabled": False}})
    fresh = await ahoncho.session("plain")
    await fresh.refresh()
    assert fresh.metadata == {"a": 1}
    assert fresh.configuration is not None
    assert fresh.configuration["deriver"] == {"enabled": False}
    await plain.set_metadata({"a": 2})
    assert await fresh.get_metadata() == {"a": 2}
    assert (await fresh.get_config())["deriver"] == {"enabled": False}


async def test_async_session_membership_and_peer_config(ahoncho: AsyncHoncho) -> None:
    """Async add/set/remove/get_peers and get/set_peer_config, including explicit False."""
    session = await ahoncho.session("chat")
    await session.add_peers(["alice", (await ahoncho.peer("bob"), AsyncSessionPeerConfig())])
    await session.add_peers(("carol", AsyncSessionPeerConfig(observe_others=True)))
    assert sorted(ids(await session.get_peers())) == ["alice", "bob", "carol"]
    assert await session.get_peer_config("carol") == AsyncSessionPeerConfig(observe_others=True)

    await session.set_peer_config(
        "alice", AsyncSessionPeerConfig(observe_me=False, observe_others=False)
    )
    config = await session.get_peer_config("alice")
    assert config.observe_me is False and config.observe_others is False
    await session.set_peer_config("alice", AsyncSessionPeerConfig(observe_me=True))
    assert await session.get_peer_config("alice") == AsyncSessionPeerConfig(
        observe_me=True, observe_others=False
    )

    await session.remove_peers(["bob", "carol"])
    assert ids(await session.get_peers()) == ["alice"]
    await session.set_peers([("dave", AsyncSessionPeerConfig(observe_me=False)), "erin"])
    assert sorted(ids(await session.get_peers())) == ["dave", "erin"]
    assert await session.get_peer_config("dave") == AsyncSessionPeerConfig(observe_me=False)

    await ahoncho.peer("outsider", metadata={"x": 1})
    with pytest.raises(NotFoundError) as caught:
        await session.get_peer_config("outsider")
    assert caught.value.status_code == 404


async def test_async_messages(ahoncho: AsyncHoncho) -> None:
    """Async add_messages/get_messages: order, every page, and filters."""
    session = await ahoncho.session("chat")
    alice, bob = await ahoncho.peer("alice"), await ahoncho.peer("bob")
    (first,) = await session.add_messages(alice.message("first", metadata={"tag": "x"}))
    rest = await session.add_messages(
        [(bob if i % 2 else alice).message(f"m{i}") for i in range(MANY)]
    )
    assert first.content == "first" and contents(rest) == [f"m{i}" for i in range(MANY)]

    page = await session.get_messages()
    assert len(page) == PAGE and page.total == MANY + 1
    everything = [m async for m in page]
    assert ids(everything) == [first.id, *ids(rest)]

    by_bob = [m async for m in await session.get_messages(filters={"peer_id": "bob"})]
    assert contents(by_bob) == [f"m{i}" for i in range(1, MANY, 2)]
    tagged = [m async for m in await session.get_messages(filters={"metadata": {"tag": "x"}})]
    assert ids(tagged) == [first.id]

    with pytest.raises(UnprocessableEntityError) as caught:
        await session.add_messages(alice.message("x" * (MAX_MESSAGE_SIZE + 1)))
    assert caught.value.status_code == 422


async def test_async_delete_and_clone(ahoncho: AsyncHoncho) -> None:
    """Async Session.delete() hides the session; clone() copies all or a prefix of messages."""
    source = await ahoncho.session("source", metadata={"k": "v"})
    alice = await ahoncho.peer("alice")
    originals = await source.add_messages([alice.message(f"m{i}") for i in range(4)])

    full = await source.clone()
    assert isinstance(full, AsyncSession) and full.id != "source"
    assert await full.get_metadata() == {"k": "v"}
    assert contents([m async for m in await full.get_messages()]) == ["m0", "m1", "m2", "m3"]
    partial = await source.clone(message_id=originals[1].id)
    assert contents([m async for m in await partial.get_messages()]) == ["m0", "m1"]
    with pytest.raises(NotFoundError):
        await source.clone(message_id="no-such-message")

    await full.delete()
    listed = ids([s async for s in await ahoncho.get_sessions()])
    assert sorted(listed) == sorted(["source", partial.id])
    with pytest.raises(NotFoundError):
        await full.delete()


async def test_async_upload_file(ahoncho: AsyncHoncho) -> None:
    """Async upload_file: text, JSON, and a long text split into several messages."""
    session = await ahoncho.session("docs")
    (text_message,) = await session.upload_file(
        ("a.txt", "héllo".encode(), "text/plain"),
        peer=await ahoncho.peer("alice"),
        metadata={"f": 1},
        created_at="2024-01-02T03:04:05Z",
    )
    assert text_message.content == "héllo" and text_message.metadata == {"f": 1}
    assert text_message.created_at == WHEN and text_message.peer_id == "alice"

    (json_message,) = await session.upload_file(
        ("d.json", b'{"a":1,"b":["x"]}', "application/json"), peer="bob"
    )
    assert json_message.content == '{"a": 1, "b": ["x"]}' and json_message.peer_id == "bob"

    text = long_text()
    chunks = await session.upload_file(("long.txt", text.encode(), "text/plain"), peer="alice")
    check_split(contents(chunks), text)
    stored = [m async for m in await session.get_messages()]
    assert ids(stored) == [text_message.id, json_message.id, *ids(chunks)]
