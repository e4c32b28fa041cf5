"""Authorization matrix over every route (spec §3, deliberately without §20.2 #1 and #2).

`ROUTES` declares the scope of every route; `test_route_table_matches_openapi` keeps it in step
with the live server, so a new route cannot ship without a declared (and tested) scope. Each route
is then called with every kind of token (allowed: neither 401 nor 403; refused: exactly 403) and
with every kind of bad credential (exactly 401).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx
import pytest

from src.auth.tokens import encode
from tests.conftest import JWT_SECRET
from tests.support import LiveServer, unique

Kwargs = dict[str, Any]


@dataclass(frozen=True)
class World:
    """The resources every case addresses; tokens are minted relative to it."""

    workspace: str
    peer: str  # a member of `session` and the author of `message`
    session: str
    message: str
    other_workspace: str
    other_peer: str  # also in `workspace`
    other_session: str  # also in `workspace`
    observation: str = ""
    endpoint: str = ""


class Scope(Enum):
    ADMIN = "admin keys only"
    WORKSPACE = "a workspace key of {workspace_id}"
    PEER = "a workspace key, or the peer key of ({workspace_id}, {peer_id})"
    SESSION = "a workspace key, or the session key of ({workspace_id}, {session_id})"
    WORKSPACE_GET_OR_CREATE = "any key whose w is the body id"
    PEER_GET_OR_CREATE = "a workspace key, or the peer key whose p is the body id"
    SESSION_GET_OR_CREATE = "a workspace key, or the session key whose s is the body id"


class Fresh(Enum):
    """Destructive routes get their own resource per case, so the shared world survives."""

    NONE = "none"
    WORKSPACE = "workspace"
    SESSION = "session"
    OBSERVATION = "observation"
    WEBHOOK = "webhook"  # in a fresh workspace: refused deletions would pile up to the limit


def _no_body(_: World) -> Kwargs:
    return {}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template exactly as /openapi.json spells it
    scope: Scope
    request: Callable[[World], Kwargs] = _no_body  # a well-formed request an admin gets a 2xx for
    fresh: Fresh = Fresh.NONE
    in_schema: bool = True
    # What an admin gets for the request: a 2xx, or a known non-auth status (503: no LLM here).
    admin_status: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def url(self, world: World) -> str:
        return self.path.format(
            workspace_id=world.workspace,
            peer_id=world.peer,
            session_id=world.session,
            message_id=world.message,
            observation_id=world.observation,
            endpoint_id=world.endpoint,
        )


W = "/v2/workspaces/{workspace_id}"
P = W + "/peers/{peer_id}"
S = W + "/sessions/{session_id}"
M = S + "/messages"

# tests.conftest.JWT_SECRET is shorter than the 32 bytes PyJWT recommends for HS256.

# A public name (the server refuses private targets); nothing is delivered: no deriver has a secret.
WEBHOOK_URL = "https://hooks.example.com/honcho"

ROUTES: list[Route] = [
    # Workspaces
    Route(
        "POST",
        "/v2/workspaces",
        Scope.WORKSPACE_GET_OR_CREATE,
        lambda w: {"json": {"id": w.workspace}},
    ),
    Route("POST", "/v2/workspaces/list", Scope.ADMIN, lambda w: {"json": {}}),
    Route("PUT", W, Scope.WORKSPACE, lambda w: {"json": {"metadata": {"touched": True}}}),
    Route("DELETE", W, Scope.WORKSPACE, fresh=Fresh.WORKSPACE),
    # Peers
    Route("POST", W + "/peers/list", Scope.WORKSPACE, lambda w: {"json": {}}),
    Route("POST", W + "/peers", Scope.PEER_GET_OR_CREATE, lambda w: {"json": {"id": w.peer}}),
    Route("PUT", P, Scope.PEER, lambda w: {"json": {"metadata": {"touched": True}}}),
    Route("POST", P + "/sessions", Scope.PEER, lambda w: {"json": {}}),
    # Sessions
    Route(
        "POST", W + "/sessions", Scope.SESSION_GET_OR_CREATE, lambda w: {"json": {"id": w.session}}
    ),
    Route("POST", W + "/sessions/list", Scope.WORKSPACE, lambda w: {"json": {}}),
    Route("PUT", S, Scope.SESSION, lambda w: {"json": {"metadata": {"touched": True}}}),
    Route("DELETE", S, Scope.SESSION, fresh=Fresh.SESSION),
    Route("GET", S + "/clone", Scope.SESSION),
    Route("POST", S + "/peers", Scope.SESSION, lambda w: {"json": {w.peer: {}}}),
    Route("PUT", S + "/peers", Scope.SESSION, lambda w: {"json": {w.peer: {}}}),
    Route("DELETE", S + "/peers", Scope.SESSION, lambda w: {"json": [w.other_peer]}),
    Route("GET", S + "/peers", Scope.SESSION),
    Route("GET", S + "/peers/{peer_id}/config", Scope.SESSION),
    Route(
        "POST",
        S + "/peers/{peer_id}/config",
        Scope.SESSION,
        lambda w: {"json": {"observe_me": True}},
    ),
    # Messages
    Route(
        "POST",
        M + "/",
        Scope.SESSION,
        lambda w: {"json": {"messages": [{"peer_id": w.peer, "content": "hello"}]}},
    ),
    Route(
        "POST",
        M,
        Scope.SESSION,  # the slash-less alias, hidden from the schema
        lambda w: {"json": {"messages": [{"peer_id": w.peer, "content": "hello"}]}},
        in_schema=False,
    ),
    Route(
        "POST",
        M + "/upload",
        Scope.SESSION,
        lambda w: {
            "files": {"file": ("note.txt", b"hello", "text/plain")},
            "data": {"peer_id": w.peer},
        },
    ),
    Route("POST", M + "/list", Scope.SESSION, lambda w: {"json": {}}),
    Route("GET", M + "/{message_id}", Scope.SESSION),
    Route(
        "PUT",
        M + "/{message_id}",
        Scope.SESSION,
        lambda w: {"json": {"metadata": {"touched": True}}},
    ),
    # Keys
    Route("POST", "/v2/keys", Scope.ADMIN, lambda w: {"params": {"workspace_id": w.workspace}}),
    # Peer cards
    Route("GET", P + "/card", Scope.PEER),
    Route("PUT", P + "/card", Scope.PEER, lambda w: {"json": {"peer_card": ["Likes tea"]}}),
    # Observations
    Route(
        "POST",
        W + "/observations",
        Scope.WORKSPACE,
        lambda w: {
            "json": {
                "observations": [
                    {
                        "content": "Likes tea",
                        "observer_id": w.peer,
                        "observed_id": w.peer,
                        "session_id": w.session,
                    }
                ]
            }
        },
    ),
    Route("POST", W + "/observations/list", Scope.WORKSPACE, lambda w: {"json": {}}),
    Route(
        "POST",
        W + "/observations/query",
        Scope.WORKSPACE,
        lambda w: {"json": {"query": "tea", "filters": {"observer": w.peer, "observed": w.peer}}},
    ),
    Route("DELETE", W + "/observations/{observation_id}", Scope.WORKSPACE, fresh=Fresh.OBSERVATION),
    # Search, context, representation, dialectic
    Route("POST", W + "/search", Scope.WORKSPACE, lambda w: {"json": {"query": "first"}}),
    Route("POST", P + "/search", Scope.PEER, lambda w: {"json": {"query": "first"}}),
    Route("POST", S + "/search", Scope.SESSION, lambda w: {"json": {"query": "first"}}),
    Route("GET", S + "/context", Scope.SESSION, lambda w: {"params": {"tokens": 100}}),
    Route("GET", S + "/summaries", Scope.SESSION),
    Route("GET", P + "/context", Scope.PEER),
    Route("POST", P + "/representation", Scope.PEER, lambda w: {"json": {}}),
    Route("POST", P + "/chat", Scope.PEER, lambda w: {"json": {"query": "hi"}}, admin_status=503),
    # Deriver (narrower keys may read their own slice: see test_deriver_status_scoped_keys)
    Route("GET", W + "/deriver/status", Scope.WORKSPACE),
    # Webhooks
    Route("POST", W + "/webhooks", Scope.WORKSPACE, lambda w: {"json": {"url": WEBHOOK_URL}}),
    Route("GET", W + "/webhooks", Scope.WORKSPACE),
    Route("GET", W + "/webhooks/test", Scope.WORKSPACE),
    Route("DELETE", W + "/webhooks/{endpoint_id}", Scope.WORKSPACE, fresh=Fresh.WEBHOOK),
]

# Claims (keyword arguments of `encode`) of each kind of valid token, relative to the world.
TOKEN_KINDS: dict[str, Callable[[World], Kwargs]] = {
    "admin": lambda w: {"admin": True},
    "workspace": lambda w: {"workspace": w.workspace},
    "peer": lambda w: {"workspace": w.workspace, "peer": w.peer},
    "session": lambda w: {"workspace": w.workspace, "session": w.session},
    "other_workspace": lambda w: {"workspace": w.other_workspace},
    "other_peer": lambda w: {"workspace": w.workspace, "peer": w.other_peer},
    "other_session": lambda w: {"workspace": w.workspace, "session": w.other_session},
    "peer_of_other_workspace": lambda w: {"workspace": w.other_workspace, "peer": w.peer},
    "session_of_other_workspace": lambda w: {"workspace": w.other_workspace, "session": w.session},
    "peer_without_workspace": lambda w: {"peer": w.peer},
    "session_without_workspace": lambda w: {"session": w.session},
    "no_scope": lambda w: {},
}

ALLOWED: dict[Scope, frozenset[str]] = {
    Scope.ADMIN: frozenset({"admin"}),
    Scope.WORKSPACE: frozenset({"admin", "workspace"}),
    Scope.PEER: frozenset({"admin", "workspace", "peer"}),
    Scope.SESSION: frozenset({"admin", "workspace", "session"}),
    Scope.WORKSPACE_GET_OR_CREATE: frozenset(
        {"admin", "workspace", "peer", "session", "other_peer", "other_session"}
    ),
    Scope.PEER_GET_OR_CREATE: frozenset({"admin", "workspace", "peer"}),
    Scope.SESSION_GET_OR_CREATE: frozenset({"admin", "workspace", "session"}),
}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned_admin() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'ad': True})}."


def _tampered(w: World) -> str:
    """A genuine workspace key whose payload was swapped for an admin one, signature kept."""
    header, _, signature = encode(JWT_SECRET, workspace=w.workspace).split(".")
    return f"{header}.{_b64({'ad': True, 'w': w.workspace})}.{signature}"


def _expired_admin() -> str:
    return encode(JWT_SECRET, admin=True, expires_at=datetime.now(UTC) - timedelta(minutes=1))


# Authorization headers that must all be answered 401 on every route.
BAD_CREDENTIALS: dict[str, Callable[[World], dict[str, str]]] = {
    "missing": lambda w: {},
    "empty": lambda w: {"Authorization": ""},
    "bearer_without_token": lambda w: {"Authorization": "Bearer"},
    "token_without_scheme": lambda w: {"Authorization": encode(JWT_SECRET, admin=True)},
    "basic_scheme": lambda w: {"Authorization": "Basic " + encode(JWT_SECRET, admin=True)},
    "garbage": lambda w: {"Authorization": "Bearer not-a-jwt"},
    "other_secret": lambda w: {
        "Authorization": "Bearer " + encode("another-secret-of-at-least-32-bytes-0123", admin=True)
    },
    "unsigned": lambda w: {"Authorization": "Bearer " + _unsigned_admin()},
    "tampered": lambda w: {"Authorization": "Bearer " + _tampered(w)},
    "expired": lambda w: {"Authorization": "Bearer " + _expired_admin()},
}


def _bearer(**claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + encode(JWT_SECRET, **claims)}


def _admin() -> dict[str, str]:
    return _bearer(admin=True)


@pytest.fixture(scope="module")
def http(auth_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth_server.base_url, timeout=30.0) as client:
        yield client


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.is_success, f"setup failed: {response.status_code} {response.text}"
    return response


@pytest.fixture(scope="module")
def world(http: httpx.Client) -> World:
    w = World(
        workspace=unique("ws"),
        peer=unique("p"),
        session=unique("s"),
        message="",
        other_workspace=unique("ws-other"),
        other_peer=unique("p-other"),
        other_session=unique("s-other"),
    )
    for name in (w.workspace, w.other_workspace):
        _ok(http.post("/v2/workspaces", json={"id": name}, headers=_admin()))
    sessions = W.format(workspace_id=w.workspace) + "/sessions"
    members: dict[str, dict[str, Any]] = {w.peer: {}, w.other_peer: {}}
    _ok(http.post(sessions, json={"id": w.session, "peers": members}, headers=_admin()))
    _ok(http.post(sessions, json={"id": w.other_session, "peers": members}, headers=_admin()))
    created = _ok(
        http.post(
            f"{sessions}/{w.session}/messages/",
            json={"messages": [{"peer_id": w.peer, "content": "first"}]},
            headers=_admin(),
        )
    )
    return replace(w, message=created.json()[0]["id"])


def _world_for(route: Route, world: World, http: httpx.Client) -> World:
    if route.fresh is Fresh.WORKSPACE:
        fresh = replace(world, workspace=unique("ws-fresh"))
        _ok(http.post("/v2/workspaces", json={"id": fresh.workspace}, headers=_admin()))
        return fresh
    if route.fresh is Fresh.SESSION:
        fresh = replace(world, session=unique("s-fresh"))
        _ok(
            http.post(
                W.format(workspace_id=world.workspace) + "/sessions",
                json={"id": fresh.session, "peers": {world.peer: {}}},
                headers=_admin(),
            )
        )
        return fresh
    if route.fresh is Fresh.OBSERVATION:
        created = _ok(
            http.post(
                W.format(workspace_id=world.workspace) + "/observations",
                json={
                    "observations": [
                        {
                            "content": "A fresh observation",
                            "observer_id": world.peer,
                            "observed_id": world.peer,
                            "session_id": world.session,
                        }
                    ]
                },
                headers=_admin(),
            )
        )
        return replace(world, observation=created.json()[0]["id"])
    if route.fresh is Fresh.WEBHOOK:
        fresh = replace(world, workspace=unique("ws-hook"))
        _ok(http.post("/v2/workspaces", json={"id": fresh.workspace}, headers=_admin()))
        created = _ok(
            http.post(
                W.format(workspace_id=fresh.workspace) + "/webhooks",
                json={"url": WEBHOOK_URL},
                headers=_admin(),
            )
        )
        return replace(fresh, endpoint=created.json()["id"])
    return world


def _call(
    http: httpx.Client, route: Route, world: World, headers: dict[str, str]
) -> httpx.Response:
    return http.request(route.method, route.url(world), headers=headers, **route.request(world))


def _route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def _assert_error(response: httpx.Response, status: int, what: str) -> None:
    assert response.status_code == status, (
        f"{what}: expected {status}, got {response.status_code} {response.text}"
    )
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], (
        f"{what}: expected a {{'detail': '...'}} body, got {response.text}"
    )


def test_route_table_matches_openapi(http: httpx.Client) -> None:
    """Every documented route has a declared scope in ROUTES, and ROUTES names no phantom route."""
    spec = http.get("/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    declared = [r.key for r in ROUTES if r.in_schema]
    assert len(declared) == len(set(declared)), "ROUTES lists a route twice"
    missing = sorted(served - set(declared))
    phantom = sorted(set(declared) - served)
    assert not missing, f"routes without a declared scope (add them to ROUTES): {missing}"
    assert not phantom, f"ROUTES lists routes the server does not document: {phantom}"
    hidden = [r.key for r in ROUTES if not r.in_schema]
    assert not set(hidden) & served, f"routes marked in_schema=False are documented: {hidden}"


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_admin_request_is_well_formed(http: httpx.Client, world: World, route: Route) -> None:
    """The request each case sends succeeds for an admin, so allow/refuse results are about auth."""
    w = _world_for(route, world, http)
    response = _call(http, route, w, _admin())
    if route.admin_status is not None:
        assert response.status_code == route.admin_status, response.text
    else:
        assert response.is_success, f"{response.status_code} {response.text}"


@pytest.mark.parametrize("kind", TOKEN_KINDS)
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_token_scope(http: httpx.Client, world: World, route: Route, kind: str) -> None:
    """A valid token is let through exactly when the route's declared scope covers it, else 403."""
    w = _world_for(route, world, http)
    response = _call(http, route, w, _bearer(**TOKEN_KINDS[kind](w)))
    what = f"{kind} key on {route.method} {route.path}"
    if kind in ALLOWED[route.scope]:
        assert response.status_code not in (401, 403), (
            f"{what}: expected allowed, got {response.status_code} {response.text}"
        )
    else:
        _assert_error(response, 403, what)


@pytest.mark.parametrize("credential", BAD_CREDENTIALS)
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_bad_credentials_are_401(
    http: httpx.Client, world: World, route: Route, credential: str
) -> None:
    """A missing, malformed, forged or expired credential is a 401 on every route."""
    w = _world_for(route, world, http)
    response = _call(http, route, w, BAD_CREDENTIALS[credential](w))
    _assert_error(response, 401, f"{credential} credential on {route.method} {route.path}")


def test_every_scope_has_an_allowed_set() -> None:
    """ALLOWED covers every Scope and names only known token kinds."""
    assert set(ALLOWED) == set(Scope)
    for kinds in ALLOWED.values():
        assert kinds <= set(TOKEN_KINDS)


@pytest.mark.parametrize(
    ("kind", "params", "allowed"),
    [
        ("session", {"session_id": "SESSION"}, True),
        ("session", {"session_id": "OTHER_SESSION"}, False),
        ("session", {}, False),
        ("peer", {"observer_id": "PEER"}, True),
        ("peer", {"sender_id": "PEER"}, True),
        ("peer", {"observer_id": "PEER", "sender_id": "OTHER_PEER"}, False),
        ("peer", {"observer_id": "OTHER_PEER"}, False),
        ("peer", {}, False),
    ],
)
def test_deriver_status_scoped_keys(
    http: httpx.Client, world: World, kind: str, params: dict[str, str], allowed: bool
) -> None:
    """A session key reads the status of its session, a peer key of its own views, nothing else."""
    names = {
        "SESSION": world.session,
        "OTHER_SESSION": world.other_session,
        "PEER": world.peer,
        "OTHER_PEER": world.other_peer,
    }
    claims = TOKEN_KINDS[kind](world)
    r = http.get(
        W.format(workspace_id=world.workspace) + "/deriver/status",
        params={k: names[v] for k, v in params.items()},
        headers=_bearer(**claims),
    )
    assert r.status_code == (200 if allowed else 403), r.text
