"""Working representation (spec §6.3.6, §10, §4.9) and peer context (§6.3.7, §4.10) routes.

Observations with provenance (message ids, source-message times, deductive premises) are seeded
into `documents` by SQL, as the deriver would write them; the semantic slice is exercised on
the API with the fake vendor's embedder (observations created over HTTP get embedded)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from honcho import Honcho
from psycopg.types.json import Jsonb

from tests.deriver.conftest import derive_api, vendor
from tests.support import LiveServer, unique

__all__ = ["derive_api", "vendor"]  # fixtures: the API with the fake embedder

Body = dict[str, Any]
BASE = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def http(api_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url, timeout=30.0) as c:
        yield c


def _pg(database_url: str) -> str:
    return database_url.replace("+psycopg", "")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _seed(
    database_url: str,
    ws: str,
    observer: str,
    observed: str,
    session: str,
    content: str,
    *,
    created_at: datetime,
    level: str = "explicit",
    premises: list[str] | None = None,
    message_ids: list[int] | None = None,
    message_created_at: datetime | None = None,
    times_derived: int = 1,
) -> None:
    """One observation as the deriver stores it."""
    with psycopg.connect(_pg(database_url)) as conn:
        conn.execute(
            """
            INSERT INTO documents (id, workspace_name, observer, observed, session_name, level,
                                   content, premises, message_ids, times_derived,
                                   message_created_at, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                secrets.token_urlsafe(16)[:21],
                ws,
                observer,
                observed,
                session,
                level,
                content,
                Jsonb(premises or []),
                message_ids or [],
                times_derived,
                message_created_at,
                created_at,
            ),
        )


def _internal_id(database_url: str, public_id: str) -> int:
    with psycopg.connect(_pg(database_url)) as conn:
        row = conn.execute("SELECT id FROM messages WHERE public_id = %s", (public_id,)).fetchone()
    assert row is not None
    return int(row[0])


def _representation(client: httpx.Client, ws: str, peer: str, **body: Any) -> Body:
    r = client.post(f"/v2/workspaces/{ws}/peers/{peer}/representation", json=body)
    assert r.status_code == 200, r.text
    found: Body = r.json()
    return found


def _texts(rep: Body) -> list[str]:
    return [e["content"] for e in rep["explicit"]] + [d["conclusion"] for d in rep["deductive"]]


def _peer_context(client: httpx.Client, ws: str, peer: str, **params: Any) -> Body:
    r = client.get(f"/v2/workspaces/{ws}/peers/{peer}/context", params=params)
    assert r.status_code == 200, r.text
    found: Body = r.json()
    return found


# --- a small world with provenance --------------------------------------------------------------

LISBON, ROVER, PORTUGUESE, FADO = (
    "Alice moved to Lisbon in 2020",
    "Alice has a dog named Rover",
    "Alice is learning Portuguese",
    "Alice likes fado",
)
PORTUGAL = "Alice lives in Portugal"
BOB_SEES = "Alice talks about Rover a lot"


@pytest.fixture(scope="module")
def world(http: httpx.Client, database_url: str) -> dict[str, Any]:
    """Alice's global view: three explicit facts citing messages of s1/s2, one with no source
    time, one deduction; Bob's view of Alice; cards of both views."""
    ws = unique("rep")
    messages: dict[str, Body] = {}
    for session, name, content, when in (
        ("s1", "m1", "I moved to Lisbon in 2020", "2024-01-01T10:00:00Z"),
        ("s1", "m2", "I have a dog named Rover", "2024-02-01T10:00:00Z"),
        ("s2", "m3", "I started learning Portuguese", "2024-03-01T10:00:00Z"),
    ):
        r = http.post(
            f"/v2/workspaces/{ws}/sessions/{session}/messages/",
            json={"messages": [{"peer_id": "alice", "content": content, "created_at": when}]},
        )
        assert r.status_code == 200, r.text
        messages[name] = r.json()[0]
    r = http.post(f"/v2/workspaces/{ws}/sessions/s1/peers", json={"bob": {}})
    assert r.status_code == 200, r.text
    ids = {k: _internal_id(database_url, m["id"]) for k, m in messages.items()}
    times = {k: _when(m["created_at"]) for k, m in messages.items()}
    seed = [
        ("alice", "s1", LISBON, "explicit", None, "m1", 0),
        ("alice", "s1", ROVER, "explicit", None, "m2", 1),
        ("alice", "s1", PORTUGAL, "deductive", [LISBON], "m1", 2),
        ("alice", "s2", PORTUGUESE, "explicit", None, "m3", 3),
        ("bob", "s1", BOB_SEES, "explicit", None, "m2", 4),
    ]
    for observer, session, content, level, premises, source, day in seed:
        _seed(
            database_url,
            ws,
            observer,
            "alice",
            session,
            content,
            created_at=BASE + timedelta(days=day),
            level=level,
            premises=premises,
            message_ids=[ids[source]],
            message_created_at=times[source],
        )
    # No source-message time: the document's own time, microseconds dropped, stands in.
    fado_time = datetime(2024, 6, 1, 12, 34, 56, 789_123, tzinfo=UTC)
    _seed(database_url, ws, "alice", "alice", "s2", FADO, created_at=fado_time)
    for peer, target, card in (("alice", None, ["Name: Alice"]), ("bob", "alice", ["Owns a dog"])):
        params = {"target": target} if target else {}
        r = http.put(
            f"/v2/workspaces/{ws}/peers/{peer}/card", params=params, json={"peer_card": card}
        )
        assert r.status_code == 200, r.text
    return {"ws": ws, "ids": ids, "times": times}


def test_items_carry_provenance_sorted_by_source_time(
    http: httpx.Client, world: dict[str, Any]
) -> None:
    """Items carry message_ids, session_name and source-message created_at, sorted by it."""
    ws, ids, times = world["ws"], world["ids"], world["times"]
    body = _representation(http, ws, "alice")
    rep = body["representation"]
    assert [sorted(e) for e in rep["explicit"]] == [
        ["content", "created_at", "message_ids", "session_name"]
    ] * 4
    assert [
        (e["content"], e["message_ids"], e["session_name"], _when(e["created_at"]))
        for e in rep["explicit"]
    ] == [
        (LISBON, [ids["m1"]], "s1", times["m1"]),
        (ROVER, [ids["m2"]], "s1", times["m2"]),
        (PORTUGUESE, [ids["m3"]], "s2", times["m3"]),
        (FADO, [], "s2", datetime(2024, 6, 1, 12, 34, 56, tzinfo=UTC)),
    ]
    assert rep["deductive"] == [
        {
            "created_at": rep["deductive"][0]["created_at"],
            "message_ids": [ids["m1"]],
            "session_name": "s1",
            "premises": [LISBON],
            "conclusion": PORTUGAL,
        }
    ]
    assert _when(rep["deductive"][0]["created_at"]) == times["m1"]


def test_representation_is_also_at_the_top_level(http: httpx.Client, world: dict[str, Any]) -> None:
    """The representation is wrapped in "representation" and repeated at the top level."""
    body = _representation(http, world["ws"], "alice")
    assert sorted(body) == ["deductive", "explicit", "representation"]
    assert body["explicit"] == body["representation"]["explicit"]
    assert body["deductive"] == body["representation"]["deductive"]


def test_target_and_session_pick_the_view_and_the_recent_slice(
    http: httpx.Client, world: dict[str, Any]
) -> None:
    """target picks the view and session_id scopes the recent slice; empty views are [] (200)."""
    ws = world["ws"]
    assert _texts(_representation(http, ws, "bob", target="alice")["representation"]) == [BOB_SEES]
    in_s1 = _representation(http, ws, "alice", session_id="s1")["representation"]
    assert _texts(in_s1) == [LISBON, ROVER, PORTUGAL]
    in_s2 = _representation(http, ws, "alice", session_id="s2")["representation"]
    assert _texts(in_s2) == [PORTUGUESE, FADO]
    for peer, body in (
        ("alice", {"target": "bob"}),
        ("alice", {"session_id": "nowhere"}),
        ("nobody", {}),
        ("bob", {}),
    ):
        assert _representation(http, ws, peer, **body)["representation"] == {
            "explicit": [],
            "deductive": [],
        }


def test_official_sdk_working_rep(api_server: LiveServer, world: dict[str, Any]) -> None:
    """The SDK's Peer.working_rep() and Session.working_rep() both return the representation."""
    honcho = Honcho(base_url=api_server.base_url, workspace_id=world["ws"])
    try:
        alice = honcho.peer("alice")
        everything = alice.working_rep()
        assert [e.content for e in everything.explicit] == [LISBON, ROVER, PORTUGUESE, FADO]
        assert [d.conclusion for d in everything.deductive] == [PORTUGAL]
        assert everything.deductive[0].premises == [LISBON]
        assert [e.content for e in alice.working_rep(session="s2").explicit] == [PORTUGUESE, FADO]
        in_s1 = honcho.session("s1").working_rep("alice")
        assert [e.content for e in in_s1.explicit] == [LISBON, ROVER]
        assert [d.conclusion for d in in_s1.deductive] == [PORTUGAL]
        assert in_s1.explicit[0].message_ids == [world["ids"]["m1"]]
        bobs = honcho.session("s1").working_rep("bob", target="alice")
        assert [e.content for e in bobs.explicit] == [BOB_SEES]
        assert [e.content for e in honcho.peer("bob").working_rep(target="alice").explicit] == [
            BOB_SEES
        ]
    finally:
        honcho.core.close()


# --- slot sizes: max_observations, include_most_derived -----------------------------------------


@pytest.fixture(scope="module")
def many(http: httpx.Client, database_url: str) -> str:
    """Carol's global view: 30 facts, fact 0 oldest; facts 0 and 1 derived most often."""
    ws = unique("many")
    r = http.post(f"/v2/workspaces/{ws}/sessions", json={"id": "s", "peers": {"carol": {}}})
    assert r.status_code == 200, r.text
    for i in range(30):
        _seed(
            database_url,
            ws,
            "carol",
            "carol",
            "s",
            f"fact {i}",
            created_at=BASE + timedelta(minutes=i),
            times_derived={0: 9, 1: 5}.get(i, 1),
        )
    return ws


def _facts(*numbers: int) -> list[str]:
    return [f"fact {i}" for i in numbers]


def test_max_observations(http: httpx.Client, many: str) -> None:
    """max_observations: 25 by default, N most recent, explicit null means the setting (50)."""
    assert _texts(_representation(http, many, "carol")["representation"]) == _facts(*range(5, 30))
    five = _representation(http, many, "carol", max_observations=5)["representation"]
    assert _texts(five) == _facts(*range(25, 30))
    assert (
        len(_texts(_representation(http, many, "carol", max_observations=None)["representation"]))
        == 30
    )
    assert (
        len(_texts(_representation(http, many, "carol", max_observations=100)["representation"]))
        == 30
    )
    one = _representation(http, many, "carol", max_observations=1)["representation"]
    assert _texts(one) == _facts(29)


def test_include_most_derived(http: httpx.Client, many: str) -> None:
    """include_most_derived gives half the slots (no query) to the most derived observations."""
    plain = _representation(http, many, "carol", max_observations=4)["representation"]
    assert _texts(plain) == _facts(26, 27, 28, 29)
    derived = _representation(http, many, "carol", max_observations=4, include_most_derived=True)
    assert _texts(derived["representation"]) == _facts(0, 1, 28, 29)


@pytest.mark.parametrize(
    "body",
    [
        {"max_observations": 0},
        {"max_observations": 101},
        {"max_observations": -1},
        {"search_top_k": 0},
        {"search_top_k": 101},
        {"search_max_distance": -0.1},
        {"search_max_distance": 1.1},
        {"target": "bad name!"},
        {"session_id": ""},
    ],
)
def test_out_of_range_options_are_422(http: httpx.Client, many: str, body: Body) -> None:
    """Out-of-range max_observations, search_top_k, search_max_distance or names are 422."""
    r = http.post(f"/v2/workspaces/{many}/peers/carol/representation", json=body)
    assert r.status_code == 422, r.text


# --- semantic slice (fake embedder) -------------------------------------------------------------


@pytest.fixture(scope="module")
def semantic(derive_api: LiveServer) -> Iterator[tuple[httpx.Client, str]]:
    """Dana's global view on the API with embeddings: the dog fact first (oldest), then six
    unrelated facts, each created in its own request so their times differ."""
    with httpx.Client(base_url=derive_api.base_url, timeout=30.0) as client:
        ws = unique("sem")
        r = client.post(f"/v2/workspaces/{ws}/sessions", json={"id": "s", "peers": {"dana": {}}})
        assert r.status_code == 200, r.text
        for content in [
            "Dana has a dog named Rover",
            "Dana enjoys jazz concerts",
            "Dana works as a nurse",
            "Dana drinks green tea",
            "Dana visited Japan",
            "Dana plays chess",
            "Dana bakes sourdough",
        ]:
            obs = {
                "content": content,
                "observer_id": "dana",
                "observed_id": "dana",
                "session_id": "s",
            }
            r = client.post(f"/v2/workspaces/{ws}/observations", json={"observations": [obs]})
            assert r.status_code == 200, r.text
        yield client, ws


def test_search_query_adds_the_semantic_slice(semantic: tuple[httpx.Client, str]) -> None:
    """search_query adds the nearest observations (top_k, under max_distance) to recent ones."""
    client, ws = semantic
    # Observations made within one second tie on created_at, so compare as sets.
    recent = _texts(_representation(client, ws, "dana", max_observations=3)["representation"])
    assert sorted(recent) == ["Dana bakes sourdough", "Dana plays chess", "Dana visited Japan"]
    found = _representation(client, ws, "dana", max_observations=3, search_query="dog named Rover")
    assert sorted(_texts(found["representation"])) == [
        "Dana bakes sourdough",
        "Dana has a dog named Rover",
        "Dana plays chess",
    ]
    top2 = _representation(
        client, ws, "dana", max_observations=3, search_query="dog named Rover", search_top_k=2
    )
    texts = _texts(top2["representation"])
    assert "Dana has a dog named Rover" in texts and "Dana bakes sourdough" in texts
    assert len(texts) <= 3
    far = _representation(
        client,
        ws,
        "dana",
        max_observations=3,
        search_query="dog named Rover",
        search_max_distance=0.2,
    )
    assert "Dana has a dog named Rover" not in _texts(far["representation"])
    near = _representation(
        client,
        ws,
        "dana",
        max_observations=3,
        search_query="dog named Rover",
        search_max_distance=0.5,
    )
    assert "Dana has a dog named Rover" in _texts(near["representation"])


def test_search_query_without_an_embedder_is_just_the_recent_slice(
    http: httpx.Client, many: str
) -> None:
    """Without an embedder search_query is no error: the recent slice fills every slot."""
    body = _representation(http, many, "carol", max_observations=3, search_query="fact 0")
    assert _texts(body["representation"]) == _facts(27, 28, 29)


# --- peer context route -------------------------------------------------------------------------


def test_peer_context_of_itself_and_of_a_target(http: httpx.Client, world: dict[str, Any]) -> None:
    """Peer context: peer_id, target_id, the observer's view of the target and its card."""
    ws = world["ws"]
    own = _peer_context(http, ws, "alice")
    assert sorted(own) == ["peer_card", "peer_id", "representation", "target_id"]
    assert (own["peer_id"], own["target_id"], own["peer_card"]) == (
        "alice",
        "alice",
        ["Name: Alice"],
    )
    assert _texts(own["representation"]) == [LISBON, ROVER, PORTUGUESE, FADO, PORTUGAL]
    assert (
        own["representation"]
        == _representation(http, ws, "alice", max_observations=None)["representation"]
    )
    bobs = _peer_context(http, ws, "bob", target="alice")
    assert (bobs["peer_id"], bobs["target_id"], bobs["peer_card"]) == (
        "bob",
        "alice",
        ["Owns a dog"],
    )
    assert _texts(bobs["representation"]) == [BOB_SEES]
    nothing = _peer_context(http, ws, "alice", target="bob")
    assert nothing["peer_card"] is None
    assert nothing["representation"] == {"explicit": [], "deductive": []}
    stranger = _peer_context(http, ws, "nobody")
    assert (stranger["target_id"], stranger["peer_card"]) == ("nobody", None)


def test_peer_context_defaults(http: httpx.Client, many: str) -> None:
    """Peer context defaults: 50 observations, include_most_derived=true; limits are 422."""
    defaults = _peer_context(http, many, "carol")["representation"]
    assert _texts(defaults) == _facts(0, 1, *range(5, 30))
    four = _peer_context(http, many, "carol", max_observations=4)["representation"]
    assert _texts(four) == _facts(0, 1, 28, 29)
    plain = _peer_context(http, many, "carol", max_observations=4, include_most_derived="false")
    assert _texts(plain["representation"]) == _facts(26, 27, 28, 29)
    for params in ({"max_observations": 0}, {"max_observations": 101}, {"search_top_k": 0}):
        r = http.get(f"/v2/workspaces/{many}/peers/carol/context", params=params)
        assert r.status_code == 422, r.text


def test_peer_context_search_query_uses_the_semantic_slice(
    semantic: tuple[httpx.Client, str],
) -> None:
    """The peer context's search_query brings the nearest observations in."""
    client, ws = semantic
    body = _peer_context(
        client,
        ws,
        "dana",
        max_observations=3,
        search_query="dog named Rover",
        include_most_derived="false",
    )
    assert "Dana has a dog named Rover" in _texts(body["representation"])
    assert len(_texts(body["representation"])) == 3
