"""One delivery attempt in process: the connection goes to the address that was checked (the name
stays in Host and TLS SNI), any refused address refuses the target, redirects are not followed."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address
from typing import Any

import httpx
import pytest

from src.config import WebhookSettings
from src.webhooks import delivery, targets

EVENT = {"type": "test.event", "data": {"workspace_id": "w"}, "timestamp": "2026-01-01T00:00:00Z"}


def _settings(**overrides: Any) -> WebhookSettings:
    return WebhookSettings.model_construct(SECRET="s3cret", **overrides)


def _fake_network(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str], status: int = 204
) -> list[httpx.Request]:
    """Resolve every host to `addresses`; answer every request with `status`; record them."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, headers={"Location": "http://10.0.0.1/"})

    real: Callable[..., httpx.AsyncClient] = httpx.AsyncClient

    def client(**kwargs: Any) -> httpx.AsyncClient:
        return real(transport=httpx.MockTransport(answer), **kwargs)

    async def resolve(url: str) -> targets.Target:
        parts = httpx.URL(url)
        return targets.Target(parts.host, parts.port or 443, [ip_address(a) for a in addresses])

    monkeypatch.setattr(httpx, "AsyncClient", client)
    monkeypatch.setattr(targets, "resolve", resolve)
    return seen


async def test_https_delivery_connects_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _fake_network(monkeypatch, ["93.184.215.14"])
    outcome = await delivery.send(_settings(), "https://hooks.example.com:8443/in?x=1", EVENT, 7)
    assert outcome == delivery.Outcome(True)
    (request,) = seen
    assert (request.url.host, request.url.port, request.url.path) == ("93.184.215.14", 8443, "/in")
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["x-honcho-delivery-id"] == "7"
    assert request.content == delivery.body(EVENT)
    assert request.headers["x-honcho-signature"] == delivery.signature("s3cret", request.content)


async def test_one_private_address_among_public_ones_refuses_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _fake_network(monkeypatch, ["93.184.215.14", "10.0.0.7"])
    outcome = await delivery.send(_settings(), "https://hooks.example.com/in", EVENT, 1)
    assert not outcome.ok and outcome.permanent and seen == []
    assert outcome.error is not None and "private address 10.0.0.7" in outcome.error


async def test_redirects_are_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake_network(monkeypatch, ["93.184.215.14"], status=302)
    outcome = await delivery.send(_settings(), "https://hooks.example.com/in", EVENT, 1)
    assert outcome == delivery.Outcome(False, "HTTP 302") and len(seen) == 1


async def test_with_private_targets_allowed_the_url_is_used_as_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _fake_network(monkeypatch, ["127.0.0.1"])
    settings = _settings(ALLOW_PRIVATE_TARGETS=True)
    assert (await delivery.send(settings, "http://localhost:9000/in", EVENT, 1)).ok
    assert seen[0].url.host == "localhost" and "sni_hostname" not in seen[0].extensions
