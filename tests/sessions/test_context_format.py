"""Session context builds its message list in PostgreSQL: it must be the same JSON as the API's
Message everywhere else (field names, timestamps with and without microseconds, metadata)."""

from __future__ import annotations

import httpx


def test_context_messages_equal_the_messages_route(client: httpx.Client, workspace: str) -> None:
    """Every message in a context is exactly what the messages list returns for it."""
    url = f"/v2/workspaces/{workspace}/sessions/s"
    client.post(
        f"{url}/messages/",
        json={
            "messages": [
                {"peer_id": "alice", "content": "plain"},
                {
                    "peer_id": "bob",
                    "content": "dated",
                    "created_at": "2024-05-01T10:00:00Z",
                    "metadata": {"k": [1, {"n": "ü"}], "q": 'say "hi"'},
                },
                {"peer_id": "alice", "content": "micro", "created_at": "2024-05-01T10:00:00.120Z"},
            ]
        },
    )
    listed = client.post(f"{url}/messages/list").json()["items"]
    context = client.get(f"{url}/context", params={"tokens": 1000})
    assert context.status_code == 200 and context.headers["content-type"] == "application/json"
    assert context.json()["messages"] == listed
    stamps = [message["created_at"] for message in context.json()["messages"]]
    assert stamps[1:] == ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.120000Z"]
