"""Prometheus metrics: off by default; with METRICS_ENABLED the API counts requests by route
template (summed across worker processes), the queue gauges come from the database, and the
deriver exports its task and LLM metrics (and /health, /ready) on its own port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import _server_env
from tests.deploy.support import fresh_database
from tests.deriver.conftest import llm_env, send, wait_drained
from tests.deriver.scripted import ScriptedLLM
from tests.fakes.script import Reply
from tests.fakes.vendor import FakeVendor, start_fake_vendor
from tests.support import free_port, start_deriver, start_server, unique

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

PEERS_LIST = "/v2/workspaces/{workspace_id}/peers/list"


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


@pytest.fixture(scope="module")
def metrics_vendor() -> Iterator[FakeVendor]:
    vendor = start_fake_vendor()
    yield vendor
    vendor.stop()


def test_metrics_are_off_by_default(client: httpx.Client) -> None:
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.json() == {"detail": "Metrics are disabled"}


@pytest.mark.parametrize("workers", [1, 2])
def test_request_metrics_by_route_template(database_url: str, logs_dir: Path, workers: int) -> None:
    """After traffic, requests are counted per (method, route template, status), whichever worker
    served them; raw paths (which carry workspace names) never become labels."""
    env = _server_env(database_url, METRICS_ENABLED="true")
    server = start_server("api", env, logs_dir, extra_args=("--workers", str(workers)))
    try:
        # A new connection per request, so that with 2 workers both serve some of them.
        base = server.base_url
        workspace = unique("metrics")
        assert httpx.post(f"{base}/v2/workspaces", json={"id": workspace}).status_code == 200
        for _ in range(12):
            assert httpx.post(f"{base}/v2/workspaces/{workspace}/peers/list", json={}).is_success
        assert httpx.get(f"{base}/no/such/route").status_code == 404
        bad = httpx.post(f"{base}/v2/workspaces/{workspace}/peers/list", params={"size": 0})
        assert bad.status_code == 422
        for _ in range(3):  # several scrapes: with 2 workers, each may land on either
            samples = scrape(server.base_url + "/metrics")
            labels = {"method": "POST", "route": PEERS_LIST}
            assert value(samples, "honcho_http_requests_total", **labels, status="200") == 12
            assert value(samples, "honcho_http_requests_total", **labels, status="422") == 1
            assert value(samples, "honcho_http_request_duration_seconds_count", **labels) == 13
            assert (
                value(
                    samples,
                    "honcho_http_requests_total",
                    method="GET",
                    route="<unmatched>",
                    status="404",
                )
                == 1
            )
            # Several workers: one multiprocess registry (no per-process collectors).
            multiprocess = total(samples, "process_resident_memory_bytes") == 0
            assert multiprocess == (workers > 1)
            routes = {dict(ls).get("route", "") for (_, ls) in samples}
            assert not any(workspace in route for route in routes)
            for task_type in ("representation", "summary", "embed", "webhook"):
                key = ("honcho_queue_pending_items", frozenset({("task_type", task_type)}))
                assert key in samples
                assert ("honcho_queue_oldest_pending_age_seconds", key[1]) in samples
    finally:
        server.stop()


def test_deriver_exports_task_llm_and_queue_metrics(
    database_url: str, logs_dir: Path, metrics_vendor: FakeVendor
) -> None:
    """One batch fails (the provider answers 500 twice: the call and its retry), then succeeds:
    the deriver's own endpoint shows the task durations and the failure, LLM calls, tokens and
    errors by provider and model, and the queue; it also answers /health and /ready."""
    metrics_vendor.reset()
    metrics_vendor.on_chat(ScriptedLLM())
    metrics_vendor.queue(Reply.error(500), Reply.error(500))
    port = free_port()
    with fresh_database(database_url) as url:
        env = _server_env(
            url,
            **llm_env(metrics_vendor, METRICS_ENABLED="true", METRICS_DERIVER_PORT=str(port)),
        )
        api = start_server("api", env, logs_dir)
        worker = start_deriver(env, logs_dir)
        try:
            with httpx.Client(base_url=api.base_url, timeout=30) as http:
                ws = unique("mws")
                http.post("/v2/workspaces", json={"id": ws})
                send(http, ws, "s", ("alice", "I like green tea"))
                done = wait_drained(http, ws)
                assert done["completed_work_units"] == 1 and done["failed_work_units"] == 0
            exporter = f"http://127.0.0.1:{port}"
            samples = scrape(exporter + "/metrics")
            rep = {"task_type": "representation"}
            assert value(samples, "honcho_deriver_task_failures_total", **rep) == 1
            assert (
                value(samples, "honcho_deriver_task_duration_seconds_count", **rep, outcome="error")
                == 1
            )
            assert (
                value(samples, "honcho_deriver_task_duration_seconds_count", **rep, outcome="ok")
                == 1
            )
            model = {"component": "deriver", "provider": "custom", "model": "scripted-model"}
            assert value(samples, "honcho_llm_calls_total", **model, outcome="error") == 1
            assert value(samples, "honcho_llm_calls_total", **model, outcome="ok") == 1
            assert value(samples, "honcho_llm_errors_total", **model) == 1
            assert value(samples, "honcho_llm_tokens_total", **model, direction="input") > 0
            assert value(samples, "honcho_llm_tokens_total", **model, direction="output") > 0
            assert value(samples, "honcho_llm_call_duration_seconds_count", **model) == 2
            assert total(samples, "honcho_queue_pending_items") == 0
            assert total(samples, "process_resident_memory_bytes") > 0
            assert httpx.get(exporter + "/health").json() == {"status": "ok"}
            ready = httpx.get(exporter + "/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            assert httpx.get(exporter + "/nothing").status_code == 404
        finally:
            worker.stop()
            api.stop()
    metrics_vendor.reset()
