"""The context and search benchmarks in a tiny configuration, on a scratch database of the suite's
PostgreSQL (they drop and rebuild its search indexes, so not the shared one).

Checks that both parts seed, measure, explain and report with zero errors (every get_context
answer matches SQL, stored token counts match tiktoken, stored vectors match the fake vendor's);
it asserts no timing at all, since the machines running the suite are shared and noisy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.context_search import SMOKE
from bench.corpus import QUERY_KINDS, STOPWORD_KIND
from bench.seed import SEARCH_INDEXES

LATENCY_KEYS = {"requests", "ok", "errors", "p50_ms", "p95_ms", "p99_ms"}
INDEXES = set(SEARCH_INDEXES)


def _no_errors(part: dict[str, object]) -> None:
    assert part["errors"] == 0, json.dumps(part, indent=1, default=str)[:4000]


def test_context_and_search_benchmarks_smoke_run(
    scratch_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    argv = ["--preset", "smoke", "--database-url", scratch_url, "--json", str(out)]
    assert main(["--only", "context", *argv]) == 0
    context = json.loads(out.read_text())["context"]
    assert main(["--only", "search", *argv]) == 0
    written = json.loads(out.read_text())
    search = written["search"]
    printed = capsys.readouterr().out
    assert written["storage"] is None and written["deriver"] is None and written["errors"] == 0

    _no_errors(context)
    assert "get_context benchmark" in printed
    assert context["meta"]["preset"] == "smoke"
    assert context["seeding"]["problems"] == []
    assert context["seeding"]["token_counts_checked"] == sum(SMOKE.context_sessions)
    assert {b["name"] for b in context["seeding"]["index_builds"]} == INDEXES
    cases = context["cases"]
    assert [(c["session_messages"], c["tokens"]) for c in cases] == [
        (n, t) for n in SMOKE.context_sessions for t in SMOKE.context_tokens
    ]
    for case in [*cases, context["floor"]]:
        assert set(case) >= LATENCY_KEYS
        assert case["ok"] == SMOKE.context_requests and case["complete"] is True
    for case in cases:
        assert case["verified"] is True
        assert case["returned_messages"] == case["expected_messages"] > 0
        assert case["returned_tokens"] <= case["tokens"]
    assert len(context["breakdown"]) == 2 * len(SMOKE.context_tokens)
    for b in context["breakdown"]:
        assert {"sql_ms", "service_ms", "serialise_ms", "statements"} <= set(b)
        assert [s["label"] for s in b["statements"]][:2] == ["summaries", "messages page 1"]

    _no_errors(search)
    assert "workspace search benchmark" in printed
    assert search["data"]["embedding_dimensions"] == SMOKE.embedding_dimensions
    assert search["data"]["large_scale"] is False
    (scale,) = search["scales"]
    assert scale["messages"] == SMOKE.search_scales[0]
    assert scale["seeding"]["problems"] == []
    assert {b["name"] for b in scale["seeding"]["index_builds"]} == INDEXES
    assert set(scale["modes"]) == {"full-text", "hybrid"}
    for mode in scale["modes"].values():
        assert set(mode) >= LATENCY_KEYS
        assert mode["ok"] == SMOKE.search_requests and mode["complete"] is True
        assert set(mode["kinds"]) == {*QUERY_KINDS, STOPWORD_KIND}
        assert mode["kinds"][STOPWORD_KIND]["ok"] == SMOKE.stopword_requests
    # hybrid always finds neighbours; the fake vendor answered every query's embedding
    assert scale["modes"]["hybrid"]["kinds"]["rare words"]["empty_results"] == 0
    assert [b["kind"] for b in scale["breakdown"]] == [
        *(f"{kind} (p{mark})" for kind in QUERY_KINDS for mark in (50, 95)),
        f"{STOPWORD_KIND} (p50)",
    ]
    for b in scale["breakdown"]:
        labels = [s["label"] for s in b["statements"]]
        assert "vector: HNSW" in labels and labels[0] == "has words"
        assert b["service_hybrid_ms"] > 0 and b["embedding_ms"] > 0
