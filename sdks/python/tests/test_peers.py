"""`Peer` and peer listing: handles, metadata and configuration, lazy pagination with no request
per item, sessions of a peer, cards."""

from __future__ import annotations

import pytest

from honcho import Honcho, NotFoundError, Peer, Session, SyncPage
from tests.conftest import Recorder

MANY = 55  # more than the server's page of 50


def test_peer_handle_makes_no_request(recorded: Honcho, recorder: Recorder) -> None:
    alice = recorded.peer("alice")
    assert isinstance(alice, Peer) and alice.id == "alice"
    assert alice.workspace_id == recorded.workspace_id
    assert alice.metadata is None and alice.configuration is None
    assert recorder.requests == []
    message = alice.message("hi")
    assert message == {"peer_id": "alice", "content": "hi"}
    assert recorder.requests == []
    with pytest.raises(ValueError):
        recorded.peer("")


def test_peer_with_metadata_and_config(honcho: Honcho) -> None:
    bob = honcho.peer("bob", metadata={"role": "user"}, config={"observe_me": False})
    assert bob.metadata == {"role": "user"} and bob.configuration == {"observe_me": False}
    again = honcho.peer("bob", metadata={"role": "admin"})
    assert again.metadata == {"role": "admin"} and again.configuration == {"observe_me": False}
    assert again == bob and hash(again) == hash(bob) and str(bob) == "bob"


def test_peer_metadata_and_config_round_trip(honcho: Honcho) -> None:
    alice = honcho.peer("alice")
    assert alice.get_metadata() == {} and alice.get_config() == {}
    alice.set_metadata({"name": "Alice", "langs": ["en", "pt"]})
    alice.set_config({"observe_me": False})
    fresh = honcho.peer("alice")
    fresh.refresh()
    assert fresh.metadata == {"name": "Alice", "langs": ["en", "pt"]}
    assert fresh.configuration == {"observe_me": False}
    fresh.set_peer_config({"observe_me": True})  # the official SDK's deprecated aliases
    assert alice.get_peer_config() == {"observe_me": True}


def test_get_peers_is_lazy_with_no_request_per_item(recorded: Honcho, recorder: Recorder) -> None:
    """Iterating 55 peers takes two list requests, the second only when page one is used up; each
    Peer carries its metadata and configuration from the list itself."""
    session = recorded.session("crowd")
    session.add_messages([recorded.peer(f"p{i:02}").message("hi") for i in range(MANY)])
    recorded.peer("p00", metadata={"first": True})
    recorder.clear()

    page = recorded.get_peers()
    assert isinstance(page, SyncPage)
    assert (len(page), page.total, page.page, page.pages, page.size) == (50, MANY, 1, 2, 50)
    assert page.has_next_page()
    assert recorder.paths() == [f"POST /v2/workspaces/{recorded.workspace_id}/peers/list"]

    iterator = iter(page)
    first_fifty = [next(iterator) for _ in range(50)]
    assert len(recorder.requests) == 1
    rest = list(iterator)
    assert len(recorder.requests) == 2
    assert recorder.requests[1].url.params["page"] == "2"
    everyone = {p.id: p for p in first_fifty + rest}
    assert sorted(everyone) == [f"p{i:02}" for i in range(MANY)]
    assert everyone["p00"].metadata == {"first": True} and everyone["p00"].configuration == {}
    assert everyone["p01"].metadata == {}

    second = page.get_next_page()
    assert second is not None and len(second) == MANY - 50 and second.get_next_page() is None
    assert page[0].id == page.items[0].id and len(page.items) == 50
    assert len(recorder.requests) == 3


def test_get_peers_filters(honcho: Honcho) -> None:
    honcho.peer("alice", metadata={"role": "user"})
    honcho.peer("bot", metadata={"role": "assistant"})
    assert [p.id for p in honcho.get_peers(filters={"metadata": {"role": "user"}})] == ["alice"]
    assert [p.id for p in honcho.get_peers(filters={"id": {"in": ["bot", "x"]}})] == ["bot"]
    assert list(honcho.get_peers(filters={"id": "nobody"})) == []


def test_peer_sessions(honcho: Honcho) -> None:
    alice = honcho.peer("alice")
    honcho.session("one", metadata={"n": 1}).add_peers(alice)
    honcho.session("two").add_messages(alice.message("hi"))
    honcho.session("other").add_peers("bob")
    sessions = list(alice.get_sessions())
    assert [s.id for s in sessions] == ["one", "two"]
    assert all(isinstance(s, Session) for s in sessions)
    assert sessions[0].metadata == {"n": 1}
    assert [s.id for s in alice.get_sessions(filters={"metadata": {"n": 1}})] == ["one"]


def test_peer_cards(honcho: Honcho) -> None:
    alice = honcho.peer("alice")
    alice.get_metadata()  # the card route needs the peer to exist
    assert alice.card() == "" and alice.get_card() is None
    assert alice.set_card(["Name: Alice", "Lives in Lisbon"]) == ["Name: Alice", "Lives in Lisbon"]
    assert alice.card() == "Name: Alice\nLives in Lisbon"
    honcho.peer("bob").get_metadata()
    alice.set_card(["Bob is a friend"], target="bob")
    assert alice.get_card(target=honcho.peer("bob")) == ["Bob is a friend"]
    assert alice.get_card() == ["Name: Alice", "Lives in Lisbon"]
    with pytest.raises(NotFoundError):
        honcho.peer("ghost").set_card(["x"])
