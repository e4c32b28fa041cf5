"""Webhook deliveries by real deriver processes to local receivers: signed bodies, retries with
backoff, recorded failures, queue.empty after derivation, refusal at delivery time, no secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import httpx
import psycopg

from tests.deriver.conftest import send
from tests.deriver.scripted import ScriptedLLM
from tests.webhooks.conftest import SECRET, HookDeriver
from tests.webhooks.receiver import Delivery, receiver


def _register(api: httpx.Client, ws: str, url: str) -> str:
    r = api.post(f"/v2/workspaces/{ws}/webhooks", json={"url": url})
    assert r.status_code == 200, r.text
    endpoint_id: str = r.json()["id"]
    return endpoint_id


def _emit_test(api: httpx.Client, ws: str) -> None:
    r = api.get(f"/v2/workspaces/{ws}/webhooks/test")
    assert r.status_code == 200 and r.json() is None


def _event(delivery: Delivery) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(delivery.body)
    return event


def _deliveries(hook_db: str, ws: str) -> list[tuple[str, str, int, str | None]]:
    """(endpoint, status, attempts, error) of every webhook queue item of the workspace."""
    with psycopg.connect(hook_db.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT endpoint_id, status, attempts, error FROM deriver_queue "
            "WHERE workspace_name = %s AND task_type = 'webhook' ORDER BY id",
            (ws,),
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _wait_settled(
    hook_db: str, ws: str, timeout: float = 30.0
) -> list[tuple[str, str, int, str | None]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = _deliveries(hook_db, ws)
        if rows and all(status != "pending" for _, status, _, _ in rows):
            return rows
        assert time.monotonic() < deadline, f"deliveries still pending: {rows}"
        time.sleep(0.1)


def test_test_event_is_signed_and_sent_to_every_endpoint(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, hook_db: str
) -> None:
    """Each endpoint gets `{"type", "data", "timestamp"}` as compact JSON with sorted keys, and
    X-Honcho-Signature = hex HMAC-SHA256 of exactly those bytes with WEBHOOK_SECRET."""
    with receiver() as rx:
        _register(api, ws, rx.url("/a"))
        _register(api, ws, rx.url("/b"))
        hook_deriver()
        _emit_test(api, ws)
        got = rx.wait_for(2)
        assert sorted(d.path for d in got) == ["/a", "/b"]
        for delivery in got:
            event = _event(delivery)
            assert event["type"] == "test.event" and event["data"] == {"workspace_id": ws}
            assert event["timestamp"].endswith("Z")
            datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
            compact = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
            assert delivery.body == compact
            expected = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(delivery.headers["x-honcho-signature"], expected)
            assert delivery.headers["content-type"] == "application/json"
    assert [s for _, s, _, _ in _wait_settled(hook_db, ws)] == ["done", "done"]


def test_a_failed_delivery_is_retried_with_the_same_signed_body(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, hook_db: str
) -> None:
    """Two 500s, then a 200: three attempts with identical bytes and signature; the delivery ends
    done; the derivation counts of the status never included it."""
    with receiver() as rx:
        rx.statuses = [500, 500]
        _register(api, ws, rx.url())
        hook_deriver()
        _emit_test(api, ws)
        got = rx.wait_for(3)
        assert [d.status for d in got] == [500, 500, 200]
        assert len({d.body for d in got}) == 1
        assert len({d.headers["x-honcho-signature"] for d in got}) == 1
    ((_, status, attempts, _),) = _wait_settled(hook_db, ws)
    assert (status, attempts) == ("done", 2)
    body = api.get(f"/v2/workspaces/{ws}/deriver/status").json()
    assert body["total_work_units"] == 0 and body["recent_failures"] == []


def test_a_delivery_that_keeps_failing_is_recorded_as_failed(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, hook_db: str
) -> None:
    """After WEBHOOK_MAX_ATTEMPTS (3 here) it stops, and the failure shows in the deriver status."""
    with receiver() as rx:
        rx.statuses = [500] * 10
        _register(api, ws, rx.url())
        hook_deriver()
        _emit_test(api, ws)
        ((_, status, attempts, error),) = _wait_settled(hook_db, ws)
        assert (status, attempts, error) == ("failed", 3, "HTTP 500")
        time.sleep(1.0)  # longer than the backoff: nothing more is sent
        assert len(rx.deliveries) == 3
    body = api.get(f"/v2/workspaces/{ws}/deriver/status").json()
    assert body["pending_work_units"] == 0
    failure = body["recent_failures"][0]
    assert failure["task_type"] == "webhook" and failure["session_id"] is None
    assert failure["error"] == "HTTP 500" and failure["attempts"] == 3


def test_queue_empty_after_a_session_is_derived(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, llm: ScriptedLLM
) -> None:
    """When a session's representation work drains, every endpoint gets `queue.empty`."""
    with receiver() as rx:
        _register(api, ws, rx.url())
        hook_deriver()
        send(api, ws, "chat", ("alice", "I moved to Lisbon"), ("bob", "Nice, I live in Porto"))
        got = rx.wait_for(1)
        assert got, "no queue.empty delivery"
        events = [_event(d) for d in got]
        assert events[0]["type"] == "queue.empty"
        assert events[0]["data"] == {
            "workspace_id": ws,
            "queue_type": "representation",
            "session_id": "chat",
            "observer": None,
            "observed": None,
        }
        # By then the session's observations are stored.
        listed = api.post(
            f"/v2/workspaces/{ws}/observations/list",
            json={"filters": {"observer": "alice", "observed": "alice"}},
        ).json()
        assert [o["content"] for o in listed["items"]] == ["alice said: I moved to Lisbon"]


def test_private_targets_are_refused_at_delivery_too(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, hook_db: str
) -> None:
    """DNS can change after registration: a deriver that does not allow private targets checks
    the resolved addresses again and sends nothing to loopback, by address or by name."""
    with receiver() as rx:
        by_address = _register(api, ws, rx.url("/ip"))
        by_name = _register(api, ws, rx.url("/name", host="localhost"))
        worker = hook_deriver(WEBHOOK_ALLOW_PRIVATE_TARGETS="false")
        _emit_test(api, ws)
        rows = {endpoint: rest for endpoint, *rest in _wait_settled(hook_db, ws)}
        time.sleep(0.5)
        assert rx.deliveries == []
    for endpoint in (by_address, by_name):
        status, attempts, error = rows[endpoint]
        assert (status, attempts) == ("failed", 1)  # refused at once: retrying cannot help
        assert error is not None and error.startswith("not sent:") and "loopback" in error
    assert "'localhost' resolves to loopback address" in str(rows[by_name][2])
    assert "not sent" in worker.log()


def test_without_a_secret_nothing_is_sent(
    api: httpx.Client, ws: str, hook_deriver: HookDeriver, hook_db: str
) -> None:
    with receiver() as rx:
        _register(api, ws, rx.url())
        worker = hook_deriver(WEBHOOK_SECRET="")
        _emit_test(api, ws)
        ((_, status, _, error),) = _wait_settled(hook_db, ws)
        assert rx.deliveries == []
    assert status == "failed" and error == "not sent: WEBHOOK_SECRET is not set"
    assert "WEBHOOK_SECRET is not set" in worker.log()


def test_deleting_an_endpoint_drops_its_queued_deliveries(
    api: httpx.Client, ws: str, hook_db: str
) -> None:
    """With no deriver running, queued deliveries wait; deleting the endpoint removes them."""
    endpoint = _register(api, ws, "http://127.0.0.1:9/never")
    _emit_test(api, ws)
    _emit_test(api, ws)
    assert [(e, s) for e, s, _, _ in _deliveries(hook_db, ws)] == [(endpoint, "pending")] * 2
    assert api.delete(f"/v2/workspaces/{ws}/webhooks/{endpoint}").status_code == 200
    assert _deliveries(hook_db, ws) == []
