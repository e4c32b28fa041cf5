"""Webhook endpoint routes (spec §6.7) on the default server: private targets refused."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest

from src.webhooks.targets import refusal

PUBLIC = "https://8.8.8.8/honcho"  # an address literal: no DNS needed, and public


def _hooks(workspace: str) -> str:
    return f"/v2/workspaces/{workspace}/webhooks"


def _create(client: httpx.Client, workspace: str, url: str) -> httpx.Response:
    return client.post(_hooks(workspace), json={"url": url})


def test_get_or_create_list_delete(client: httpx.Client, workspace: str) -> None:
    """Registering a URL twice returns the same endpoint; deleting it answers null."""
    first = _create(client, workspace, PUBLIC)
    assert first.status_code == 200, first.text
    body: dict[str, Any] = first.json()
    assert set(body) == {"id", "workspace_id", "url", "created_at"}
    assert body["workspace_id"] == workspace and body["url"] == PUBLIC and len(body["id"]) == 21
    assert _create(client, workspace, PUBLIC).json() == body
    other = _create(client, workspace, "https://8.8.4.4/other").json()
    page = client.get(_hooks(workspace)).json()
    assert page["total"] == 2 and [e["id"] for e in page["items"]] == [body["id"], other["id"]]
    deleted = client.delete(f"{_hooks(workspace)}/{body['id']}")
    assert deleted.status_code == 200 and deleted.json() is None
    assert client.delete(f"{_hooks(workspace)}/{body['id']}").status_code == 404
    assert [e["id"] for e in client.get(_hooks(workspace)).json()["items"]] == [other["id"]]


def test_limit_is_checked_after_the_duplicate(client: httpx.Client, workspace: str) -> None:
    """At WEBHOOK_MAX_WORKSPACE_LIMIT (10) endpoints a new URL is a 409, but registering one the
    workspace already has still returns it (the reference answered 409: spec §20.2 #11)."""
    urls = [f"https://8.8.8.8/hook-{i}" for i in range(10)]
    for url in urls:
        assert _create(client, workspace, url).status_code == 200
    refused = _create(client, workspace, "https://8.8.8.8/one-too-many")
    assert refused.status_code == 409 and "maximum of 10" in refused.json()["detail"]
    again = _create(client, workspace, urls[3])
    assert again.status_code == 200 and again.json()["url"] == urls[3]


def test_missing_workspace_and_test_event(client: httpx.Client, workspace: str) -> None:
    assert _create(client, "no-such-workspace-xyz", PUBLIC).status_code == 404
    assert client.get(_hooks("no-such-workspace-xyz") + "/test").status_code == 404
    response = client.get(_hooks(workspace) + "/test")
    assert response.status_code == 200 and response.json() is None


def test_deleting_the_workspace_deletes_its_endpoints(
    client: httpx.Client, workspace: str, database_url: str
) -> None:
    import psycopg

    _create(client, workspace, PUBLIC)
    assert client.delete(f"/v2/workspaces/{workspace}").status_code == 200
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        left = conn.execute(
            "SELECT count(*) FROM webhook_endpoints WHERE workspace_name = %s", (workspace,)
        ).fetchone()
    assert left == (0,)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "not a url",
        "http://",
        "https://:443/x",
        "http://h:0/",
        "http://h:99999/",
        "https://example.com/" + "x" * 2048,
    ],
)
def test_malformed_urls_are_422(client: httpx.Client, workspace: str, url: str) -> None:
    response = _create(client, workspace, url)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "url"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",  # a NAME that resolves to loopback
        "http://127.1/hook",  # resolves (inet_aton) to 127.0.0.1
        "http://2130706433/hook",  # so does a decimal address
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://100.64.0.1/hook",  # shared address space
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
    ],
)
def test_private_targets_are_refused(client: httpx.Client, workspace: str, url: str) -> None:
    """With WEBHOOK_ALLOW_PRIVATE_TARGETS off (the default), a URL whose host is or resolves to a
    non-public address is refused with 422, and nothing is stored."""
    response = _create(client, workspace, url)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in detail and "address" in detail
    assert client.get(_hooks(workspace)).json()["total"] == 0


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped: judged by the IPv4 address
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_refusal_reasons(address: str, reason: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason
