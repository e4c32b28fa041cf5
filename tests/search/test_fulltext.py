"""Message search by words (spec §8) on an API with no embedding provider: only the full-text leg
answers. Filters (§7), the routes' forced scopes, `peer_perspective` (§7.5), limits, and the
official SDK parsing the results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from honcho import Honcho
from honcho_core.types.workspaces.sessions.message import Message as CoreMessage

from tests.search.helpers import (
    MESSAGE_FIELDS,
    contents,
    peer_route,
    search,
    search_raw,
    session_route,
    write,
    ws_route,
)
from tests.support import LiveServer, unique

LISBON = "Alice lives in Lisbon"


def _session(client: httpx.Client, workspace: str, name: str, *peers: str) -> None:
    r = client.post(
        f"/v2/workspaces/{workspace}/sessions", json={"id": name, "peers": {p: {} for p in peers}}
    )
    assert r.status_code == 200, r.text


# --- by words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "where does Alice live?",
        "Where does ALICE live?!",
        "alice... live",
        "Alice, where do you live?",
        "where-does-alice-live",
        "(alice) [lives]",
    ],
)
def test_question_finds_message_by_its_words(
    client: httpx.Client, workspace: str, query: str
) -> None:
    """Punctuation and stop words don't stop a question from finding the message by its words."""
    write(
        client,
        workspace,
        "s1",
        ("alice", LISBON),
        ("bob", "I ate eggs today."),
        ("bob", "The weather is nice in Porto."),
    )
    found = search(client, ws_route(workspace), query)
    assert found, f"{query!r} found nothing"
    assert found[0]["content"] == LISBON
    assert "I ate eggs today." not in contents(found)


def test_messages_with_all_words_rank_before_those_with_some(
    client: httpx.Client, workspace: str
) -> None:
    """Messages holding every query word rank before messages holding only some."""
    write(
        client,
        workspace,
        "s1",
        ("alice", "Alice likes green tea."),
        ("bob", "Lisbon has many trams."),
        ("alice", LISBON),
        ("bob", "Trams and tea."),
    )
    found = contents(search(client, ws_route(workspace), "where in Lisbon does Alice live?"))
    assert found[0] == LISBON
    assert "Trams and tea." not in found


def test_no_match_is_an_empty_list(client: httpx.Client, workspace: str) -> None:
    """A query matching nothing returns 200 with []."""
    write(client, workspace, "s1", ("alice", LISBON))
    assert search(client, ws_route(workspace), "zebra xylophone") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("to be or not to be", ["To be or not to be, that is the question"]),
        ("to be", ["I want to be a pilot", "To be or not to be, that is the question"]),
        ("?!", ["What?! No way"]),
        ("%", ["Battery at 50%"]),
        ("_", ["snake_case names"]),
        ("...", ["Well... maybe"]),
    ],
)
def test_query_without_indexable_words_falls_back_to_substring(
    client: httpx.Client, workspace: str, query: str, expected: list[str]
) -> None:
    """Stop-word/punctuation-only queries match as literal substrings (% and _ too)."""
    write(
        client,
        workspace,
        "s1",
        ("alice", "To be or not to be, that is the question"),
        ("bob", "What?! No way"),
        ("alice", "Battery at 50%"),
        ("bob", "snake_case names"),
        ("alice", "Well... maybe"),
        ("bob", "Nothing special here"),
        ("alice", "I want to be a pilot"),
    )
    assert contents(search(client, ws_route(workspace), query)) == expected


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture
def orchard(client: httpx.Client, workspace: str) -> str:
    """Three 'apple' messages across two sessions and two peers, with metadata and dates; one
    message without the word; and another workspace holding the same words."""
    write(
        client,
        workspace,
        "s1",
        {
            "peer_id": "alice",
            "content": "apple pie recipe",
            "metadata": {"topic": "food", "score": 5},
            "created_at": "2024-01-01T00:00:00Z",
        },
        {
            "peer_id": "bob",
            "content": "apple orchard tour",
            "metadata": {"topic": "travel", "score": 2},
            "created_at": "2024-06-01T00:00:00Z",
        },
    )
    write(
        client,
        workspace,
        "s2",
        {
            "peer_id": "alice",
            "content": "apple stock price",
            "metadata": {"topic": "finance", "score": 9},
            "created_at": "2025-01-01T00:00:00Z",
        },
        {"peer_id": "bob", "content": "banana bread", "created_at": "2025-02-01T00:00:00Z"},
    )
    other = unique("other")
    write(client, other, "s1", ("alice", "apple from elsewhere"), ("bob", "apple again"))
    write(client, other, "s2", ("alice", "apple in the other s2"))
    return other


PIE, TOUR, STOCK = "apple pie recipe", "apple orchard tour", "apple stock price"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (None, {PIE, TOUR, STOCK}),
        ({}, {PIE, TOUR, STOCK}),
        ({"peer_id": "alice"}, {PIE, STOCK}),
        ({"session_id": "s1"}, {PIE, TOUR}),
        ({"session_id": {"in": ["s1", "s2"]}}, {PIE, TOUR, STOCK}),
        ({"metadata": {"topic": "food"}}, {PIE}),
        ({"metadata": {"score": {"gt": 3}}}, {PIE, STOCK}),
        ({"created_at": {"gte": "2024-03-01"}}, {TOUR, STOCK}),
        ({"created_at": {"lt": "2024-03-01T00:00:00Z"}}, {PIE}),
        ({"AND": [{"peer_id": "alice"}, {"created_at": {"gte": "2024-06-01"}}]}, {STOCK}),
        ({"OR": [{"session_id": "s2"}, {"metadata": {"topic": "travel"}}]}, {TOUR, STOCK}),
        ({"NOT": [{"peer_id": "alice"}]}, {TOUR}),
        ({"peer_id": "nobody"}, set()),
    ],
)
def test_filters_narrow_the_results(
    client: httpx.Client,
    workspace: str,
    orchard: str,
    filters: dict[str, Any] | None,
    expected: set[str],
) -> None:
    """peer_id, session_id, metadata, created_at and AND/OR/NOT filters narrow search."""
    found = search(client, ws_route(workspace), "apple", filters=filters)
    assert set(contents(found)) == expected
    assert len(found) == len(expected)


@pytest.mark.parametrize(
    "filters",
    [
        {"nope": 1},
        {"id": "x"},
        {"created_at": {"gte": "not a date"}},
        {"AND": {"peer_id": "alice"}},
        {"peer_perspective": 5},
        {"peer_perspective": ["alice"]},
    ],
)
def test_bad_filters_are_422(client: httpx.Client, workspace: str, filters: dict[str, Any]) -> None:
    """Bad filters (unknown column, bad date, bad logic, non-string perspective) are 422."""
    write(client, workspace, "s1", ("alice", "apple"))
    r = search_raw(client, ws_route(workspace), "apple", filters=filters)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_workspace_route_cannot_be_widened_to_another_workspace(
    client: httpx.Client, workspace: str, orchard: str
) -> None:
    """A body workspace_id filter cannot reach another workspace."""
    for filters in ({"workspace_id": orchard}, {"OR": [{"workspace_id": orchard}]}):
        found = search(client, ws_route(workspace), "apple", filters=filters)
        assert all(m["workspace_id"] == workspace for m in found), found
        assert "apple from elsewhere" not in contents(found)


def test_peer_route_is_forced_to_its_peer(
    client: httpx.Client, workspace: str, orchard: str
) -> None:
    """The peer route is forced to its peer: body filters narrow it but never widen it."""
    route = peer_route(workspace, "alice")
    assert set(contents(search(client, route, "apple"))) == {PIE, STOCK}
    for filters in (
        {"peer_id": "bob"},
        {"OR": [{"peer_id": "bob"}, {"peer_id": "alice"}]},
        {"workspace_id": orchard},
    ):
        found = search(client, route, "apple", filters=filters)
        assert {m["peer_id"] for m in found} <= {"alice"}, (filters, found)
        assert {m["workspace_id"] for m in found} <= {workspace}, (filters, found)
    assert contents(search(client, route, "apple", filters={"session_id": "s1"})) == [PIE]
    assert search(client, peer_route(workspace, "nobody"), "apple") == []


def test_session_route_is_forced_to_its_session(
    client: httpx.Client, workspace: str, orchard: str
) -> None:
    """The session route is forced to its session: body filters narrow, never widen."""
    route = session_route(workspace, "s1")
    assert set(contents(search(client, route, "apple"))) == {PIE, TOUR}
    for filters in (
        {"session_id": "s2"},
        {"OR": [{"session_id": "s2"}, {"session_id": "s1"}]},
        {"session_id": {"in": ["s1", "s2"]}},
        {"workspace_id": orchard},
    ):
        found = search(client, route, "apple", filters=filters)
        assert {m["session_id"] for m in found} <= {"s1"}, (filters, found)
        assert {m["workspace_id"] for m in found} <= {workspace}, (filters, found)
    assert contents(search(client, route, "apple", filters={"peer_id": "bob"})) == [TOUR]
    assert search(client, session_route(workspace, "missing"), "apple") == []


# --- peer_perspective ---------------------------------------------------------------------------


def test_peer_perspective_limits_to_what_the_peer_was_there_to_see(
    client: httpx.Client, workspace: str
) -> None:
    """peer_perspective keeps only messages written in the peer's sessions while it was in."""
    sessions = f"/v2/workspaces/{workspace}/sessions"
    _session(client, workspace, "with", "alice", "charlie")
    _session(client, workspace, "joined-late", "alice")
    _session(client, workspace, "left-early", "alice", "charlie")
    _session(client, workspace, "never", "alice")
    write(client, workspace, "with", ("alice", "plan one with charlie present"))
    write(client, workspace, "joined-late", ("alice", "plan two before charlie joined"))
    assert client.post(f"{sessions}/joined-late/peers", json={"charlie": {}}).status_code == 200
    write(client, workspace, "joined-late", ("alice", "plan three after charlie joined"))
    write(client, workspace, "left-early", ("alice", "plan four before charlie left"))
    r = client.request("DELETE", f"{sessions}/left-early/peers", json=["charlie"])
    assert r.status_code == 200, r.text
    write(client, workspace, "left-early", ("alice", "plan five after charlie left"))
    write(client, workspace, "never", ("alice", "plan six charlie never saw"))

    everything = contents(search(client, ws_route(workspace), "plan", limit=100))
    assert len(everything) == 6
    seen = search(
        client, ws_route(workspace), "plan", filters={"peer_perspective": "charlie"}, limit=100
    )
    assert sorted(contents(seen)) == [
        "plan four before charlie left",
        "plan one with charlie present",
        "plan three after charlie joined",
    ]
    # Combined with other filters and on the scoped routes.
    narrowed = search(
        client,
        ws_route(workspace),
        "plan",
        filters={"peer_perspective": "charlie", "session_id": "joined-late"},
    )
    assert contents(narrowed) == ["plan three after charlie joined"]
    by_alice = search(
        client, peer_route(workspace, "alice"), "plan", filters={"peer_perspective": "charlie"}
    )
    assert len(by_alice) == 3
    in_session = search(
        client,
        session_route(workspace, "left-early"),
        "plan",
        filters={"peer_perspective": "charlie"},
    )
    assert contents(in_session) == ["plan four before charlie left"]
    stranger = search(client, ws_route(workspace), "plan", filters={"peer_perspective": "stranger"})
    assert stranger == []


# --- limit and validation -----------------------------------------------------------------------


def test_limit_caps_results_default_10(client: httpx.Client, workspace: str) -> None:
    """limit defaults to 10 and caps the results anywhere from 1 to 100."""
    write(client, workspace, "s1", *[("alice", f"kiwi number {i}") for i in range(15)])
    route = ws_route(workspace)
    assert len(search(client, route, "kiwi")) == 10
    assert len(search(client, route, "kiwi", limit=1)) == 1
    assert len(search(client, route, "kiwi", limit=3)) == 3
    assert len(search(client, route, "kiwi", limit=100)) == 15
    ids = [m["id"] for m in search(client, route, "kiwi", limit=100)]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "body",
    [
        {"query": "kiwi", "limit": 0},
        {"query": "kiwi", "limit": 101},
        {"query": "kiwi", "limit": -1},
        {"query": "kiwi", "limit": "many"},
        {"query": ""},
        {},
        {"query": None},
        {"query": 5},
        {"query": "x" * 10_001},
        {"query": "kiwi", "filters": "peer_id"},
    ],
)
@pytest.mark.parametrize("route", ["workspace", "peer", "session"])
def test_invalid_search_bodies_are_422(
    client: httpx.Client, workspace: str, body: dict[str, Any], route: str
) -> None:
    """Bad limit (outside 1-100) or query (missing/empty/long/non-string) is 422 on every route."""
    url = {
        "workspace": ws_route(workspace),
        "peer": peer_route(workspace, "alice"),
        "session": session_route(workspace, "s1"),
    }[route]
    r = client.post(f"{url}/search", json=body)
    assert r.status_code == 422, r.text


def test_results_are_message_objects(client: httpx.Client, workspace: str) -> None:
    """Each search result is exactly the Message object the write returned."""
    written = write(
        client,
        workspace,
        "s1",
        {"peer_id": "alice", "content": LISBON, "metadata": {"k": [1, {"x": None}]}},
    )
    for route in (
        ws_route(workspace),
        peer_route(workspace, "alice"),
        session_route(workspace, "s1"),
    ):
        found = search(client, route, "Alice Lisbon")
        assert len(found) == 1
        assert sorted(found[0]) == MESSAGE_FIELDS
        assert found[0] == written[0]


# --- official SDK -------------------------------------------------------------------------------


@pytest.fixture
def sdk(api_server: LiveServer) -> Iterator[Honcho]:
    honcho = Honcho(base_url=api_server.base_url, workspace_id=unique("sdk-search"))
    yield honcho
    honcho.core.close()


def test_official_sdk_parses_search_results(sdk: Honcho) -> None:
    """The SDK's honcho.search, peer.search and session.search parse the results, scoped."""
    alice, bob = sdk.peer("alice"), sdk.peer("bob")
    home, trip = sdk.session("home"), sdk.session("trip")
    home.add_messages([alice.message(LISBON), bob.message("Bob lives in Porto")])
    trip.add_messages([alice.message("I live out of a suitcase on trips")])

    everywhere = sdk.search("where does Alice live?")
    assert all(isinstance(m, CoreMessage) for m in everywhere)
    assert everywhere[0].content == LISBON
    assert everywhere[0].peer_id == "alice" and everywhere[0].session_id == "home"
    assert everywhere[0].workspace_id == sdk.workspace_id
    assert len(everywhere[0].id) == 21 and everywhere[0].token_count > 0

    by_bob = bob.search("where does he live?")
    assert [m.content for m in by_bob] == ["Bob lives in Porto"]
    on_trip = trip.search("where do I live?", limit=5)
    assert [m.content for m in on_trip] == ["I live out of a suitcase on trips"]
    narrowed = sdk.search("lives", filters={"session_id": "home"}, limit=1)
    assert len(narrowed) == 1 and narrowed[0].session_id == "home"
