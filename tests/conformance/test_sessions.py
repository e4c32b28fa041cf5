"""The official SDK against a live server: sessions, membership, messages and errors."""

from __future__ import annotations

import pytest
from honcho import Honcho, Peer, Session
from honcho.session import SessionPeerConfig
from honcho_core import NotFoundError, UnprocessableEntityError

from tests.conformance.helpers import (
    MANY,
    MAX_MESSAGE_SIZE,
    PAGE,
    WHEN,
    contents,
    ids,
)
from tests.support import unique

# -- sessions -----------------------------------------------------------------------------------


def test_session_without_metadata_or_config(honcho: Honcho) -> None:
    """session(id) alone caches nothing; get_metadata/get_config create the session empty."""
    session = honcho.session("plain")
    assert session.id == "plain" and session.workspace_id == honcho.workspace_id
    assert session.metadata is None and session.configuration is None
    assert session.get_peers() == [] and list(session.get_messages()) == []
    assert session.get_metadata() == {}
    assert session.get_config() == {}
    assert ids(honcho.get_sessions()) == ["plain"]


def test_session_with_metadata_and_config(honcho: Honcho) -> None:
    """session(id, metadata, config) stores both and caches the server's values."""
    config: dict[str, object] = {"summary": {"enabled": False}, "custom": "kept"}
    session = honcho.session("rich", metadata={"channel": "web"}, config=config)
    assert session.metadata == {"channel": "web"}
    assert session.configuration == config
    fresh = honcho.session("rich")
    assert fresh.get_metadata() == {"channel": "web"}
    assert fresh.get_config() == config


def test_session_metadata_and_config_round_trip(honcho: Honcho) -> None:
    """Session set_metadata replaces metadata; set_config stores its keys; refresh reloads both."""
    session = honcho.session("chat")
    session.set_metadata({"a": 1, "nested": {"b": [1, 2]}})
    session.set_config({"deriver": {"enabled": False}})
    fresh = honcho.session("chat")
    assert fresh.get_metadata() == {"a": 1, "nested": {"b": [1, 2]}}
    assert fresh.get_config()["deriver"] == {"enabled": False}

    session.set_metadata({"a": 2})
    session.set_config({"peer_card": {"use": False, "create": False}})
    fresh.refresh()
    assert fresh.metadata == {"a": 2}
    assert fresh.configuration is not None
    assert fresh.configuration["peer_card"] == {"use": False, "create": False}


def test_session_add_set_remove_peers(honcho: Honcho) -> None:
    """add_peers, set_peers and remove_peers (DELETE with a JSON array) change get_peers."""
    session = honcho.session("chat")
    session.add_peers("alice")
    session.add_peers(honcho.peer("bob"))
    session.add_peers(
        [("carol", SessionPeerConfig(observe_others=True)), honcho.peer("dave"), "erin"]
    )
    assert sorted(ids(session.get_peers())) == ["alice", "bob", "carol", "dave", "erin"]
    assert all(isinstance(p, Peer) for p in session.get_peers())
    assert session.get_peer_config("carol") == SessionPeerConfig(observe_others=True)

    # Adding an active member again keeps its stored configuration.
    session.add_peers(("carol", SessionPeerConfig(observe_others=False, observe_me=False)))
    assert session.get_peer_config("carol") == SessionPeerConfig(observe_others=True)

    session.remove_peers("erin")
    session.remove_peers([honcho.peer("dave"), "bob"])
    assert sorted(ids(session.get_peers())) == ["alice", "carol"]
    # A peer that left keeps its membership row, so its configuration is still readable.
    assert session.get_peer_config("erin") == SessionPeerConfig()

    session.set_peers(["alice", ("frank", SessionPeerConfig(observe_me=False))])
    assert sorted(ids(session.get_peers())) == ["alice", "frank"]
    assert session.get_peer_config("frank") == SessionPeerConfig(observe_me=False)
    assert session.get_peer_config(honcho.peer("alice")) == SessionPeerConfig()

    session.set_peers(honcho.peer("frank"))
    assert ids(session.get_peers()) == ["frank"]


def test_session_peer_config_round_trips_explicit_false(honcho: Honcho) -> None:
    """set_peer_config stores explicit False values, and later calls merge only the given fields."""
    session = honcho.session("chat")
    session.add_peers(["alice", "bob"])
    assert session.get_peer_config("alice") == SessionPeerConfig(
        observe_me=None, observe_others=None
    )

    session.set_peer_config("alice", SessionPeerConfig(observe_me=False, observe_others=False))
    config = session.get_peer_config("alice")
    assert config.observe_me is False and config.observe_others is False

    session.set_peer_config(honcho.peer("alice"), SessionPeerConfig(observe_others=True))
    assert session.get_peer_config("alice") == SessionPeerConfig(
        observe_me=False, observe_others=True
    )
    assert session.get_peer_config("bob") == SessionPeerConfig()

    # Configuring an existing peer that is not a member makes it one.
    honcho.peer("carol").get_metadata()
    session.set_peer_config("carol", SessionPeerConfig(observe_me=False))
    assert sorted(ids(session.get_peers())) == ["alice", "bob", "carol"]
    assert session.get_peer_config("carol") == SessionPeerConfig(observe_me=False)


def test_session_add_messages_and_get_messages(honcho: Honcho) -> None:
    """add_messages stores one or many messages in order; get_messages returns them all."""
    session = honcho.session("chat")
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    (single,) = session.add_messages(alice.message("hello"))
    batch = session.add_messages(
        [bob.message("hi alice", metadata={"k": 1}), alice.message("how are you?")]
    )
    assert contents(batch) == ["hi alice", "how are you?"]
    assert [m.peer_id for m in batch] == ["bob", "alice"]
    assert batch[0].metadata == {"k": 1} and batch[1].metadata == {}

    stored = list(session.get_messages())
    assert ids(stored) == [single.id, *ids(batch)]
    assert contents(stored) == ["hello", "hi alice", "how are you?"]
    assert all(m.session_id == "chat" and m.workspace_id == honcho.workspace_id for m in stored)
    assert sorted(ids(session.get_peers())) == ["alice", "bob"]

    (largest,) = session.add_messages(alice.message("y" * MAX_MESSAGE_SIZE))
    assert largest.content == "y" * MAX_MESSAGE_SIZE


def test_session_get_messages_iterates_all_pages(honcho: Honcho) -> None:
    """get_messages pages through more than 50 messages in the order they were added."""
    session = honcho.session("long")
    alice = honcho.peer("alice")
    session.add_messages([alice.message(f"message {i}") for i in range(MANY)])
    page = session.get_messages()
    assert len(page) == PAGE and page.total == MANY and page.pages == 2
    assert contents(page) == [f"message {i}" for i in range(MANY)]


def test_session_get_messages_with_filters(honcho: Honcho) -> None:
    """get_messages applies peer_id, metadata, created_at and logical filters."""
    session = honcho.session("chat")
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    session.add_messages(
        [
            alice.message("a1", metadata={"topic": "food"}, created_at=WHEN),
            bob.message("b1", metadata={"topic": "travel"}),
            alice.message("a2", metadata={"topic": "travel"}),
            bob.message("b2"),
        ]
    )
    assert contents(session.get_messages(filters={"peer_id": "alice"})) == ["a1", "a2"]
    assert contents(session.get_messages(filters={"metadata": {"topic": "travel"}})) == [
        "b1",
        "a2",
    ]
    assert contents(
        session.get_messages(filters={"peer_id": "bob", "metadata": {"topic": "travel"}})
    ) == ["b1"]
    assert contents(
        session.get_messages(filters={"created_at": {"lte": "2024-01-02T03:04:05Z"}})
    ) == ["a1"]
    assert contents(session.get_messages(filters={"peer_id": {"in": ["bob"]}})) == ["b1", "b2"]
    assert contents(session.get_messages(filters={"peer_id": "nobody"})) == []


def test_session_delete(honcho: Honcho) -> None:
    """Session.delete() removes the session from get_sessions; deleting it again is a 404."""
    keep = honcho.session("keep")
    keep.add_messages(honcho.peer("alice").message("stay"))
    doomed = honcho.session("doomed")
    doomed.add_messages(honcho.peer("alice").message("bye"))
    assert ids(honcho.get_sessions()) == ["keep", "doomed"]

    doomed.delete()
    assert ids(honcho.get_sessions()) == ["keep"]
    with pytest.raises(NotFoundError):
        doomed.delete()
    assert contents(keep.get_messages()) == ["stay"]


def test_session_clone(honcho: Honcho) -> None:
    """clone() copies metadata, configuration, members and all messages into a new session."""
    source = honcho.session("source", metadata={"k": "v"}, config={"summary": {"enabled": False}})
    source.add_peers(("observer", SessionPeerConfig(observe_others=True)))
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    originals = source.add_messages(
        [alice.message("m0", metadata={"i": 0}), bob.message("m1"), alice.message("m2")]
    )

    clone = source.clone()
    assert isinstance(clone, Session) and clone.id != "source"
    assert clone.get_metadata() == {"k": "v"}
    assert clone.get_config() == {"summary": {"enabled": False}}
    copied = list(clone.get_messages())
    assert contents(copied) == ["m0", "m1", "m2"]
    assert [m.peer_id for m in copied] == ["alice", "bob", "alice"]
    assert [m.metadata for m in copied] == [{"i": 0}, {}, {}]
    assert all(m.session_id == clone.id for m in copied)
    assert set(ids(copied)).isdisjoint(ids(originals))
    assert [m.token_count for m in copied] == [m.token_count for m in originals]
    assert sorted(ids(clone.get_peers())) == ["alice", "bob", "observer"]
    assert clone.get_peer_config("observer") == SessionPeerConfig(observe_others=True)
    assert set(ids(honcho.get_sessions())) == {"source", clone.id}
    assert contents(source.get_messages()) == ["m0", "m1", "m2"]


def test_session_clone_up_to_message(honcho: Honcho) -> None:
    """clone(message_id=...) copies messages up to and including that one; unknown ids are 404."""
    source = honcho.session("source")
    alice = honcho.peer("alice")
    originals = source.add_messages([alice.message(f"m{i}") for i in range(5)])

    partial = source.clone(message_id=originals[2].id)
    assert partial.id != "source"
    assert contents(partial.get_messages()) == ["m0", "m1", "m2"]
    (added,) = partial.add_messages(alice.message("branch"))
    assert contents(partial.get_messages()) == ["m0", "m1", "m2", "branch"]
    assert added.session_id == partial.id
    assert contents(source.get_messages()) == [f"m{i}" for i in range(5)]

    with pytest.raises(NotFoundError):
        source.clone(message_id="no-such-message")


# -- errors -------------------------------------------------------------------------------------


def test_not_found_raises_not_found_error(honcho: Honcho) -> None:
    """A 404 (non-member peer config, missing session or peer) raises NotFoundError."""
    session = honcho.session("chat")
    session.add_peers("alice")
    honcho.peer("outsider").get_metadata()
    with pytest.raises(NotFoundError) as caught:
        session.get_peer_config("outsider")
    assert caught.value.status_code == 404
    assert isinstance(caught.value.body, dict) and isinstance(caught.value.body["detail"], str)
    with pytest.raises(NotFoundError):
        honcho.session(unique("missing")).get_peer_config("alice")
    with pytest.raises(NotFoundError):
        honcho.session(unique("missing")).set_peers(["alice"])
    with pytest.raises(NotFoundError):
        session.set_peer_config("never-created", SessionPeerConfig(observe_me=False))


def test_validation_error_raises_unprocessable_entity(honcho: Honcho) -> None:
    """A 422 (oversized message, bad filter, name or config) raises UnprocessableEntityError."""
    session = honcho.session("chat")
    alice = honcho.peer("alice")
    with pytest.raises(UnprocessableEntityError) as caught:
        session.add_messages(alice.message("x" * (MAX_MESSAGE_SIZE + 1)))
    assert caught.value.status_code == 422
    assert isinstance(caught.value.body, dict) and isinstance(caught.value.body["detail"], list)
    assert list(session.get_messages()) == []

    with pytest.raises(UnprocessableEntityError):
        honcho.get_peers(filters={"no_such_column": 1})
    with pytest.raises(UnprocessableEntityError):
        honcho.peer("not a valid name!", metadata={"a": 1})
    with pytest.raises(UnprocessableEntityError):
        honcho.set_config({"summary": {"messages_per_short_summary": 5}})
    assert honcho.get_config() == {}
