"""Summaries, peer cards and de-duplication, end to end through a deriver process."""

from __future__ import annotations

import httpx
import psycopg

from tests.deriver.conftest import DeriverFactory, observations, send, wait_drained
from tests.deriver.scripted import ScriptedLLM, kind, prompt_text
from tests.fakes.vendor import FakeVendor


def _sql(database_url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        return conn.execute(query, params).fetchall()


def test_summaries_are_built_from_the_previous_one_with_exact_boundaries(
    api: httpx.Client,
    ws: str,
    vendor: FakeVendor,
    llm: ScriptedLLM,
    deriver: DeriverFactory,
    database_url: str,
) -> None:
    """Short summaries every 10 and long every 20 messages cover exactly up to their trigger
    message, each folding in the previous summary of its kind."""
    api.put(
        f"/v2/workspaces/{ws}",
        json={
            "configuration": {
                "summary": {"messages_per_short_summary": 10, "messages_per_long_summary": 20}
            }
        },
    )
    for i in range(1, 26):
        send(api, ws, "s", ("alice" if i % 2 else "bob", f"line {i}"))
    deriver()
    wait_drained(api, ws)
    rows = _sql(
        database_url,
        "SELECT summary_type, message_seq, content FROM session_summaries "
        "WHERE workspace_name = %s ORDER BY summary_type",
        ws,
    )
    assert rows == [
        ("long", 20, "Summary of 20 messages."),
        ("short", 20, "Summary of 10 messages."),
    ]
    summaries = [prompt_text(r) for r in vendor.chat_requests() if kind(r) == "summary"]
    second_short = [p for p in summaries if "line 11" in p and "line 1\n" not in p]
    assert second_short and "Summary of 10 messages." in second_short[0]


def test_peer_cards_are_updated_from_new_observations(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Each view that learned something gets its card refreshed: the global one and the
    observer's card of the other peer."""
    api.post(
        f"/v2/workspaces/{ws}/sessions",
        json={"id": "s", "peers": {"alice": {}, "bob": {"observe_others": True}}},
    )
    deriver()
    send(api, ws, "s", ("alice", "My name is Alice and I live in Lisbon"))
    wait_drained(api, ws)
    own = api.get(f"/v2/workspaces/{ws}/peers/alice/card").json()
    assert own == {"peer_card": ["alice said: My name is Alice and I live in Lisbon"]}
    bobs = api.get(f"/v2/workspaces/{ws}/peers/bob/card", params={"target": "alice"}).json()
    assert bobs == own


def test_near_duplicate_facts_are_merged_not_stored_again(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory, database_url: str
) -> None:
    """Re-deriving the same fact in a later batch counts it (times_derived) on the stored one."""
    deriver()
    send(api, ws, "s", ("alice", "I love green tea"))
    wait_drained(api, ws)
    send(api, ws, "s", ("alice", "I love green tea!"))
    wait_drained(api, ws)
    assert observations(api, ws, "alice", "alice") == ["alice said: I love green tea"]
    rows = _sql(
        database_url,
        "SELECT times_derived, cardinality(message_ids) FROM documents WHERE workspace_name = %s",
        ws,
    )
    assert rows == [(2, 2)]
