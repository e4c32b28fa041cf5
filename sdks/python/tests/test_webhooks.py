"""Webhook endpoints (spec §6.7): register, list, test, delete.

Skipped, saying so, against a server that does not serve the webhook routes (its /openapi.json
has no /webhooks path): the methods then have nothing to be proven against."""

from __future__ import annotations

import httpx
import pytest

from honcho import AsyncHoncho, ConflictError, Honcho, NotFoundError, WebhookEndpoint

URL = "https://1.1.1.1/honcho-events"  # a public address: accepted without any DNS lookup


@pytest.fixture
def webhook_routes(base_url: str) -> None:
    paths = httpx.get(f"{base_url}/openapi.json", timeout=10).json().get("paths", {})
    if not any(path.endswith("/webhooks") for path in paths):
        pytest.skip("server has no webhook routes (/v2/workspaces/{w}/webhooks not in its API)")


@pytest.mark.usefixtures("webhook_routes")
def test_webhook_endpoints(honcho: Honcho) -> None:
    endpoint = honcho.create_webhook(URL)
    assert isinstance(endpoint, WebhookEndpoint)
    assert endpoint.url == URL and endpoint.workspace_id == honcho.workspace_id
    assert honcho.create_webhook(URL) == endpoint  # get-or-create by URL
    other = honcho.create_webhook(URL + "/2")
    assert sorted(e.url for e in honcho.get_webhooks()) == [URL, URL + "/2"]

    honcho.test_webhook()
    honcho.delete_webhook(endpoint)
    honcho.delete_webhook(other.id)
    assert list(honcho.get_webhooks()) == []
    with pytest.raises(NotFoundError):
        honcho.delete_webhook(other.id)


@pytest.mark.usefixtures("webhook_routes")
def test_webhook_limit_is_a_conflict(honcho: Honcho) -> None:
    with pytest.raises(ConflictError):
        for i in range(100):
            honcho.create_webhook(f"{URL}/{i}")


@pytest.mark.usefixtures("webhook_routes")
async def test_async_webhook_endpoints(ahoncho: AsyncHoncho) -> None:
    endpoint = await ahoncho.create_webhook(URL)
    assert [e.id async for e in await ahoncho.get_webhooks()] == [endpoint.id]
    await ahoncho.test_webhook()
    await ahoncho.delete_webhook(endpoint)
    assert [e async for e in await ahoncho.get_webhooks()] == []
