"""Session membership and per-session peer configuration (spec §5.5, §6.4.6)."""

from __future__ import annotations

import httpx


def _members(client: httpx.Client, workspace: str, session: str) -> list[str]:
    page = client.get(f"/v2/workspaces/{workspace}/sessions/{session}/peers").json()
    return [p["id"] for p in page["items"]]


def test_add_keeps_config_of_active_members(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(f"{base}/peers", json={"a": {"observe_others": True}})  # creates the session
    client.post(f"{base}/peers", json={"a": {"observe_others": False}, "b": {}})
    assert client.get(f"{base}/peers/a/config").json()["observe_others"] is True
    assert client.get(f"{base}/peers/b/config").json() == {
        "observe_me": None,
        "observe_others": None,
    }


def test_set_replaces_membership(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(f"{base}/peers", json={"a": {}, "b": {}})
    r = client.put(f"{base}/peers", json={"b": {"observe_me": False}, "c": {}})
    assert r.status_code == 200
    assert sorted(_members(client, workspace, "s")) == ["b", "c"]
    assert client.get(f"{base}/peers/b/config").json()["observe_me"] is False
    # A peer that left still has its membership row.
    assert client.get(f"{base}/peers/a/config").status_code == 200
    assert (
        client.put(f"/v2/workspaces/{workspace}/sessions/nosuch/peers", json={}).status_code == 404
    )


def test_remove_and_rejoin_by_message(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(f"{base}/peers", json={"a": {}, "b": {}})
    r = client.request("DELETE", f"{base}/peers", json=["a"])
    assert r.status_code == 200 and r.json()["id"] == "s"
    assert _members(client, workspace, "s") == ["b"]
    client.post(f"{base}/messages/", json={"messages": [{"peer_id": "a", "content": "back"}]})
    assert sorted(_members(client, workspace, "s")) == ["a", "b"]
    bad = client.request("DELETE", f"{base}/peers", json=["not a name"])
    assert bad.status_code == 422


def test_peer_config_routes(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(f"/v2/workspaces/{workspace}/sessions", json={"id": "s"})
    assert client.get(f"{base}/peers/ghost/config").status_code == 404
    assert client.post(f"{base}/peers/ghost/config", json={"observe_me": True}).status_code == 404
    client.post(f"/v2/workspaces/{workspace}/peers", json={"id": "p"})
    r = client.post(f"{base}/peers/p/config", json={"observe_others": True})
    assert r.status_code == 200 and r.content == b""
    client.post(f"{base}/peers/p/config", json={"observe_me": False})
    assert client.get(f"{base}/peers/p/config").json() == {
        "observe_me": False,
        "observe_others": True,
    }
    assert "p" in _members(client, workspace, "s")
    missing = client.post(f"/v2/workspaces/{workspace}/sessions/none/peers/p/config", json={})
    assert missing.status_code == 404


def test_members_paginate(client: httpx.Client, workspace: str) -> None:
    base = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(f"{base}/peers", json={f"p{i:02d}": {} for i in range(7)})
    page = client.get(f"{base}/peers", params={"size": 5, "page": 2}).json()
    assert page["total"] == 7 and page["pages"] == 2 and len(page["items"]) == 2
    empty = client.get(f"/v2/workspaces/{workspace}/sessions/none/peers").json()
    assert empty["items"] == [] and empty["total"] == 0
