"""Peer routes over real HTTP (spec §6.3.1-6.3.4)."""

from __future__ import annotations

import httpx

from tests.support import unique


def test_get_or_create_autocreates_workspace(client: httpx.Client) -> None:
    ws = unique("ws")
    r = client.post(f"/v2/workspaces/{ws}/peers", json={"id": "alice"})
    assert r.status_code == 200
    assert r.json()["workspace_id"] == ws and r.json()["configuration"] == {}
    assert client.post("/v2/workspaces/list", json={"filters": {"id": ws}}).json()["total"] == 1


def test_get_or_create_replaces_given_fields(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/peers"
    client.post(url, json={"id": "p", "metadata": {"a": 1}, "configuration": {"observe_me": False}})
    same = client.post(url, json={"id": "p"}).json()
    assert same["metadata"] == {"a": 1} and same["configuration"] == {"observe_me": False}
    changed = client.post(url, json={"id": "p", "configuration": {"x": 1}}).json()
    assert changed["configuration"] == {"x": 1} and changed["metadata"] == {"a": 1}


def test_put_creates_and_replaces(client: httpx.Client, workspace: str) -> None:
    r = client.put(f"/v2/workspaces/{workspace}/peers/bob", json={"metadata": {"n": 1}})
    assert r.status_code == 200 and r.json()["metadata"] == {"n": 1}
    r = client.put(f"/v2/workspaces/{workspace}/peers/bob", json={"configuration": {"c": True}})
    assert r.json() | {"created_at": None} == {
        "id": "bob",
        "workspace_id": workspace,
        "created_at": None,
        "metadata": {"n": 1},
        "configuration": {"c": True},
    }


def test_list_peers_with_filters(client: httpx.Client, workspace: str) -> None:
    for name, role in (("a", "user"), ("b", "agent"), ("c", "user")):
        client.post(
            f"/v2/workspaces/{workspace}/peers", json={"id": name, "metadata": {"role": role}}
        )
    users = client.post(
        f"/v2/workspaces/{workspace}/peers/list", json={"filters": {"metadata": {"role": "user"}}}
    ).json()
    assert [p["id"] for p in users["items"]] == ["a", "c"]
    some = client.post(
        f"/v2/workspaces/{workspace}/peers/list", json={"filters": {"id": {"in": ["b", "c"]}}}
    ).json()
    assert [p["id"] for p in some["items"]] == ["b", "c"]
    bad = client.post(f"/v2/workspaces/{workspace}/peers/list", json={"filters": {"nope": 1}})
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]


def test_sessions_of_peer_include_left_sessions(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions"
    client.post(base, json={"id": "s1", "peers": {"alice": {}}})
    client.post(base, json={"id": "s2", "peers": {"alice": {}, "bob": {}}})
    client.post(base, json={"id": "s3", "peers": {"bob": {}}})
    client.request("DELETE", f"{base}/s2/peers", json=["alice"])
    listed = client.post(f"/v2/workspaces/{workspace}/peers/alice/sessions").json()
    assert [s["id"] for s in listed["items"]] == ["s1", "s2"]
    filtered = client.post(
        f"/v2/workspaces/{workspace}/peers/alice/sessions", json={"filters": {"id": "s2"}}
    ).json()
    assert [s["id"] for s in filtered["items"]] == ["s2"]
