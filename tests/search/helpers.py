"""Helpers shared by the search tests: writing messages and calling the three search routes."""

from __future__ import annotations

from typing import Any

import httpx

MESSAGE_FIELDS = [
    "content",
    "created_at",
    "id",
    "metadata",
    "peer_id",
    "session_id",
    "token_count",
    "workspace_id",
]


def write(
    client: httpx.Client, workspace: str, session: str, *messages: dict[str, Any] | tuple[str, str]
) -> list[dict[str, Any]]:
    """Write a batch: (peer, content) pairs or full MessageCreate dicts."""
    body = [{"peer_id": m[0], "content": m[1]} if isinstance(m, tuple) else m for m in messages]
    r = client.post(
        f"/v2/workspaces/{workspace}/sessions/{session}/messages/", json={"messages": body}
    )
    assert r.status_code == 200, r.text
    written: list[dict[str, Any]] = r.json()
    return written


def search_raw(client: httpx.Client, route: str, query: Any, **body: Any) -> httpx.Response:
    """POST `{route}/search`; `route` is a workspace, peer or session URL."""
    return client.post(f"{route}/search", json={"query": query, **body})


def search(client: httpx.Client, route: str, query: str, **body: Any) -> list[dict[str, Any]]:
    r = search_raw(client, route, query, **body)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def contents(found: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in found]


def ws_route(workspace: str) -> str:
    return f"/v2/workspaces/{workspace}"


def peer_route(workspace: str, peer: str) -> str:
    return f"/v2/workspaces/{workspace}/peers/{peer}"


def session_route(workspace: str, session: str) -> str:
    return f"/v2/workspaces/{workspace}/sessions/{session}"
