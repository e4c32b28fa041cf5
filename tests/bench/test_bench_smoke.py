"""The benchmark's scenarios in a tiny configuration against the suite's API server.

Checks that every scenario runs and reports its figures with zero failed requests; it asserts no
timing at all, since the machines running the suite are shared and noisy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.config import SMOKE
from tests.support import LiveServer

LATENCY_KEYS = {"requests", "ok", "errors", "p50_ms", "p95_ms", "p99_ms"}


def test_benchmark_smoke_run(
    api_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    code = main(["--base-url", api_server.base_url, "--preset", "smoke", "--json", str(out)])
    printed = capsys.readouterr().out
    written = json.loads(out.read_text())
    assert written["deriver"] is None  # --base-url: the storage part only
    results = written["storage"]

    assert results["errors"] == 0, results
    assert written["errors"] == 0
    assert code == 0
    for heading in ("Batch ingestion", "List messages", "Get-or-create", "Mixed read/write"):
        assert heading in printed
    assert results["meta"]["preset"] == "smoke"
    sc = results["scenarios"]
    assert set(sc) == {"ingestion", "list_messages", "get_or_create", "mixed"}

    ingestion = sc["ingestion"]
    assert ingestion["messages"] == SMOKE.ingest_messages
    assert ingestion["complete"] is True
    assert ingestion["messages_per_s"] > 0
    assert {"batch_p50_ms", "batch_p95_ms", "seconds", "errors"} <= set(ingestion)

    listing = sc["list_messages"]
    assert set(listing) >= LATENCY_KEYS
    assert listing["session_messages"] == SMOKE.list_session_messages
    assert listing["ok"] == SMOKE.list_requests
    assert set(listing["variants"]) == {
        "latest page",
        "random page",
        "filter peer_id",
        "filter metadata",
    }

    goc = sc["get_or_create"]["variants"]
    assert set(goc) == {"peer existing", "peer new", "session existing", "session new"}
    for figures in goc.values():
        assert set(figures) >= LATENCY_KEYS
        assert figures["ok"] == SMOKE.goc_requests

    mixed = sc["mixed"]
    assert set(mixed) >= LATENCY_KEYS
    assert {"requests_per_s", "clients", "seconds", "operations"} <= set(mixed)
    assert mixed["clients"] == SMOKE.mixed_clients
    assert mixed["ok"] > 0
    assert mixed["errors"] == 0
