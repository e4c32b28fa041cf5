"""`Session`: membership and per-session peer configuration (with peers' `observe_others`
default), messages, context, clone and delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from honcho import (
    Honcho,
    Message,
    NotFoundError,
    Session,
    SessionContext,
    SessionPeerConfig,
    SyncPage,
    UnprocessableEntityError,
)
from tests.conftest import Recorder

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_session_handle_and_metadata(recorded: Honcho, recorder: Recorder) -> None:
    session = recorded.session("chat")
    assert isinstance(session, Session) and session.metadata is None
    assert recorder.requests == []
    assert session.get_metadata() == {} and session.get_config() == {}
    session.set_metadata({"channel": "web"})
    session.set_config({"summary": {"enabled": False}})
    configured = recorded.session("chat", metadata={"channel": "app"})
    assert configured.metadata == {"channel": "app"}
    assert configured.configuration == {"summary": {"enabled": False}}
    assert [s.id for s in recorded.get_sessions()] == ["chat"]
    listed = recorded.get_sessions(filters={"metadata": {"channel": "app"}})
    assert [(s.id, s.metadata) for s in listed] == [("chat", {"channel": "app"})]


def test_membership(honcho: Honcho) -> None:
    session = honcho.session("chat")
    alice = honcho.peer("alice")
    session.add_peers(
        [alice, "bob", ("carol", SessionPeerConfig(observe_others=True, observe_me=False))]
    )
    assert sorted(p.id for p in session.get_peers()) == ["alice", "bob", "carol"]
    assert session.get_peer_config("carol") == SessionPeerConfig(
        observe_others=True, observe_me=False
    )
    assert session.get_peer_config(alice) == SessionPeerConfig()

    session.set_peer_config(alice, SessionPeerConfig(observe_others=True))
    session.set_peer_config("alice", {"observe_me": False})
    assert session.get_peer_config(alice) == SessionPeerConfig(
        observe_others=True, observe_me=False
    )

    session.remove_peers(["bob", honcho.peer("carol")])
    assert [p.id for p in session.get_peers()] == ["alice"]
    session.set_peers([("dave", {"observe_me": False}), "erin"])
    assert sorted(p.id for p in session.get_peers()) == ["dave", "erin"]
    assert session.get_peer_config("dave") == SessionPeerConfig(observe_me=False)

    with pytest.raises(NotFoundError):
        honcho.session("missing").get_peer_config("alice")


def test_get_peers_returns_every_member(honcho: Honcho) -> None:
    """Unlike the official SDK (first page only), all members come back."""
    session = honcho.session("big")
    session.add_peers([f"p{i:02}" for i in range(60)])
    members = session.get_peers()
    assert sorted(p.id for p in members) == [f"p{i:02}" for i in range(60)]


def test_observe_others_in_peer_config_applies_to_sessions(
    recorded: Honcho, recorder: Recorder
) -> None:
    """`peer(id, config={"observe_others": True})`: the peer stores that configuration, and each
    session this client adds it to (by messages or add_peers) makes it an observer there."""
    bob = recorded.peer("bob", config={"observe_others": True})
    alice = recorded.peer("alice")
    assert bob.get_config() == {"observe_others": True}

    first = recorded.session("first")
    recorder.clear()
    first.add_messages(alice.message("hi"), bob.message("hello"))
    # The session did not exist: the config route said 404, add_peers created it with bob.
    assert recorder.paths()[-1].endswith("/sessions/first/messages/")
    assert first.get_peer_config(bob) == SessionPeerConfig(observe_others=True)
    assert first.get_peer_config(alice) == SessionPeerConfig()

    recorder.clear()
    first.add_messages(bob.message("again"))
    assert len(recorder.requests) == 1  # applied once per membership, not per call

    second = recorded.session("second")
    second.add_peers(["alice"])  # exists, bob not a member yet
    second.add_messages(bob.message("joining"))
    assert second.get_peer_config("bob").observe_others is True

    third = recorded.session("third")
    third.add_peers([alice, bob])
    assert third.get_peer_config(bob).observe_others is True
    third.add_peers([("alice", SessionPeerConfig(observe_others=False))])
    assert third.get_peer_config(alice).observe_others is None  # members keep their config

    fourth = recorded.session("fourth")
    fourth.add_peers([(bob, SessionPeerConfig(observe_others=False))])  # explicit config wins
    fourth.add_messages(bob.message("quiet"))
    assert fourth.get_peer_config(bob).observe_others is False

    bob.set_config({})  # no default any more
    fifth = recorded.session("fifth")
    fifth.add_messages(bob.message("plain"))
    assert fifth.get_peer_config(bob).observe_others is None


def test_add_messages_varargs_lists_and_batches(honcho: Honcho) -> None:
    session = honcho.session("chat")
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    (one,) = session.add_messages(alice.message("one"))
    two = session.add_messages(alice.message("two"), bob.message("three"))
    rest = session.add_messages([bob.message(f"m{i}") for i in range(3)], alice.message("last"))
    assert isinstance(one, Message) and one.content == "one" and one.peer_id == "alice"
    assert [m.content for m in two + rest] == ["two", "three", "m0", "m1", "m2", "last"]
    assert session.add_messages() == [] and session.add_messages([]) == []
    (keyword,) = session.add_messages(messages=[alice.message("by keyword")])
    assert keyword.content == "by keyword"

    many = session.add_messages([alice.message(f"bulk {i}") for i in range(230)])
    assert [m.content for m in many] == [f"bulk {i}" for i in range(230)]
    assert session.get_messages().total == 8 + 230

    with pytest.raises(TypeError):
        session.add_messages("not a message")  # type: ignore[arg-type]


def test_message_fields(honcho: Honcho) -> None:
    session = honcho.session("chat")
    alice = honcho.peer("alice")
    (message,) = session.add_messages(
        alice.message("hello", metadata={"k": [1, 2]}, created_at=WHEN, config={"deriver": {}})
    )
    assert message.metadata == {"k": [1, 2]} and message.created_at == WHEN
    assert message.session_id == "chat" and message.workspace_id == honcho.workspace_id
    assert message.token_count > 0 and len(message.id) == 21
    assert alice.message("x", created_at="2024-01-02T03:04:05Z")["created_at"] == (
        "2024-01-02T03:04:05Z"
    )
    plain = {"peer_id": "bob", "content": "a plain dict works too"}
    (from_dict,) = session.add_messages(plain)
    assert from_dict.peer_id == "bob"
    assert session.get_message(message.id) == message
    with pytest.raises(NotFoundError):
        session.get_message("no-such-message-id-00")


def test_get_messages_pages_filters_and_order(recorded: Honcho, recorder: Recorder) -> None:
    session = recorded.session("chat")
    alice, bob = recorded.peer("alice"), recorded.peer("bob")
    sent = session.add_messages(
        [(bob if i % 2 else alice).message(f"m{i}", metadata={"i": i}) for i in range(60)]
    )
    recorder.clear()
    page = session.get_messages()
    assert isinstance(page, SyncPage) and len(page) == 50 and page.total == 60
    assert [m.id for m in page] == [m.id for m in sent]
    assert len(recorder.requests) == 2

    newest = session.get_messages(reverse=True)
    assert newest[0].content == "m59"
    by_bob = [m.content for m in session.get_messages(filters={"peer_id": "bob"})]
    assert by_bob == [f"m{i}" for i in range(1, 60, 2)]
    tagged = list(session.get_messages(filters={"metadata": {"i": 7}}))
    assert [m.content for m in tagged] == ["m7"]
    with pytest.raises(UnprocessableEntityError) as caught:
        session.get_messages(filters={"no_such_column": 1})
    assert "no_such_column" in caught.value.message


def test_get_context_budget_and_conversions(honcho: Honcho) -> None:
    session = honcho.session("chat")
    alice, bot = honcho.peer("alice"), honcho.peer("bot")
    session.add_messages(
        alice.message("Hello there, how are you doing today?"),
        bot.message("I am fine, thank you for asking!"),
        alice.message("Great."),
    )
    context = session.get_context(summary=True, tokens=1500)
    assert isinstance(context, SessionContext) and context.session_id == "chat"
    assert [m.content for m in context.messages][-1] == "Great." and len(context) == 3
    assert context.summary is None and context.peer_representation is None

    small = session.get_context(tokens=context.messages[-1].token_count)
    assert [m.content for m in small.messages] == ["Great."]

    assert context.to_openai(assistant=bot) == [
        {"role": "user", "name": "alice", "content": "Hello there, how are you doing today?"},
        {"role": "assistant", "name": "bot", "content": "I am fine, thank you for asking!"},
        {"role": "user", "name": "alice", "content": "Great."},
    ]
    assert context.to_anthropic(assistant="bot") == [
        {"role": "user", "content": "alice: Hello there, how are you doing today?"},
        {"role": "assistant", "content": "I am fine, thank you for asking!"},
        {"role": "user", "content": "alice: Great."},
    ]

    with_target = session.get_context(peer_target=alice, peer_perspective="bot", tokens=500)
    assert with_target.peer_representation is not None
    assert with_target.peer_representation.is_empty() and with_target.peer_card is None
    with pytest.raises(ValueError, match="peer_target"):
        session.get_context(peer_perspective="bot")
    with pytest.raises(ValueError, match="peer_target"):
        session.get_context(last_user_message="hi")


def test_get_context_sends_the_message_text_not_its_id(
    recorded: Honcho, recorder: Recorder
) -> None:
    session = recorded.session("chat")
    (message,) = session.add_messages(recorded.peer("alice").message("Where do I live?"))
    recorder.clear()
    session.get_context(peer_target="alice", last_user_message=message, limit_to_session=True)
    params = recorder.requests[0].url.params
    assert params["last_message"] == "Where do I live?"
    assert params["peer_target"] == "alice" and params["limit_to_session"] == "true"


def test_clone_and_delete(honcho: Honcho) -> None:
    source = honcho.session("source", metadata={"k": "v"}, config={"summary": {"enabled": False}})
    source.add_peers(("observer", SessionPeerConfig(observe_others=True)))
    alice = honcho.peer("alice")
    originals = source.add_messages([alice.message(f"m{i}") for i in range(4)])

    clone = source.clone()
    assert isinstance(clone, Session) and clone.id != "source"
    assert clone.metadata == {"k": "v"} and clone.configuration == {"summary": {"enabled": False}}
    assert [m.content for m in clone.get_messages()] == ["m0", "m1", "m2", "m3"]
    assert clone.get_peer_config("observer") == SessionPeerConfig(observe_others=True)
    partial = source.clone(message_id=originals[1].id)
    assert [m.content for m in partial.get_messages()] == ["m0", "m1"]
    with pytest.raises(NotFoundError):
        source.clone(message_id="no-such-message")

    clone.delete()
    assert sorted(s.id for s in honcho.get_sessions()) == sorted(["source", partial.id])
    with pytest.raises(NotFoundError):
        clone.delete()


def test_upload_file(honcho: Honcho, tmp_path: Path) -> None:
    session = honcho.session("docs")
    (text,) = session.upload_file(
        ("a.txt", "héllo".encode(), "text/plain"),
        peer=honcho.peer("alice"),
        metadata={"f": 1},
        created_at=WHEN,
    )
    assert text.content == "héllo" and text.metadata == {"f": 1} and text.created_at == WHEN

    path = tmp_path / "data.json"
    path.write_text(json.dumps({"a": 1, "b": ["x"]}))
    (from_path,) = session.upload_file(path, peer="bob")
    assert from_path.content == '{"a": 1, "b": ["x"]}' and from_path.peer_id == "bob"
    with path.open("rb") as handle:
        (from_handle,) = session.upload_file(handle, peer="bob")
    assert from_handle.content == from_path.content
    with path.open("rb") as handle:
        (from_tuple,) = session.upload_file(("d.json", handle, "application/json"), peer="bob")
    assert from_tuple.content == from_path.content

    long_text = "\n\n".join(f"Paragraph {i}: " + "word " * 400 for i in range(40))
    chunks = session.upload_file(("long.txt", long_text.encode(), "text/plain"), peer="alice")
    assert len(chunks) > 1 and "".join(m.content for m in chunks) == long_text
