"""Workspace routes over real HTTP: get-or-create, update, list, delete (spec §6.2)."""

from __future__ import annotations

import httpx

from tests.support import unique


def test_get_or_create_creates_then_returns_existing(client: httpx.Client) -> None:
    name = unique("ws")
    first = client.post("/v2/workspaces", json={"id": name, "metadata": {"a": 1}})
    assert first.status_code == 200
    body = first.json()
    assert body["id"] == name and body["metadata"] == {"a": 1} and body["configuration"] == {}
    assert body["created_at"].endswith("Z")
    again = client.post("/v2/workspaces", json={"id": name})
    assert again.json() == body


def test_name_alias_accepted(client: httpx.Client) -> None:
    name = unique("ws")
    assert client.post("/v2/workspaces", json={"name": name}).json()["id"] == name


def test_invalid_names_are_422_naming_the_field(client: httpx.Client) -> None:
    long = client.post("/v2/workspaces", json={"id": "x" * 101})
    assert long.status_code == 422
    err = long.json()["detail"][0]
    assert err["loc"] == ["body", "id"] and err["type"] == "string_too_long"
    empty = client.post("/v2/workspaces", json={"id": ""})
    assert empty.json()["detail"][0]["type"] == "string_too_short"
    bad = client.post("/v2/workspaces", json={"id": "has space"})
    assert bad.status_code == 422
    null_meta = client.post("/v2/workspaces", json={"id": unique("ws"), "metadata": None})
    assert null_meta.status_code == 422


def test_update_replaces_metadata_and_merges_configuration(client: httpx.Client) -> None:
    name = unique("ws")
    r1 = client.put(f"/v2/workspaces/{name}", json={"metadata": {"k": 1}})
    assert r1.status_code == 200 and r1.json()["metadata"] == {"k": 1}  # PUT creates
    client.put(f"/v2/workspaces/{name}", json={"configuration": {"summary": {"enabled": False}}})
    r2 = client.put(
        f"/v2/workspaces/{name}",
        json={
            "configuration": {"deriver": {"enabled": True}, "custom": "kept"},
            "metadata": {"z": 2},
        },
    )
    assert r2.json()["metadata"] == {"z": 2}
    assert r2.json()["configuration"] == {
        "summary": {"enabled": False},
        "deriver": {"enabled": True},
        "custom": "kept",
    }


def test_configuration_validation(client: httpx.Client) -> None:
    name = unique("ws")
    bad = client.put(
        f"/v2/workspaces/{name}",
        json={
            "configuration": {
                "summary": {"messages_per_short_summary": 30, "messages_per_long_summary": 20}
            }
        },
    )
    assert bad.status_code == 422
    too_small = client.put(
        f"/v2/workspaces/{name}",
        json={"configuration": {"summary": {"messages_per_short_summary": 5}}},
    )
    assert too_small.status_code == 422
    dropped = client.put(
        f"/v2/workspaces/{name}", json={"configuration": {"deriver": {"enabled": True, "junk": 1}}}
    )
    assert dropped.json()["configuration"] == {"deriver": {"enabled": True}}


def test_list_filters_and_paginates(client: httpx.Client) -> None:
    tag = unique("tag")
    names = [unique("ws") for _ in range(3)]
    for i, n in enumerate(names):
        client.post("/v2/workspaces", json={"id": n, "metadata": {"tag": tag, "i": i}})
    page = client.post(
        "/v2/workspaces/list?size=2", json={"filters": {"metadata": {"tag": tag}}}
    ).json()
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 2
    assert [w["id"] for w in page["items"]] == names[:2]
    page2 = client.post(
        "/v2/workspaces/list?size=2&page=2", json={"filters": {"metadata": {"tag": tag}}}
    ).json()
    assert [w["id"] for w in page2["items"]] == names[2:]
    ranged = client.post(
        "/v2/workspaces/list",
        json={"filters": {"metadata": {"tag": tag, "i": {"gte": 1}}}},
    ).json()
    assert [w["id"] for w in ranged["items"]] == names[1:]
    assert client.post("/v2/workspaces/list").status_code == 200


def test_delete_removes_everything_and_returns_snapshot(client: httpx.Client) -> None:
    name = unique("ws")
    client.post("/v2/workspaces", json={"id": name, "metadata": {"m": 1}})
    client.post(
        f"/v2/workspaces/{name}/sessions/s1/messages/",
        json={"messages": [{"peer_id": "alice", "content": "hello"}]},
    )
    deleted = client.delete(f"/v2/workspaces/{name}")
    assert deleted.status_code == 200 and deleted.json()["metadata"] == {"m": 1}
    assert client.delete(f"/v2/workspaces/{name}").status_code == 404
    # Recreated empty: nothing of the old workspace survives.
    client.post("/v2/workspaces", json={"id": name})
    assert client.post(f"/v2/workspaces/{name}/peers/list").json()["total"] == 0
    listed = client.post(f"/v2/workspaces/{name}/sessions/s1/messages/list").json()
    assert listed["total"] == 0
