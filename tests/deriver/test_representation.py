"""Representations built by real `honcho deriver` processes from the scripted LLM's answers."""

from __future__ import annotations

import httpx

from tests.deriver.conftest import DeriverFactory, observations, send, wait_drained
from tests.deriver.scripted import ScriptedLLM, kind
from tests.fakes.vendor import FakeVendor


def test_messages_become_observations_of_their_sender(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Each sender's global view gets the facts from its own messages, from one batched call."""
    deriver()
    send(api, ws, "s", ("alice", "I just moved to Lisbon."), ("bob", "I ate eggs today."))
    done = wait_drained(api, ws)
    assert done["failed_work_units"] == 0
    assert done["completed_work_units"] == done["total_work_units"] == 2
    assert observations(api, ws, "alice", "alice") == ["alice said: I just moved to Lisbon."]
    assert observations(api, ws, "bob", "bob") == ["bob said: I ate eggs today."]
    assert len(llm.extraction_calls) == 1 and len(llm.extraction_calls[0]) == 2


def test_local_views_only_hold_what_the_observer_witnessed(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Diplomacy: Charlie observes others in the main chat only; the side chat between Alice and
    Bob, and what was said before Charlie joined, never reach Charlie's view of Alice."""
    deriver()
    sessions = f"/v2/workspaces/{ws}/sessions"
    api.post(sessions, json={"id": "main", "peers": {"alice": {}, "bob": {}}})
    send(api, ws, "main", ("alice", "Before Charlie arrives: I distrust Charlie."))
    api.post(f"{sessions}/main/peers", json={"charlie": {"observe_others": True}})
    send(api, ws, "main", ("alice", "Welcome Charlie, let us ally against Bob."))
    api.post(sessions, json={"id": "side", "peers": {"alice": {}, "bob": {}}})
    send(api, ws, "side", ("alice", "Bob, I will betray Charlie in the spring."))
    api.request("DELETE", f"{sessions}/main/peers", json=["charlie"])
    send(api, ws, "main", ("alice", "Charlie left; now Bob and I can talk."))
    wait_drained(api, ws)
    assert observations(api, ws, "charlie", "alice") == [
        "alice said: Welcome Charlie, let us ally against Bob."
    ]
    assert sorted(observations(api, ws, "alice", "alice")) == sorted(
        [
            "alice said: Before Charlie arrives: I distrust Charlie.",
            "alice said: Welcome Charlie, let us ally against Bob.",
            "alice said: Bob, I will betray Charlie in the spring.",
            "alice said: Charlie left; now Bob and I can talk.",
        ]
    )
    assert observations(api, ws, "bob", "alice") == []  # bob does not observe others


def test_facts_are_credited_to_the_right_speaker(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """In a three-peer chat a fact must name the author of the message it cites: misattributed
    facts are dropped, and what Bob says about Alice is stored as a fact about Bob."""

    def facts(messages: list) -> list[dict]:  # type: ignore[type-arg]
        bob = next(m for m in messages if m.peer == "bob")
        carol = next(m for m in messages if m.peer == "carol")
        return [
            {"peer": "alice", "content": "alice is vegetarian", "sources": [bob.number]},
            {"peer": "bob", "content": "bob says alice is vegetarian", "sources": [bob.number]},
            {"peer": "dave", "content": "dave likes chess", "sources": [carol.number]},
            {
                "peer": "Carol",
                "content": "carol shared an article about chess",
                "sources": [carol.number],
            },
        ]

    llm.facts = facts
    deriver()
    send(
        api,
        ws,
        "s",
        ("alice", "hi all"),
        ("bob", "Alice is vegetarian, you know."),
        ("carol", "Read this: 'Dave likes chess' from the club newsletter."),
    )
    wait_drained(api, ws)
    assert observations(api, ws, "alice", "alice") == []
    assert observations(api, ws, "bob", "bob") == ["bob says alice is vegetarian"]
    assert observations(api, ws, "carol", "carol") == ["carol shared an article about chess"]


def test_one_session_is_processed_in_message_order(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Messages written in several requests are derived in order, each exactly once."""
    deriver()
    for i in range(6):
        send(api, ws, "s", ("alice", f"message {i} " + "word " * 50))
    wait_drained(api, ws)
    seen = [m.content.split(" ")[1] for call in llm.extraction_calls for m in call]
    assert seen == [str(i) for i in range(6)]


def test_batches_respect_the_token_budget(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Pending messages are batched up to DERIVER_REPRESENTATION_BATCH_MAX_TOKENS per call."""
    send(api, ws, "s", *[("alice", f"note {i} " + f"topic{i} " * 30) for i in range(6)])
    deriver(DERIVER_REPRESENTATION_BATCH_MAX_TOKENS="70")
    wait_drained(api, ws)
    sizes = [len(call) for call in llm.extraction_calls]
    assert sum(sizes) == 6 and all(1 <= s <= 2 for s in sizes) and len(sizes) >= 3
    assert len(observations(api, ws, "alice", "alice")) == 6


def test_custom_instructions_reach_the_extraction_prompt(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """A session's deriver.custom_instructions are given to the model with its messages."""
    api.post(
        f"/v2/workspaces/{ws}/sessions",
        json={"id": "s", "configuration": {"deriver": {"custom_instructions": "Track hobbies."}}},
    )
    deriver()
    send(api, ws, "s", ("alice", "I paint on Sundays"))
    wait_drained(api, ws)
    (request,) = [r for r in vendor.chat_requests() if kind(r) == "extraction"]
    assert request.system.endswith("Instructions from the application:\nTrack hobbies.")
