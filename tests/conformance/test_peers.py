"""The official SDK against a live server: peers, and listing peers and sessions."""

from __future__ import annotations

from datetime import UTC, datetime

from honcho import Honcho, Session

from tests.conformance.helpers import (
    MANY,
    PAGE,
    WHEN,
    contents,
    ids,
)

# -- peers --------------------------------------------------------------------------------------


def test_peer_without_metadata_or_config(honcho: Honcho) -> None:
    """peer(id) alone caches nothing; get_metadata/get_config create the peer empty."""
    alice = honcho.peer("alice")
    assert alice.id == "alice" and alice.workspace_id == honcho.workspace_id
    assert alice.metadata is None and alice.configuration is None
    assert alice.get_metadata() == {}
    assert alice.get_config() == {}
    assert ids(honcho.get_peers()) == ["alice"]


def test_peer_with_metadata_and_config(honcho: Honcho) -> None:
    """peer(id, metadata, config) stores both; a later peer(id, metadata) replaces only metadata."""
    bob = honcho.peer("bob", metadata={"role": "user"}, config={"observe_me": False})
    assert bob.metadata == {"role": "user"}
    assert bob.configuration == {"observe_me": False}

    again = honcho.peer("bob", metadata={"role": "admin"})
    assert again.metadata == {"role": "admin"}
    assert again.configuration == {"observe_me": False}
    assert honcho.peer("bob").get_config() == {"observe_me": False}

    (listed,) = list(honcho.get_peers())
    assert listed.id == "bob"
    assert listed.metadata == {"role": "admin"}
    assert listed.configuration == {"observe_me": False}


def test_peer_metadata_and_config_round_trip(honcho: Honcho) -> None:
    """Peer set_metadata/set_config replace what get_metadata/get_config/refresh return."""
    alice = honcho.peer("alice")
    alice.set_metadata({"name": "Alice", "langs": ["en", "pt"]})
    alice.set_config({"observe_me": False, "extra": 1})
    fresh = honcho.peer("alice")
    assert fresh.get_metadata() == {"name": "Alice", "langs": ["en", "pt"]}
    assert fresh.get_config() == {"observe_me": False, "extra": 1}

    alice.set_metadata({"name": "Al"})
    alice.set_config({"observe_me": True})
    fresh.refresh()
    assert fresh.metadata == {"name": "Al"}
    assert fresh.configuration == {"observe_me": True}

    # Deprecated aliases of get_config/set_config.
    alice.set_peer_config({"observe_me": False})
    assert fresh.get_peer_config() == {"observe_me": False}


def test_get_peers_iterates_all_pages_in_creation_order(honcho: Honcho) -> None:
    """get_peers pages through more than 50 peers in creation order, with their metadata."""
    names = [f"peer-{i:02d}" for i in range(MANY)]
    for i, name in enumerate(names):
        honcho.peer(name, metadata={"n": i, "parity": "even" if i % 2 == 0 else "odd"})

    page = honcho.get_peers()
    assert len(page) == PAGE
    assert page.total == MANY and page.pages == 2 and page.has_next_page()
    second = page.get_next_page()
    assert second is not None and ids(second.items) == names[PAGE:]

    listed = list(page)
    assert ids(listed) == names
    assert [p.metadata for p in listed] == [
        {"n": i, "parity": "even" if i % 2 == 0 else "odd"} for i in range(MANY)
    ]
    # Iteration echoes each peer back through get-or-create; nothing may change.
    assert [p.metadata for p in honcho.get_peers()] == [p.metadata for p in listed]


def test_get_peers_with_filters(honcho: Honcho) -> None:
    """get_peers applies metadata, id and logical filters."""
    for i in range(6):
        honcho.peer(f"p{i}", metadata={"n": i, "group": "a" if i < 3 else "b"})
    assert ids(honcho.get_peers(filters={"metadata": {"group": "b"}})) == ["p3", "p4", "p5"]
    assert ids(honcho.get_peers(filters={"id": "p2"})) == ["p2"]
    assert ids(honcho.get_peers(filters={"metadata": {"n": {"gte": 4}}})) == ["p4", "p5"]
    assert ids(honcho.get_peers(filters={"OR": [{"id": "p0"}, {"metadata": {"n": 5}}]})) == [
        "p0",
        "p5",
    ]
    assert ids(honcho.get_peers(filters={"metadata": {"group": "none"}})) == []


def test_get_sessions_iterates_all_pages_in_creation_order(honcho: Honcho) -> None:
    """get_sessions pages through more than 50 sessions in creation order, with their data."""
    names = [f"session-{i:02d}" for i in range(MANY)]
    for i, name in enumerate(names):
        honcho.session(name, metadata={"n": i}, config={"summary": {"enabled": i % 2 == 0}})

    page = honcho.get_sessions()
    assert len(page) == PAGE
    assert page.total == MANY and page.pages == 2 and page.has_next_page()

    listed = list(page)
    assert ids(listed) == names
    assert [s.metadata for s in listed] == [{"n": i} for i in range(MANY)]
    assert [s.configuration for s in listed] == [
        {"summary": {"enabled": i % 2 == 0}} for i in range(MANY)
    ]
    again = list(honcho.get_sessions())
    assert [(s.metadata, s.configuration) for s in again] == [
        (s.metadata, s.configuration) for s in listed
    ]


def test_get_sessions_with_filters(honcho: Honcho) -> None:
    """get_sessions applies metadata, id and logical filters."""
    for i in range(5):
        honcho.session(f"s{i}", metadata={"topic": "work" if i % 2 else "home", "n": i})
    assert ids(honcho.get_sessions(filters={"metadata": {"topic": "work"}})) == ["s1", "s3"]
    assert ids(honcho.get_sessions(filters={"id": {"in": ["s0", "s4"]}})) == ["s0", "s4"]
    assert ids(honcho.get_sessions(filters={"NOT": [{"metadata": {"topic": "work"}}]})) == [
        "s0",
        "s2",
        "s4",
    ]


def test_peer_get_sessions(honcho: Honcho) -> None:
    """Peer.get_sessions lists the sessions the peer joined, in creation order, with filters."""
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    first = honcho.session("first", metadata={"topic": "x"})
    first.add_peers(alice)
    second = honcho.session("second")
    second.add_messages(alice.message("hi"))
    third = honcho.session("third", metadata={"topic": "x"})
    third.add_peers([alice, bob])
    honcho.session("bobs").add_peers(bob)

    sessions = list(alice.get_sessions())
    assert ids(sessions) == ["first", "second", "third"]
    assert all(isinstance(s, Session) for s in sessions)
    assert contents(sessions[1].get_messages()) == ["hi"]
    assert ids(alice.get_sessions(filters={"metadata": {"topic": "x"}})) == ["first", "third"]
    assert ids(bob.get_sessions()) == ["third", "bobs"]


def test_peer_message_builds_a_message_the_server_stores(honcho: Honcho) -> None:
    """Peer.message() content, metadata, configuration and created_at round-trip through add."""
    alice = honcho.peer("alice")
    param = alice.message(
        "I moved to Lisbon.",
        metadata={"mood": "happy"},
        config={"deriver": {"enabled": False}},
        created_at=WHEN,
    )
    assert param["peer_id"] == "alice" and param["content"] == "I moved to Lisbon."
    (stored,) = honcho.session("chat").add_messages(param)
    assert stored.peer_id == "alice" and stored.session_id == "chat"
    assert stored.workspace_id == honcho.workspace_id
    assert stored.content == "I moved to Lisbon." and stored.metadata == {"mood": "happy"}
    assert stored.created_at == WHEN
    assert stored.token_count > 0 and len(stored.id) == 21

    (from_string,) = honcho.session("chat").add_messages(
        alice.message("later", created_at="2024-06-01T12:00:00Z")
    )
    assert from_string.created_at == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert from_string.metadata == {}

    # A naive datetime is sent as a naive ISO string, which the server reads as UTC.
    (naive,) = honcho.session("chat").add_messages(
        alice.message("naive", created_at=WHEN.replace(tzinfo=None))
    )
    assert naive.created_at == WHEN
