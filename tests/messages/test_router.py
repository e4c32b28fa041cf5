"""Message routes over real HTTP (spec §6.5): batch create, list, get, update."""

from __future__ import annotations

import httpx


def _create(
    client: httpx.Client, ws: str, session: str, contents: list[str], peer: str = "alice"
) -> list[dict]:
    r = client.post(
        f"/v2/workspaces/{ws}/sessions/{session}/messages/",
        json={"messages": [{"peer_id": peer, "content": c} for c in contents]},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_batch_create_returns_messages_in_request_order(
    client: httpx.Client, workspace: str
) -> None:
    r = client.post(
        f"/v2/workspaces/{workspace}/sessions/s/messages/",
        json={
            "messages": [
                {
                    "peer_id": "alice",
                    "content": "I just moved to Lisbon.",
                    "metadata": None,
                    "configuration": None,
                    "created_at": None,
                },
                {
                    "peer_id": "bob",
                    "content": "Nice!",
                    "metadata": {"mood": "happy"},
                    "created_at": "2024-01-02T03:04:05",
                },
            ]
        },
    )
    assert r.status_code == 200
    a, b = r.json()
    assert a["content"] == "I just moved to Lisbon." and a["peer_id"] == "alice"
    assert a["session_id"] == "s" and a["workspace_id"] == workspace and a["metadata"] == {}
    assert a["token_count"] == 6  # o200k_base: I / just / moved / to / Lisbon / .
    assert len(a["id"]) == 21
    assert b["metadata"] == {"mood": "happy"} and b["created_at"] == "2024-01-02T03:04:05Z"


def test_token_count_is_o200k_not_an_estimate(client: httpx.Client, workspace: str) -> None:
    # 29 characters: a len/4 estimate would say 8; o200k_base says 6.
    (m,) = _create(client, workspace, "s", ["hello world how are you today"])
    assert m["token_count"] == 6


def test_slash_and_no_slash_both_accepted(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions/s/messages"
    body = {"messages": [{"peer_id": "a", "content": "x"}]}
    assert client.post(url + "/", json=body).status_code == 200
    assert client.post(url, json=body).status_code == 200


def test_batch_size_limits(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions/s/messages/"
    assert client.post(url, json={"messages": []}).status_code == 422
    too_many = {"messages": [{"peer_id": "a", "content": "x"}] * 101}
    assert client.post(url, json=too_many).status_code == 422
    ok = {"messages": [{"peer_id": "a", "content": "x"}] * 100}
    assert client.post(url, json=ok).status_code == 200


def test_content_and_name_validation_names_the_field(client: httpx.Client, workspace: str) -> None:
    url = f"/v2/workspaces/{workspace}/sessions/s/messages/"
    big = client.post(url, json={"messages": [{"peer_id": "a", "content": "x" * 25_001}]})
    assert big.status_code == 422
    assert big.json()["detail"][0]["loc"] == ["body", "messages", 0, "content"]
    bad_peer = client.post(url, json={"messages": [{"peer_id": "no/slash", "content": "x"}]})
    assert bad_peer.json()["detail"][0]["loc"] == ["body", "messages", 0, "peer_id"]
    nul = client.post(url, json={"messages": [{"peer_id": "a", "content": "a\u0000b"}]})
    assert nul.status_code == 422
    nul_meta = client.post(
        url, json={"messages": [{"peer_id": "a", "content": "x", "metadata": {"k": "\u0000"}}]}
    )
    assert nul_meta.status_code == 422
    nan = client.post(
        url,
        content=b'{"messages": [{"peer_id": "a", "content": "x", "metadata": {"n": NaN}}]}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert (
        client.post(
            url, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    # Nothing of the refused batches was stored.
    listed = client.post(f"/v2/workspaces/{workspace}/sessions/s/messages/list").json()
    assert listed["total"] == 0


def test_list_order_reverse_filters_pagination(client: httpx.Client, workspace: str) -> None:
    _create(client, workspace, "s", ["one", "two words here", "three"])
    _create(client, workspace, "s", ["from bob"], peer="bob")
    url = f"/v2/workspaces/{workspace}/sessions/s/messages/list"
    items = client.post(url).json()["items"]
    assert [m["content"] for m in items] == ["one", "two words here", "three", "from bob"]
    rev = client.post(url, params={"reverse": "true"}).json()["items"]
    assert [m["content"] for m in rev] == ["from bob", "three", "two words here", "one"]
    bob = client.post(url, json={"filters": {"peer_id": "bob"}}).json()
    assert [m["content"] for m in bob["items"]] == ["from bob"]
    long = client.post(url, json={"filters": {"token_count": {"gt": 2}}}).json()["items"]
    assert [m["content"] for m in long] == ["two words here"]
    paged = client.post(url, params={"size": 3, "page": 2}).json()
    assert (
        paged["total"] == 4
        and paged["pages"] == 2
        and [m["content"] for m in paged["items"]] == ["from bob"]
    )
    assert client.post(url, params={"size": 101}).status_code == 422
    assert client.post(url, params={"page": 0}).status_code == 422
    missing = client.post(f"/v2/workspaces/{workspace}/sessions/none/messages/list").json()
    assert missing["items"] == [] and missing["pages"] == 0


def test_get_and_update_metadata(client: httpx.Client, workspace: str) -> None:
    (m,) = _create(client, workspace, "s", ["hello"])
    url = f"/v2/workspaces/{workspace}/sessions/s/messages/{m['id']}"
    assert client.get(url).json() == m
    updated = client.put(url, json={"metadata": {"edited": True}}).json()
    assert updated["metadata"] == {"edited": True} and updated["content"] == "hello"
    missing = client.get(f"/v2/workspaces/{workspace}/sessions/s/messages/doesnotexist")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Message with ID doesnotexist not found"}
    other_session = client.get(f"/v2/workspaces/{workspace}/sessions/other/messages/{m['id']}")
    assert other_session.status_code == 404


def test_writing_to_a_deleted_session_name_starts_fresh(
    client: httpx.Client, workspace: str
) -> None:
    _create(client, workspace, "s", ["old"])
    client.delete(f"/v2/workspaces/{workspace}/sessions/s")
    _create(client, workspace, "s", ["new"])
    items = client.post(f"/v2/workspaces/{workspace}/sessions/s/messages/list").json()["items"]
    assert [m["content"] for m in items] == ["new"]
