"""Session routes over real HTTP (spec §6.4): get-or-create, update, delete, clone."""

from __future__ import annotations

import httpx

from tests.support import unique


def test_get_or_create_with_peers(client: httpx.Client, workspace: str) -> None:
    r = client.post(
        f"/v2/workspaces/{workspace}/sessions",
        json={
            "id": "chat",
            "peers": {"alice": {}, "bot": {"observe_others": True}},
            "metadata": {"c": "web"},
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "chat" and body["is_active"] is True and body["metadata"] == {"c": "web"}
    peers = client.get(f"/v2/workspaces/{workspace}/sessions/chat/peers").json()
    assert sorted(p["id"] for p in peers["items"]) == ["alice", "bot"]
    config = client.get(f"/v2/workspaces/{workspace}/sessions/chat/peers/bot/config").json()
    assert config == {"observe_me": None, "observe_others": True}


def test_existing_session_metadata_replaced_configuration_merged(
    client: httpx.Client, workspace: str
) -> None:
    url = f"/v2/workspaces/{workspace}/sessions"
    client.post(url, json={"id": "s", "configuration": {"summary": {"enabled": False}}})
    r = client.post(
        url,
        json={"id": "s", "metadata": {"m": 1}, "configuration": {"deriver": {"enabled": False}}},
    )
    assert r.json()["metadata"] == {"m": 1}
    assert r.json()["configuration"] == {
        "summary": {"enabled": False},
        "deriver": {"enabled": False},
    }
    put = client.put(f"{url}/s", json={"metadata": {"m": 2}})
    assert put.json()["metadata"] == {"m": 2}
    assert put.json()["configuration"]["summary"] == {"enabled": False}


def test_observer_limit(client: httpx.Client, workspace: str) -> None:
    peers = {f"p{i}": {"observe_others": True} for i in range(11)}
    r = client.post(f"/v2/workspaces/{workspace}/sessions", json={"id": "big", "peers": peers})
    assert r.status_code == 400 and "Maximum allowed is 10 observers" in r.json()["detail"]
    ten = {f"p{i}": {"observe_others": True} for i in range(10)}
    assert (
        client.post(
            f"/v2/workspaces/{workspace}/sessions", json={"id": "ok", "peers": ten}
        ).status_code
        == 200
    )
    more = client.post(
        f"/v2/workspaces/{workspace}/sessions/ok/peers", json={"extra": {"observe_others": True}}
    )
    assert more.status_code == 400
    cfg = client.post(
        f"/v2/workspaces/{workspace}/sessions/ok/peers/p0/config", json={"observe_others": True}
    )
    assert cfg.status_code == 200  # already an observer: not counted twice


def test_list_sessions_only_active_and_filtered(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions"
    for i in range(3):
        client.post(url, json={"id": f"s{i}", "metadata": {"n": i}})
    client.delete(f"{url}/s1")
    listed = client.post(f"{url}/list").json()
    assert [s["id"] for s in listed["items"]] == ["s0", "s2"]
    filtered = client.post(
        f"{url}/list", json={"filters": {"OR": [{"metadata": {"n": 0}}, {"id": "s2"}]}}
    ).json()
    assert [s["id"] for s in filtered["items"]] == ["s0", "s2"]
    negated = client.post(f"{url}/list", json={"filters": {"NOT": [{"id": "s0"}]}}).json()
    assert [s["id"] for s in negated["items"]] == ["s2"]


def test_delete_is_202_and_cascades(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions"
    created = client.post(
        f"{url}/gone/messages/", json={"messages": [{"peer_id": "a", "content": "secret"}]}
    ).json()
    r = client.delete(f"{url}/gone")
    assert r.status_code == 202 and r.json() == {"message": "Session deleted successfully"}
    assert client.delete(f"{url}/gone").status_code == 404
    again = client.post(url, json={"id": "gone"})  # the name is free again, with nothing in it
    assert again.status_code == 200
    assert client.get(f"{url}/gone/messages/{created[0]['id']}").status_code == 404


def test_clone_copies_messages_up_to_cutoff(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions"
    client.post(
        url, json={"id": "src", "metadata": {"k": "v"}, "peers": {"bot": {"observe_others": True}}}
    )
    msgs = client.post(
        f"{url}/src/messages/",
        json={"messages": [{"peer_id": "alice", "content": f"m{i}"} for i in range(5)]},
    ).json()
    full = client.get(f"{url}/src/clone").json()
    assert full["id"] != "src" and full["metadata"] == {"k": "v"}
    copied = client.post(f"{url}/{full['id']}/messages/list").json()["items"]
    assert [m["content"] for m in copied] == [f"m{i}" for i in range(5)]
    assert [m["token_count"] for m in copied] == [m["token_count"] for m in msgs]
    assert {m["id"] for m in copied}.isdisjoint({m["id"] for m in msgs})
    assert client.get(f"{url}/{full['id']}/peers/bot/config").json()["observe_others"] is True

    partial = client.get(f"{url}/src/clone", params={"message_id": msgs[2]["id"]}).json()
    part_msgs = client.post(f"{url}/{partial['id']}/messages/list").json()["items"]
    assert [m["content"] for m in part_msgs] == ["m0", "m1", "m2"]
    # New messages in the clone continue its own sequence.
    added = client.post(
        f"{url}/{partial['id']}/messages/",
        json={"messages": [{"peer_id": "alice", "content": "next"}]},
    )
    assert added.status_code == 200

    client.post(url, json={"id": "empty"})
    empty_clone = client.get(f"{url}/empty/clone").json()
    assert (
        client.post(url, json={"id": empty_clone["id"]}).json()["created_at"]
        == empty_clone["created_at"]
    )
    assert client.get(f"{url}/src/clone", params={"message_id": "nope"}).status_code == 404
    assert client.get(f"{url}/{unique('missing')}/clone").status_code == 404
