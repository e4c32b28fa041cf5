"""`POST /v2/keys` (spec §3.5) and the keys it mints, expiring ones included (§20.2 #1 fixed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
import pytest

from src.auth.tokens import encode
from tests.conftest import JWT_SECRET
from tests.support import LiveServer, unique

# tests.conftest.JWT_SECRET is shorter than the 32 bytes PyJWT recommends for HS256.

KEYS = "/v2/keys"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


def _admin() -> dict[str, str]:
    return _bearer(encode(JWT_SECRET, admin=True))


@dataclass(frozen=True)
class Names:
    workspace: str
    peer: str
    session: str
    other_workspace: str
    other_peer: str
    other_session: str


@pytest.fixture(scope="module")
def http(auth_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth_server.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def names(http: httpx.Client) -> Names:
    n = Names(
        workspace=unique("ws"),
        peer=unique("p"),
        session=unique("s"),
        other_workspace=unique("ws-other"),
        other_peer=unique("p-other"),
        other_session=unique("s-other"),
    )
    for workspace in (n.workspace, n.other_workspace):
        r = http.post("/v2/workspaces", json={"id": workspace}, headers=_admin())
        assert r.status_code == 200, r.text
    for session in (n.session, n.other_session):
        r = http.post(
            f"/v2/workspaces/{n.workspace}/sessions",
            json={"id": session, "peers": {n.peer: {}, n.other_peer: {}}},
            headers=_admin(),
        )
        assert r.status_code == 200, r.text
    return n


def _mint(http: httpx.Client, **params: str) -> str:
    r = http.post(KEYS, params=params, headers=_admin())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"key"} and isinstance(body["key"], str)
    key: str = body["key"]
    return key


def _claims(key: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(key, JWT_SECRET, algorithms=["HS256"])
    return claims


def _assert_detail(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, f"expected {status}, got {r.status_code} {r.text}"
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail


def test_keys_are_405_when_auth_is_disabled(api_server: LiveServer) -> None:
    """With auth off there is nothing to mint: 405 Feature is disabled."""
    r = httpx.post(api_server.base_url + KEYS, params={"workspace_id": unique("ws")}, timeout=30)
    _assert_detail(r, 405)


def test_keys_without_a_token_are_401(http: httpx.Client) -> None:
    """Minting needs credentials."""
    _assert_detail(http.post(KEYS, params={"workspace_id": unique("ws")}), 401)


@pytest.mark.parametrize("scope", ["workspace", "peer", "session"])
def test_keys_refuse_non_admin_keys(http: httpx.Client, names: Names, scope: str) -> None:
    """Only admins mint keys: workspace, peer and session keys get 403, even for their own scope."""
    peer = names.peer if scope == "peer" else None
    session = names.session if scope == "session" else None
    token = encode(JWT_SECRET, workspace=names.workspace, peer=peer, session=session)
    r = http.post(KEYS, params={"workspace_id": names.workspace}, headers=_bearer(token))
    _assert_detail(r, 403)


def test_key_without_any_scope_is_422(http: httpx.Client) -> None:
    """A key must name at least one of workspace_id, peer_id, session_id."""
    _assert_detail(http.post(KEYS, headers=_admin()), 422)


@pytest.mark.parametrize("param", ["peer_id", "session_id"])
def test_peer_or_session_key_without_workspace_is_422(
    http: httpx.Client, names: Names, param: str
) -> None:
    """A peer or session key must also name its workspace (it would be usable nowhere otherwise)."""
    value = names.peer if param == "peer_id" else names.session
    _assert_detail(http.post(KEYS, params={param: value}, headers=_admin()), 422)


def test_expires_at_in_the_past_is_422(http: httpx.Client, names: Names) -> None:
    """The server refuses to mint a key that is already expired."""
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = http.post(
        KEYS, params={"workspace_id": names.workspace, "expires_at": past}, headers=_admin()
    )
    _assert_detail(r, 422)


def test_minted_workspace_key_covers_its_workspace_only(http: httpx.Client, names: Names) -> None:
    """A minted workspace key carries only `w` and reaches its workspace, nothing else."""
    key = _mint(http, workspace_id=names.workspace)
    claims = _claims(key)
    assert claims["w"] == names.workspace
    assert not {"ad", "p", "s", "exp"} & set(claims)
    auth = _bearer(key)
    w = f"/v2/workspaces/{names.workspace}"
    assert (
        http.post("/v2/workspaces", json={"id": names.workspace}, headers=auth).status_code == 200
    )
    assert http.put(w, json={}, headers=auth).status_code == 200
    assert http.post(f"{w}/peers/list", json={}, headers=auth).status_code == 200
    assert http.post(f"{w}/sessions/{names.session}/messages/list", headers=auth).status_code == 200
    _assert_detail(http.put(f"/v2/workspaces/{names.other_workspace}", json={}, headers=auth), 403)
    _assert_detail(http.post("/v2/workspaces/list", json={}, headers=auth), 403)
    _assert_detail(http.post(KEYS, params={"workspace_id": names.workspace}, headers=auth), 403)


def test_minted_peer_key_covers_its_peer_only(http: httpx.Client, names: Names) -> None:
    """A minted peer key reaches its own peer's routes and nothing else in the workspace."""
    key = _mint(http, workspace_id=names.workspace, peer_id=names.peer)
    claims = _claims(key)
    assert (claims["w"], claims["p"]) == (names.workspace, names.peer)
    assert not {"ad", "s", "exp"} & set(claims)
    auth = _bearer(key)
    w = f"/v2/workspaces/{names.workspace}"
    assert (
        http.post("/v2/workspaces", json={"id": names.workspace}, headers=auth).status_code == 200
    )
    assert http.post(f"{w}/peers", json={"id": names.peer}, headers=auth).status_code == 200
    assert http.put(f"{w}/peers/{names.peer}", json={}, headers=auth).status_code == 200
    _assert_detail(http.post(f"{w}/peers", json={"id": names.other_peer}, headers=auth), 403)
    _assert_detail(http.put(f"{w}/peers/{names.other_peer}", json={}, headers=auth), 403)
    _assert_detail(http.post(f"{w}/peers/list", json={}, headers=auth), 403)
    _assert_detail(http.get(f"{w}/sessions/{names.session}/peers", headers=auth), 403)


def test_minted_session_key_covers_its_session_only(http: httpx.Client, names: Names) -> None:
    """A minted session key reaches its own session (messages included) and nothing else."""
    key = _mint(http, workspace_id=names.workspace, session_id=names.session)
    claims = _claims(key)
    assert (claims["w"], claims["s"]) == (names.workspace, names.session)
    assert not {"ad", "p", "exp"} & set(claims)
    auth = _bearer(key)
    w = f"/v2/workspaces/{names.workspace}"
    s = f"{w}/sessions/{names.session}"
    message = {"messages": [{"peer_id": names.peer, "content": "hi"}]}
    assert (
        http.post("/v2/workspaces", json={"id": names.workspace}, headers=auth).status_code == 200
    )
    assert http.post(f"{w}/sessions", json={"id": names.session}, headers=auth).status_code == 200
    assert http.post(f"{s}/messages/", json=message, headers=auth).status_code == 200
    assert http.get(f"{s}/peers", headers=auth).status_code == 200
    _assert_detail(http.post(f"{w}/sessions", json={"id": names.other_session}, headers=auth), 403)
    other = f"{w}/sessions/{names.other_session}"
    _assert_detail(http.post(f"{other}/messages/", json=message, headers=auth), 403)
    _assert_detail(http.post(f"{w}/sessions/list", json={}, headers=auth), 403)
    _assert_detail(http.put(f"{w}/peers/{names.peer}", json={}, headers=auth), 403)


def test_key_with_future_expiry_works(http: httpx.Client, names: Names) -> None:
    """`expires_at` becomes an integer `exp` (not the reference's ISO string) and the key works."""
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    # Given with a +02:00 offset to pin the conversion to an absolute instant.
    offset = expires_at.astimezone(timezone(timedelta(hours=2)))
    key = _mint(http, workspace_id=names.workspace, expires_at=offset.isoformat())
    exp = _claims(key)["exp"]
    assert isinstance(exp, int) and exp == int(expires_at.timestamp())
    r = http.put(f"/v2/workspaces/{names.workspace}", json={}, headers=_bearer(key))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("scope", ["admin", "workspace"])
def test_token_past_its_exp_is_401(http: httpx.Client, names: Names, scope: str) -> None:
    """A correctly signed token whose integer `exp` has passed is refused with 401."""
    past = datetime.now(UTC) - timedelta(seconds=5)
    if scope == "admin":
        token = encode(JWT_SECRET, admin=True, expires_at=past)
    else:
        token = encode(JWT_SECRET, workspace=names.workspace, expires_at=past)
    r = http.put(f"/v2/workspaces/{names.workspace}", json={}, headers=_bearer(token))
    _assert_detail(r, 401)
