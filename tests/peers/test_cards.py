"""Peer card routes over real HTTP (spec §4.15, §6.3.8, §6.3.9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import unique


def _card_url(workspace: str, peer: str) -> str:
    return f"/v2/workspaces/{workspace}/peers/{peer}/card"


def _peers(client: httpx.Client, workspace: str, *names: str) -> None:
    for name in names:
        r = client.post(f"/v2/workspaces/{workspace}/peers", json={"id": name})
        assert r.status_code == 200, r.text


def _get(client: httpx.Client, workspace: str, peer: str, target: str | None = None) -> Any:
    params = {"target": target} if target is not None else {}
    r = client.get(_card_url(workspace, peer), params=params)
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["peer_card"]
    return r.json()["peer_card"]


def _put(
    client: httpx.Client,
    workspace: str,
    peer: str,
    card: Any,
    target: str | None = None,
) -> httpx.Response:
    params = {"target": target} if target is not None else {}
    return client.put(_card_url(workspace, peer), params=params, json={"peer_card": card})


def test_get_card_is_null_when_none(client: httpx.Client, workspace: str) -> None:
    """A peer without a card, of itself or of a target, reads `{"peer_card": null}`."""
    _peers(client, workspace, "alice", "bob")
    assert _get(client, workspace, "alice") is None
    assert _get(client, workspace, "alice", target="bob") is None


def test_get_card_of_missing_peers_is_null_not_404(client: httpx.Client, workspace: str) -> None:
    """Reading a card of an unknown observer, target or workspace is 200 with null (no 404)."""
    assert _get(client, workspace, "ghost") is None
    _peers(client, workspace, "alice")
    assert _get(client, workspace, "alice", target="ghost") is None
    assert _get(client, unique("ws"), "alice") is None


def test_put_then_get_own_card(client: httpx.Client, workspace: str) -> None:
    """PUT without target stores the peer's own card; PUT returns and GET reads it back."""
    _peers(client, workspace, "alice")
    card = ["Name: Alice", "Lives in Lisbon", "Works as a nurse"]
    r = _put(client, workspace, "alice", card)
    assert r.status_code == 200, r.text
    assert r.json() == {"peer_card": card}
    assert _get(client, workspace, "alice") == card
    assert _get(client, workspace, "alice", target="alice") == card


def test_put_with_target_is_a_separate_card(client: httpx.Client, workspace: str) -> None:
    """Alice's card of Bob is kept apart from her own card and from Bob's card of himself."""
    _peers(client, workspace, "alice", "bob")
    own = ["Name: Alice"]
    of_bob = ["Bob is Alice's brother", "Bob likes chess"]
    assert _put(client, workspace, "alice", own).status_code == 200
    r = _put(client, workspace, "alice", of_bob, target="bob")
    assert r.status_code == 200, r.text
    assert r.json() == {"peer_card": of_bob}
    assert _get(client, workspace, "alice", target="bob") == of_bob
    assert _get(client, workspace, "alice") == own
    assert _get(client, workspace, "bob") is None
    assert _get(client, workspace, "bob", target="alice") is None


def test_put_replaces_the_card(client: httpx.Client, workspace: str) -> None:
    """A second PUT replaces the whole card (no merge); an empty list stores an empty card."""
    _peers(client, workspace, "alice")
    _put(client, workspace, "alice", ["a", "b", "c"])
    assert _put(client, workspace, "alice", ["d"]).json() == {"peer_card": ["d"]}
    assert _get(client, workspace, "alice") == ["d"]
    assert _put(client, workspace, "alice", []).json() == {"peer_card": []}
    assert _get(client, workspace, "alice") == []


def test_put_404_when_observer_missing(client: httpx.Client, workspace: str) -> None:
    """PUT for an unknown observer peer is a 404; the peer is not created, nothing stored."""
    r = _put(client, workspace, "ghost", ["x"])
    assert r.status_code == 404, r.text
    assert isinstance(r.json()["detail"], str)
    assert _get(client, workspace, "ghost") is None
    peers = client.post(f"/v2/workspaces/{workspace}/peers/list", json={}).json()
    assert peers["total"] == 0


def test_put_404_when_target_missing(client: httpx.Client, workspace: str) -> None:
    """PUT with an unknown `target` peer is a 404; nothing is stored for that target."""
    _peers(client, workspace, "alice")
    r = _put(client, workspace, "alice", ["x"], target="ghost")
    assert r.status_code == 404, r.text
    assert _get(client, workspace, "alice", target="ghost") is None
    peers = client.post(f"/v2/workspaces/{workspace}/peers/list", json={}).json()
    assert [p["id"] for p in peers["items"]] == ["alice"]


def test_put_404_in_unknown_workspace(client: httpx.Client) -> None:
    """PUT never creates the workspace or the peer: an unknown workspace is a 404."""
    ws = unique("ws")
    assert _put(client, ws, "alice", ["x"]).status_code == 404
    assert client.post("/v2/workspaces/list", json={"filters": {"id": ws}}).json()["total"] == 0


def test_put_cleans_lines(client: httpx.Client, workspace: str) -> None:
    """Blank, duplicate and "Note: ..." lines are dropped; the rest keep their order."""
    _peers(client, workspace, "alice")
    r = _put(
        client,
        workspace,
        "alice",
        [
            "Name: Alice",
            "",
            "   ",
            "Lives in Lisbon",
            "Name: Alice",
            "Note: I should ask about her job",
            "NOTES: nothing else known",
            "  Lives in Lisbon  ",
            "Likes tea",
        ],
    )
    assert r.status_code == 200, r.text
    cleaned = ["Name: Alice", "Lives in Lisbon", "Likes tea"]
    assert r.json() == {"peer_card": cleaned}
    assert _get(client, workspace, "alice") == cleaned


def test_put_accepts_40_lines(client: httpx.Client, workspace: str) -> None:
    """A card of exactly 40 distinct lines is stored whole."""
    _peers(client, workspace, "alice")
    card = [f"fact number {i}" for i in range(40)]
    r = _put(client, workspace, "alice", card)
    assert r.status_code == 200, r.text
    assert _get(client, workspace, "alice") == card


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"peer_card": "Name: Alice"}, id="string"),
        pytest.param({"peer_card": {"name": "Alice"}}, id="object"),
        pytest.param({"peer_card": [1, 2]}, id="non-string-items"),
        pytest.param({"peer_card": None}, id="null"),
        pytest.param({}, id="missing"),
        pytest.param(["Name: Alice"], id="bare-list"),
        pytest.param({"peer_card": [f"fact {i}" for i in range(41)]}, id="41-lines"),
    ],
)
def test_put_422_for_invalid_bodies(client: httpx.Client, workspace: str, body: Any) -> None:
    """A non-list `peer_card` or one over 40 lines is a 422; the stored card is unchanged."""
    _peers(client, workspace, "alice")
    _put(client, workspace, "alice", ["kept"])
    r = client.put(_card_url(workspace, "alice"), json=body)
    assert r.status_code == 422, r.text
    assert _get(client, workspace, "alice") == ["kept"]


def test_invalid_target_name_is_422(client: httpx.Client, workspace: str) -> None:
    """A `target` that is not a valid peer name is a 422 on GET and PUT."""
    _peers(client, workspace, "alice")
    assert client.get(_card_url(workspace, "alice"), params={"target": "b:ob"}).status_code == 422
    assert _put(client, workspace, "alice", ["x"], target="b ob").status_code == 422
