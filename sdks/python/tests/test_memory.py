"""What the server learns, read through the SDK, on the server with a model and a deriver: polling
the deriver, chat (plain, targeted, in a session, streamed), working representations, peer
context, cards, observations, summaries.

The test server's model is scripted: each message becomes the fact "<peer> said: <content>", and
the dialectic answers "The question is about X[, as Y knows them...]. Query: ... Known: <facts>.
Session history: yes|no." so the tests can see what the server was asked."""

from __future__ import annotations

import time

import pytest

from honcho import (
    APIConnectionError,
    DialecticStreamResponse,
    Honcho,
    Observation,
    Peer,
    PeerContext,
    Representation,
    SessionPeerConfig,
)


@pytest.fixture
def group(chat_honcho: Honcho) -> Honcho:
    """alice and bob talk in "group_chat"; bob observes others there; the deriver is done."""
    alice = chat_honcho.peer("alice")
    bob = chat_honcho.peer("bob", config={"observe_others": True})
    session = chat_honcho.session("group_chat")
    session.add_messages(alice.message("Hello from Alice!"), bob.message("I ate eggs today."))
    status = chat_honcho.poll_deriver_status(timeout=60)
    assert status.pending_work_units == 0 and status.in_progress_work_units == 0
    return chat_honcho


def wait_for_card(peer: Peer) -> str:
    """The deriver refreshes cards just after it marks the work done: give it a moment."""
    deadline = time.monotonic() + 15
    while not (card := peer.card()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return card


def test_poll_deriver_status_waits_for_the_work(chat_honcho: Honcho) -> None:
    session = chat_honcho.session("chat")
    session.add_messages(chat_honcho.peer("alice").message("I just moved to Lisbon."))
    queued = session.get_deriver_status()
    assert queued.total_work_units >= 1
    done = session.poll_deriver_status(timeout=60)
    assert done.pending_work_units == 0 and done.in_progress_work_units == 0
    assert done.completed_work_units == done.total_work_units >= 1
    assert done.derivation is not None and done.derivation.enabled
    assert chat_honcho.get_deriver_status(observer="alice").total_work_units >= 1
    workspace = chat_honcho.get_deriver_status()
    assert workspace.sessions is not None and "chat" in workspace.sessions
    assert workspace.llm_usage["deriver"].calls >= 1
    with pytest.raises(ValueError):
        session.poll_deriver_status(timeout=0)


def test_chat(group: Honcho) -> None:
    alice, bob = group.peer("alice"), group.peer("bob")
    answer = alice.chat("What did Bob have for breakfast today?")
    assert answer is not None
    assert answer.startswith("The question is about alice.")
    assert "Query: What did Bob have for breakfast today?" in answer
    assert "alice said: Hello from Alice!" in answer and "Session history: no" in answer

    about_alice = bob.chat("What did Alice say?", target=alice, session="group_chat")
    assert about_alice is not None
    assert "about alice, as bob knows them" in about_alice
    assert "alice said: Hello from Alice!" in about_alice and "Session history: yes" in about_alice

    # alice does not observe others: she knows nothing of bob.
    assert "Known: nothing" in (alice.chat("What did Bob eat?", target=bob) or "")


def test_chat_stream(group: Honcho) -> None:
    bob = group.peer("bob")
    stream = bob.chat("What did I eat?", stream=True, session=group.session("group_chat"))
    assert isinstance(stream, DialecticStreamResponse) and not stream.is_complete
    chunks = list(stream)
    assert len(chunks) > 3 and stream.is_complete
    text = "".join(chunks)
    assert text == stream.get_final_response()["content"]
    assert text.startswith("The question is about bob.") and "bob said: I ate eggs today." in text
    assert text == bob.chat("What did I eat?", session="group_chat")

    with bob.chat("Stop early", stream=True) as early:
        assert next(early)
    assert not early.is_complete


def test_chat_stream_cut_short_is_an_error(chat_honcho: Honcho) -> None:
    """When the model's connection drops mid-answer the server ends the stream without its final
    frame; iterating raises instead of passing the fragment off as the whole answer."""
    stream = chat_honcho.peer("alice").chat("[cut] Tell me everything", stream=True)
    received = []
    with pytest.raises(APIConnectionError, match="incomplete"):
        for chunk in stream:
            received.append(chunk)
    assert "".join(received) == stream.get_final_response()["content"] == "partial answer "
    assert not stream.is_complete


def test_working_representations(group: Honcho) -> None:
    """Peer.working_rep and Session.working_rep both return the representation (the official
    Session.working_rep always came back empty)."""
    alice, bob = group.peer("alice"), group.peer("bob")
    session = group.session("group_chat")
    own = alice.working_rep()
    assert isinstance(own, Representation)
    assert [o.content for o in own.explicit] == ["alice said: Hello from Alice!"]
    assert own.explicit[0].session_name == "group_chat" and own.explicit[0].message_ids

    in_session = session.working_rep(alice)
    assert [o.content for o in in_session.explicit] == ["alice said: Hello from Alice!"]
    seen_by_bob = session.working_rep(bob, target=alice)
    assert [o.content for o in seen_by_bob.explicit] == ["alice said: Hello from Alice!"]
    assert bob.working_rep(target=alice, session=session, max_observations=5) == seen_by_bob
    assert alice.working_rep(target=bob).is_empty()
    searched = bob.working_rep(search_query="eggs", search_top_k=1, include_most_derived=True)
    assert "bob said: I ate eggs today." in str(searched)
    assert "EXPLICIT:" in own.str_no_timestamps() and "## Explicit" in own.format_as_markdown()


def test_peer_context(group: Honcho) -> None:
    """Peer.get_context works with a non-empty representation (the official SDK raised
    TypeError there)."""
    bob = group.peer("bob")
    assert wait_for_card(bob) == "bob said: I ate eggs today."
    context = bob.get_context()
    assert isinstance(context, PeerContext) and context.peer_id == context.target_id == "bob"
    assert context.representation is not None
    assert [o.content for o in context.representation.explicit] == ["bob said: I ate eggs today."]
    assert context.peer_card == ["bob said: I ate eggs today."]
    of_alice = bob.get_context(target="alice", search_query="hello", max_observations=10)
    assert of_alice.target_id == "alice" and of_alice.representation is not None
    assert not of_alice.representation.is_empty()


def test_session_context_with_a_target(group: Honcho) -> None:
    session = group.session("group_chat")
    (last,) = session.add_messages(group.peer("alice").message("What did I say first?"))
    context = session.get_context(
        peer_target="alice", peer_perspective="bob", last_user_message=last, tokens=2000
    )
    assert context.peer_representation is not None
    assert "alice said: Hello from Alice!" in str(context.peer_representation)
    openai = context.to_openai(assistant="bob")
    assert openai[0]["role"] == "system"
    assert openai[0]["content"].startswith("<peer_representation>")
    assert "alice said: Hello from Alice!" in openai[0]["content"]
    assert openai[-1] == {"role": "user", "name": "alice", "content": "What did I say first?"}
    anthropic = context.to_anthropic(assistant="bob")
    assert anthropic[0]["role"] == "user" and "<peer_representation>" in anthropic[0]["content"]


def test_observations(group: Honcho) -> None:
    alice, bob = group.peer("alice"), group.peer("bob")
    listed = bob.observations_of(alice).list()
    assert [o.content for o in listed] == ["alice said: Hello from Alice!"]
    assert isinstance(listed[0], Observation) and listed[0].session_id == "group_chat"
    assert [o.content for o in bob.observations.list(session="group_chat")] == [
        "bob said: I ate eggs today."
    ]

    created = alice.observations.create(
        [
            {"content": "Alice likes green tea", "session_id": "group_chat"},
            {"content": "Alice plays chess", "session_id": group.session("group_chat")},
        ]
    )
    assert [o.observer_id for o in created] == ["alice", "alice"]
    found = alice.observations.query("green tea", top_k=1)
    assert [o.content for o in found] == ["Alice likes green tea"]
    assert len(alice.observations.list(size=2)) == 2
    assert "Alice plays chess" in str(alice.observations.get_representation())
    alice.observations.delete(created[0].id)
    contents = {o.content for o in alice.observations.list()}
    assert "Alice likes green tea" not in contents and "Alice plays chess" in contents
    rep = bob.observations_of("alice").get_representation(max_observations=10)
    assert [o.content for o in rep.explicit] == ["alice said: Hello from Alice!"]


def test_summaries_and_context_with_summary(chat_honcho: Honcho) -> None:
    """After 20 messages the deriver writes a short summary; get_context(summary=True) uses it."""
    session = chat_honcho.session("long", config={"summary": {"messages_per_short_summary": 10}})
    session.add_peers([("bob", SessionPeerConfig(observe_me=False))])
    alice, bob = chat_honcho.peer("alice"), chat_honcho.peer("bob")
    assert session.get_summaries().short_summary is None
    session.add_messages([(alice if i % 2 else bob).message(f"line {i}") for i in range(12)])
    session.poll_deriver_status(timeout=60)
    summaries = session.get_summaries()
    assert summaries.id == "long" and summaries.short_summary is not None
    assert summaries.short_summary.content.startswith("Summary of")
    assert summaries.short_summary.summary_type == "honcho_chat_summary_short"
    assert summaries.long_summary is None

    context = session.get_context(summary=True, tokens=1500)
    assert context.summary == summaries.short_summary
    assert len(context) == len(context.messages) + 1
    openai = context.to_openai(assistant=alice)
    assert openai[0] == {
        "role": "system",
        "content": f"<summary>\n{summaries.short_summary.content}\n</summary>",
    }
    assert session.get_context(summary=False, tokens=1500).summary is None
