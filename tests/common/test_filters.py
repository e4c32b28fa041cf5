"""The filter DSL (spec §7), evaluated by real PostgreSQL over a small fixed message set."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import unique

ROWS: list[dict[str, Any]] = [
    {
        "peer_id": "alice",
        "content": "alpha one",
        "metadata": {"n": 1, "tag": "x", "flag": True, "when": "2024-01-05", "nested": {"k": "v"}},
    },
    {
        "peer_id": "bob",
        "content": "beta two two",
        "metadata": {"n": 5, "tag": "y", "flag": False, "when": "2024-03-01"},
    },
    {"peer_id": "alice", "content": "gamma", "metadata": {"n": "10", "tag": "x_z", "list": [1, 2]}},
    {"peer_id": "carol", "content": "delta 100%", "metadata": {"n": 2.5, "text": "Hello World"}},
]


@pytest.fixture(scope="module")
def dataset(api_server: Any) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=api_server.base_url, timeout=30)
    ws = unique("filters")
    r = client.post(f"/v2/workspaces/{ws}/sessions/s/messages/", json={"messages": ROWS})
    assert r.status_code == 200
    return client, ws


def _contents(dataset: tuple[httpx.Client, str], filters: Any) -> list[str] | int:
    client, ws = dataset
    r = client.post(f"/v2/workspaces/{ws}/sessions/s/messages/list", json={"filters": filters})
    if r.status_code != 200:
        return r.status_code
    return [m["content"] for m in r.json()["items"]]


ALPHA, BETA, GAMMA, DELTA = "alpha one", "beta two two", "gamma", "delta 100%"

CASES: list[tuple[str, Any, list[str]]] = [
    ("no filter", None, [ALPHA, BETA, GAMMA, DELTA]),
    ("empty filter", {}, [ALPHA, BETA, GAMMA, DELTA]),
    ("equality", {"peer_id": "alice"}, [ALPHA, GAMMA]),
    ("wildcard", {"peer_id": "*"}, [ALPHA, BETA, GAMMA, DELTA]),
    ("in", {"peer_id": {"in": ["bob", "carol"]}}, [BETA, DELTA]),
    ("in with wildcard", {"peer_id": {"in": ["bob", "*"]}}, [ALPHA, BETA, GAMMA, DELTA]),
    ("ne on text", {"peer_id": {"ne": "alice"}}, [BETA, DELTA]),
    ("contains is case-insensitive", {"peer_id": {"contains": "AL"}}, [ALPHA, GAMMA]),
    ("like wildcards are literal", {"peer_id": {"contains": "%"}}, []),
    ("number range", {"token_count": {"gte": 2, "lt": 3}}, [ALPHA]),
    ("implicit and", {"peer_id": "alice", "token_count": {"gt": 1}}, [ALPHA]),
    ("or", {"OR": [{"peer_id": "bob"}, {"peer_id": "carol"}]}, [BETA, DELTA]),
    ("not ands negations", {"NOT": [{"peer_id": "alice"}, {"peer_id": "bob"}]}, [DELTA]),
    (
        "nested logic",
        {
            "AND": [
                {"OR": [{"peer_id": "alice"}, {"peer_id": "bob"}]},
                {"NOT": [{"metadata": {"tag": "x"}}]},
            ]
        },
        [BETA, GAMMA],
    ),
    ("empty and is a no-op", {"AND": []}, [ALPHA, BETA, GAMMA, DELTA]),
    ("metadata containment", {"metadata": {"tag": "x"}}, [ALPHA]),
    ("metadata nested containment", {"metadata": {"nested": {"k": "v"}}}, [ALPHA]),
    ("metadata array containment", {"metadata": {"list": [2]}}, [GAMMA]),
    ("metadata wildcard", {"metadata": {"tag": "*"}}, [ALPHA, BETA, GAMMA, DELTA]),
    (
        "metadata numeric compare (numeric strings too)",
        {"metadata": {"n": {"gte": 2.5}}},
        [BETA, GAMMA, DELTA],
    ),
    ("metadata numeric compare is not lexicographic", {"metadata": {"n": {"gt": 9}}}, [GAMMA]),
    ("metadata boolean", {"metadata": {"flag": {"ne": True}}}, [BETA, GAMMA, DELTA]),
    ("metadata text compare (iso dates)", {"metadata": {"when": {"gte": "2024-02-01"}}}, [BETA]),
    ("metadata in", {"metadata": {"tag": {"in": ["y", "x_z"]}}}, [BETA, GAMMA]),
    ("metadata icontains", {"metadata": {"text": {"icontains": "world"}}}, [DELTA]),
    ("metadata whole-column contains", {"metadata": {"contains": {"tag": "y"}}}, [BETA]),
    ("created_at date", {"created_at": {"gte": "2000-01-01"}}, [ALPHA, BETA, GAMMA, DELTA]),
    ("created_at future", {"created_at": {"gt": "2999-01-01T00:00:00Z"}}, []),
]


@pytest.mark.parametrize(("label", "filters", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter_semantics(
    dataset: tuple[httpx.Client, str], label: str, filters: Any, expected: list[str]
) -> None:
    """Each filter form selects exactly the rows the DSL says it should."""
    assert _contents(dataset, filters) == expected


BAD: list[tuple[str, Any, str]] = [
    ("unknown column", {"nope": 1}, "Column 'nope' is not allowed"),
    ("id is not filterable on messages", {"id": "x"}, "Column 'id'"),
    ("logical needs a list", {"AND": {"peer_id": "a"}}, "AND operator must contain a list"),
    ("not null", {"NOT": None}, "NOT operator must contain a list"),
    ("in needs a list", {"peer_id": {"in": "alice"}}, "expects a list"),
    ("bad number", {"token_count": {"gt": "many"}}, "Invalid numeric value"),
    ("bad datetime", {"created_at": {"gte": "yesterday"}}, "Invalid datetime value"),
    ("unknown operator", {"peer_id": {"gte": 1, "like": "x"}}, "unknown operator 'like'"),
    ("order op on whole json", {"metadata": {"gte": 1}}, "cannot apply to the whole 'metadata'"),
    ("object for a text column", {"peer_id": {"a": 1}}, "expects a value or an operator object"),
    ("list for a text column", {"peer_id": ["a"]}, "expects a single value"),
    ("filters not an object", ["x"], ""),
    ("huge integer", {"token_count": {"gt": 10**30}}, "out of range"),
]


@pytest.mark.parametrize(("label", "filters", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_filters_are_422(
    dataset: tuple[httpx.Client, str], label: str, filters: Any, message: str
) -> None:
    """A malformed filter is a 422 whose detail names the problem, never a 500."""
    client, ws = dataset
    r = client.post(f"/v2/workspaces/{ws}/sessions/s/messages/list", json={"filters": filters})
    assert r.status_code == 422, r.text
    assert message in str(r.json()["detail"])


def test_deeply_nested_filter_is_refused(dataset: tuple[httpx.Client, str]) -> None:
    """Nesting is bounded, so a hostile filter cannot exhaust the server."""
    nested: Any = {"peer_id": "alice"}
    for _ in range(40):
        nested = {"AND": [nested]}
    client, ws = dataset
    r = client.post(f"/v2/workspaces/{ws}/sessions/s/messages/list", json={"filters": nested})
    assert r.status_code == 422
