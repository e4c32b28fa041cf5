"""Observation routes over real HTTP (spec §4.11, §6.6): create, list, query, delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.deriver.scripted import ScriptedLLM
from tests.support import unique


def _base(workspace: str) -> str:
    return f"/v2/workspaces/{workspace}/observations"


def _session(client: httpx.Client, workspace: str, name: str, *peers: str) -> None:
    r = client.post(
        f"/v2/workspaces/{workspace}/sessions",
        json={"id": name, "peers": {p: {} for p in peers}},
    )
    assert r.status_code == 200, r.text


def _obs(content: str, observer: str, observed: str, session: str) -> dict[str, str]:
    return {
        "content": content,
        "observer_id": observer,
        "observed_id": observed,
        "session_id": session,
    }


def _create(client: httpx.Client, workspace: str, *items: dict[str, str]) -> list[dict[str, Any]]:
    r = client.post(_base(workspace), json={"observations": list(items)})
    assert r.status_code == 200, r.text
    created: list[dict[str, Any]] = r.json()
    return created


def _list(
    client: httpx.Client, workspace: str, filters: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    r = client.post(f"{_base(workspace)}/list", params=params, json={"filters": filters})
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def _contents(page_or_items: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    items = page_or_items["items"] if isinstance(page_or_items, dict) else page_or_items
    return [o["content"] for o in items]


def _query(client: httpx.Client, workspace: str, **body: Any) -> list[dict[str, Any]]:
    r = client.post(f"{_base(workspace)}/query", json=body)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


# --- create ------------------------------------------------------------------------------------


def test_create_returns_observations_in_order(client: httpx.Client, workspace: str) -> None:
    """Create stores every item and returns Observation objects (§4.11 fields only), in order."""
    _session(client, workspace, "s1", "alice", "bob")
    created = _create(
        client,
        workspace,
        _obs("alice likes tea", "alice", "alice", "s1"),
        _obs("alice seems tired", "bob", "alice", "s1"),
    )
    assert [sorted(o) for o in created] == [
        ["content", "created_at", "id", "observed_id", "observer_id", "session_id"]
    ] * 2
    assert [
        (o["content"], o["observer_id"], o["observed_id"], o["session_id"]) for o in created
    ] == [
        ("alice likes tea", "alice", "alice", "s1"),
        ("alice seems tired", "bob", "alice", "s1"),
    ]
    assert len({o["id"] for o in created}) == 2
    assert _list(client, workspace)["total"] == 2


def test_create_accepts_exactly_100(client: httpx.Client, workspace: str) -> None:
    """A batch of 100 observations (the maximum) is accepted."""
    _session(client, workspace, "s1", "alice")
    items = [_obs(f"fact {i}", "alice", "alice", "s1") for i in range(100)]
    assert len(_create(client, workspace, *items)) == 100
    assert _list(client, workspace)["total"] == 100


def test_create_404_for_missing_session_creates_nothing(
    client: httpx.Client, workspace: str
) -> None:
    """An unknown session in any item is a 404 and nothing in the batch is stored or created."""
    _session(client, workspace, "s1", "alice")
    r = client.post(
        _base(workspace),
        json={
            "observations": [
                _obs("ok", "alice", "alice", "s1"),
                _obs("bad", "alice", "alice", "nosuch"),
            ]
        },
    )
    assert r.status_code == 404, r.text
    assert isinstance(r.json()["detail"], str)
    assert _list(client, workspace)["total"] == 0
    sessions = client.post(f"/v2/workspaces/{workspace}/sessions/list", json={}).json()
    assert [s["id"] for s in sessions["items"]] == ["s1"]


@pytest.mark.parametrize("role", ["observer_id", "observed_id"])
def test_create_404_for_missing_peer_creates_nothing(
    client: httpx.Client, workspace: str, role: str
) -> None:
    """An unknown observer or observed peer is a 404; no peer is auto-created, nothing stored."""
    _session(client, workspace, "s1", "alice")
    bad = _obs("bad", "alice", "alice", "s1") | {role: "ghost"}
    r = client.post(
        _base(workspace), json={"observations": [_obs("ok", "alice", "alice", "s1"), bad]}
    )
    assert r.status_code == 404, r.text
    assert _list(client, workspace)["total"] == 0
    peers = client.post(f"/v2/workspaces/{workspace}/peers/list", json={}).json()
    assert [p["id"] for p in peers["items"]] == ["alice"]


def test_create_404_for_deleted_session(client: httpx.Client, workspace: str) -> None:
    """A session that has been deleted is not a valid target (404)."""
    _session(client, workspace, "s1", "alice")
    assert client.delete(f"/v2/workspaces/{workspace}/sessions/s1").status_code < 300
    r = client.post(_base(workspace), json={"observations": [_obs("x", "alice", "alice", "s1")]})
    assert r.status_code == 404, r.text


def test_create_404_for_unknown_workspace(client: httpx.Client) -> None:
    """Creating observations never creates the workspace: an unknown one is a 404."""
    ws = unique("ws")
    r = client.post(_base(ws), json={"observations": [_obs("x", "alice", "alice", "s1")]})
    assert r.status_code == 404, r.text
    listed = client.post("/v2/workspaces/list", json={"filters": {"id": ws}}).json()
    assert listed["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"observations": []}, id="empty-batch"),
        pytest.param({}, id="missing-observations"),
        pytest.param({"observations": [{"content": "x"}]}, id="missing-fields"),
        pytest.param({"observations": [_obs("", "alice", "alice", "s1")]}, id="empty-content"),
        pytest.param(
            {"observations": [_obs("x", "bad name", "alice", "s1")]}, id="bad-observer-name"
        ),
        pytest.param(
            {"observations": [_obs("x", "alice", "al:ice", "s1")]}, id="bad-observed-name"
        ),
        pytest.param({"observations": [_obs("x", "alice", "alice", "s/1")]}, id="bad-session"),
        pytest.param({"observations": [_obs("x", "alice", "alice", "")]}, id="empty-session"),
        pytest.param({"observations": [_obs("x", "a" * 101, "alice", "s1")]}, id="name-too-long"),
        pytest.param(
            {"observations": [_obs("x" * 65_536, "alice", "alice", "s1")]},
            id="content-too-long",
        ),
        pytest.param(
            {"observations": [_obs(f"f{i}", "alice", "alice", "s1") for i in range(101)]},
            id="101-items",
        ),
    ],
)
def test_create_422_for_invalid_bodies(
    client: httpx.Client, workspace: str, body: dict[str, Any]
) -> None:
    """Malformed batches (0 or >100 items, empty content, bad names) are 422; nothing stored."""
    _session(client, workspace, "s1", "alice")
    r = client.post(_base(workspace), json=body)
    assert r.status_code == 422, r.text
    assert _list(client, workspace)["total"] == 0


# --- list --------------------------------------------------------------------------------------


@pytest.fixture
def populated(client: httpx.Client, workspace: str) -> list[dict[str, Any]]:
    """Five observations, one request each (so created_at strictly increases):
    s1: alice/alice "alice likes tea", bob/alice "alice hates coffee", bob/bob "bob plays chess";
    s2: alice/alice "alice runs daily", alice/bob "bob is quiet"."""
    _session(client, workspace, "s1", "alice", "bob")
    _session(client, workspace, "s2", "alice", "bob")
    spec = [
        ("alice likes tea", "alice", "alice", "s1"),
        ("alice hates coffee", "bob", "alice", "s1"),
        ("bob plays chess", "bob", "bob", "s1"),
        ("alice runs daily", "alice", "alice", "s2"),
        ("bob is quiet", "alice", "bob", "s2"),
    ]
    return [_create(client, workspace, _obs(*item))[0] for item in spec]


def test_list_newest_first_and_reverse(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """List is newest first by default; `reverse=true` is oldest first."""
    oldest_first = [o["content"] for o in populated]
    page = _list(client, workspace)
    assert _contents(page) == oldest_first[::-1]
    assert page["total"] == 5 and page["page"] == 1 and page["pages"] == 1
    assert _contents(_list(client, workspace, reverse="true")) == oldest_first
    assert _contents(_list(client, workspace, None, reverse="false")) == oldest_first[::-1]


def test_list_items_have_the_observation_schema(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """Listed items equal what create returned (id, content, observer/observed, session, time)."""
    listed = _list(client, workspace, reverse="true")["items"]
    assert listed == populated


def test_list_pagination(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """`page`/`size` slice the ordered list; total and pages describe the whole result."""
    newest_first = [o["content"] for o in populated][::-1]
    first = _list(client, workspace, size=2, page=1)
    second = _list(client, workspace, size=2, page=2)
    third = _list(client, workspace, size=2, page=3)
    beyond = _list(client, workspace, size=2, page=4)
    assert (first["total"], first["pages"], first["size"], second["page"]) == (5, 3, 2, 2)
    assert _contents(first) + _contents(second) + _contents(third) == newest_first
    assert _contents(beyond) == [] and beyond["total"] == 5
    assert client.post(f"{_base(workspace)}/list", params={"size": 101}, json={}).status_code == 422
    assert client.post(f"{_base(workspace)}/list", params={"page": 0}, json={}).status_code == 422


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"observer": "alice"}, ["alice likes tea", "alice runs daily", "bob is quiet"]),
        ({"observer_id": "bob"}, ["alice hates coffee", "bob plays chess"]),
        ({"observed": "alice"}, ["alice likes tea", "alice hates coffee", "alice runs daily"]),
        ({"observed_id": "bob"}, ["bob plays chess", "bob is quiet"]),
        ({"observer": "alice", "observed": "alice"}, ["alice likes tea", "alice runs daily"]),
        ({"observer": "bob", "observed": "alice"}, ["alice hates coffee"]),
        ({"session_id": "s2"}, ["alice runs daily", "bob is quiet"]),
        ({"session_id": "s1", "observed_id": "bob"}, ["bob plays chess"]),
        ({"level": "explicit"}, None),
        ({"level": "deductive"}, []),
        ({"content": "bob is quiet"}, ["bob is quiet"]),
        (
            {"content": {"icontains": "ALICE"}},
            ["alice likes tea", "alice hates coffee", "alice runs daily"],
        ),
        ({"content": {"contains": "co"}}, ["alice hates coffee"]),
        ({"observer": {"in": ["bob"]}}, ["alice hates coffee", "bob plays chess"]),
        (
            {"OR": [{"session_id": "s2"}, {"content": "bob plays chess"}]},
            ["bob plays chess", "alice runs daily", "bob is quiet"],
        ),
        ({"NOT": [{"observer": "alice"}]}, ["alice hates coffee", "bob plays chess"]),
        ({"observer": "*"}, None),
        ({}, None),
    ],
)
def test_list_filters(
    client: httpx.Client,
    workspace: str,
    populated: list[dict[str, Any]],
    filters: dict[str, Any],
    expected: list[str] | None,
) -> None:
    """Filter DSL over observer/observed (both spellings), session_id, level and content."""
    page = _list(client, workspace, filters, reverse="true")
    all_contents = [o["content"] for o in populated]
    assert _contents(page) == (all_contents if expected is None else expected)


def test_list_filters_on_created_at(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """`created_at` comparisons select observations by creation time."""
    middle = populated[2]["created_at"]
    later = _list(client, workspace, {"created_at": {"gte": middle}}, reverse="true")
    assert _contents(later) == ["bob plays chess", "alice runs daily", "bob is quiet"]
    earlier = _list(client, workspace, {"created_at": {"lt": middle}}, reverse="true")
    assert _contents(earlier) == ["alice likes tea", "alice hates coffee"]
    bad = client.post(
        f"{_base(workspace)}/list", json={"filters": {"created_at": {"gte": "not a date"}}}
    )
    assert bad.status_code == 422, bad.text


def test_list_rejects_unknown_filter_columns(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """An unknown filter key is a 422, not an empty or unfiltered page."""
    r = client.post(f"{_base(workspace)}/list", json={"filters": {"nope": 1}})
    assert r.status_code == 422, r.text


def test_list_is_scoped_to_the_workspace(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """Another workspace's observations are never listed, even with a workspace_id filter."""
    other = unique("ws")
    client.post("/v2/workspaces", json={"id": other})
    assert _list(client, other)["total"] == 0
    assert _list(client, other, {"workspace_id": workspace})["total"] == 0
    assert _list(client, unique("ws"))["total"] == 0


# --- query -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        None,
        {},
        {"observer": "alice"},
        {"observed_id": "alice"},
        {"session_id": "s1", "observer_id": "alice"},
    ],
)
def test_query_requires_observer_and_observed(
    client: httpx.Client, workspace: str, filters: dict[str, Any] | None
) -> None:
    """Query without both an observer and an observed in `filters` is a 422 saying so."""
    r = client.post(f"{_base(workspace)}/query", json={"query": "tea", "filters": filters})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "observer and observed must be specified for semantic search"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"filters": {"observer": "a", "observed": "a"}}, id="missing-query"),
        pytest.param(
            {"query": "x", "top_k": 0, "filters": {"observer": "a", "observed": "a"}}, id="top_k-0"
        ),
        pytest.param(
            {"query": "x", "top_k": 101, "filters": {"observer": "a", "observed": "a"}},
            id="top_k-101",
        ),
        pytest.param(
            {"query": "x", "distance": 1.5, "filters": {"observer": "a", "observed": "a"}},
            id="distance-1.5",
        ),
        pytest.param(
            {"query": "x", "distance": -0.1, "filters": {"observer": "a", "observed": "a"}},
            id="distance-neg",
        ),
    ],
)
def test_query_422_for_invalid_bodies(
    client: httpx.Client, workspace: str, body: dict[str, Any]
) -> None:
    """`query` is required, `top_k` is 1-100 and `distance` 0-1."""
    assert client.post(f"{_base(workspace)}/query", json=body).status_code == 422


def test_query_without_embedder_falls_back_to_text_search(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """Without an embedder, query is a full-text match in the view, best match first."""
    _create(
        client,
        workspace,
        _obs("alice drinks green tea every morning with tea cakes", "alice", "alice", "s1"),
    )
    view = {"observer": "alice", "observed": "alice"}
    found = _query(client, workspace, query="tea", filters=view)
    assert _contents(found) == [
        "alice drinks green tea every morning with tea cakes",
        "alice likes tea",
    ]
    assert _contents(_query(client, workspace, query="running", filters=view)) == [
        "alice runs daily"
    ]
    assert _query(client, workspace, query="beverage", filters=view) == []
    # bob's view of alice has "alice hates coffee" only; alice's own view is not searched.
    bob_view = {"observer_id": "bob", "observed_id": "alice"}
    assert _query(client, workspace, query="tea", filters=bob_view) == []
    assert _contents(_query(client, workspace, query="coffee", filters=bob_view)) == [
        "alice hates coffee"
    ]
    assert len(_query(client, workspace, query="tea", top_k=1, filters=view)) == 1
    scoped = _query(client, workspace, query="alice", filters=view | {"session_id": "s2"})
    assert _contents(scoped) == ["alice runs daily"]


@pytest.fixture
def semantic(api: httpx.Client, llm: ScriptedLLM) -> tuple[httpx.Client, str]:
    """A workspace on the API whose embedder is the fake vendor (bag-of-words vectors), with
    alice's view of herself holding three unrelated facts and bob's view of alice one."""
    workspace = unique("ows")
    _session(api, workspace, "s1", "alice", "bob")
    _session(api, workspace, "s2", "alice", "bob")
    for item in (
        ("alice works as a nurse at the city hospital", "alice", "alice", "s1"),
        ("alice enjoys hiking in the mountains", "alice", "alice", "s1"),
        ("alice owns two cats", "alice", "alice", "s2"),
        ("alice loves hiking mountains trips", "bob", "alice", "s1"),
    ):
        _create(api, workspace, _obs(*item))
    return api, workspace


def test_query_with_embedder_is_semantic(semantic: tuple[httpx.Client, str]) -> None:
    """With embeddings, query ranks the whole view by distance; the word-sharing fact first."""
    api, workspace = semantic
    view = {"observer": "alice", "observed": "alice"}
    found = _query(api, workspace, query="hiking mountains weekend", filters=view)
    assert [o["observer_id"] for o in found] == ["alice"] * 3
    assert found[0]["content"] == "alice enjoys hiking in the mountains"
    assert sorted(_contents(found[1:])) == [
        "alice owns two cats",
        "alice works as a nurse at the city hospital",
    ]
    nurse = _query(api, workspace, query="hospital nurse job", filters=view)
    assert nurse[0]["content"] == "alice works as a nurse at the city hospital"


def test_query_with_embedder_top_k(semantic: tuple[httpx.Client, str]) -> None:
    """`top_k` caps the semantic results to the nearest ones."""
    api, workspace = semantic
    view = {"observer_id": "alice", "observed_id": "alice"}
    top = _query(api, workspace, query="hiking mountains weekend", top_k=1, filters=view)
    assert _contents(top) == ["alice enjoys hiking in the mountains"]
    assert len(_query(api, workspace, query="hiking mountains weekend", top_k=2, filters=view)) == 2


def test_query_with_embedder_distance(semantic: tuple[httpx.Client, str]) -> None:
    """`distance` keeps only observations closer than it (hiking fact ~0.53, others 1.0)."""
    api, workspace = semantic
    view = {"observer_id": "alice", "observed_id": "alice"}
    query = "hiking mountains weekend"
    near = _query(api, workspace, query=query, distance=0.9, filters=view)
    assert _contents(near) == ["alice enjoys hiking in the mountains"]
    assert _query(api, workspace, query=query, distance=0.05, filters=view) == []


def test_query_with_embedder_stays_in_view_and_filters(semantic: tuple[httpx.Client, str]) -> None:
    """Only the named observer/observed view is searched; extra filters narrow it further."""
    api, workspace = semantic
    bob_view = {"observer": "bob", "observed": "alice"}
    assert _contents(_query(api, workspace, query="cats", filters=bob_view)) == [
        "alice loves hiking mountains trips"
    ]
    s2 = {"observer": "alice", "observed": "alice", "session_id": "s2"}
    assert _contents(_query(api, workspace, query="hiking mountains", filters=s2)) == [
        "alice owns two cats"
    ]
    nobody = {"observer": "bob", "observed": "bob"}
    assert _query(api, workspace, query="hiking", filters=nobody) == []


# --- delete ------------------------------------------------------------------------------------


def test_delete_then_404(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """Delete answers 200 with a message and removes the observation; a second delete is 404."""
    target = populated[0]["id"]
    r = client.delete(f"{_base(workspace)}/{target}")
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Observation deleted successfully"}
    remaining = _list(client, workspace)["items"]
    assert target not in [o["id"] for o in remaining] and len(remaining) == 4
    again = client.delete(f"{_base(workspace)}/{target}")
    assert again.status_code == 404 and isinstance(again.json()["detail"], str)
    assert client.delete(f"{_base(workspace)}/nosuchobservationid00").status_code == 404


def test_delete_other_workspaces_observation_is_404(
    client: httpx.Client, workspace: str, populated: list[dict[str, Any]]
) -> None:
    """An id from another workspace is a 404 there and the observation survives."""
    other = unique("ws")
    client.post("/v2/workspaces", json={"id": other})
    target = populated[0]["id"]
    assert client.delete(f"{_base(other)}/{target}").status_code == 404
    assert target in [o["id"] for o in _list(client, workspace)["items"]]
