"""The deriver benchmark in a tiny configuration against the suite's database.

It starts its own fake vendor (scripted LLM), an API with that LLM and the deriver processes, and
checks that every scenario runs and reports its figures with zero errors; it asserts no timing at
all, since the machines running the suite are shared and noisy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.config import DERIVER_SMOKE
from bench.cpu import OTHER

LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
TOKEN_KEYS = {
    "representation_calls",
    "messages_per_call",
    "recorded_prompt_per_message",
    "recorded_output_per_message",
    "o200k_prompt_per_message",
    "o200k_output_per_message",
    "o200k_prompt_shares",
}


def test_deriver_benchmark_smoke_run(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    argv = ["--only", "deriver", "--preset", "smoke", "--database-url", database_url]
    code = main([*argv, "--json", str(out)])
    printed = capsys.readouterr().out
    written = json.loads(out.read_text())
    assert written["storage"] is None
    results = written["deriver"]

    errors = [
        s
        for setup in results["setups"]
        for p in ("throughput", "latency")
        for s in setup[p]["error_samples"]
    ]
    assert results["errors"] == 0, errors
    assert written["errors"] == 0
    assert code == 0
    for heading in ("Honcho deriver benchmark", "(1) Throughput", "(2) Latency", "(3) Repr"):
        assert heading in printed
    assert "word counts" in printed  # the fake's usage is stated to be a proxy
    assert results["meta"]["preset"] == "smoke"
    assert [s["label"] for s in results["setups"]] == [s.label for s in DERIVER_SMOKE.setups]

    per_session = round(DERIVER_SMOKE.trickle_seconds / DERIVER_SMOKE.trickle_interval_s)
    for setup in results["setups"]:
        tp = setup["throughput"]
        assert tp["drained"] is True
        assert tp["written_messages"] == tp["planned_messages"] == DERIVER_SMOKE.messages
        assert tp["derived_messages"] == DERIVER_SMOKE.messages
        assert tp["failed_messages"] == 0
        assert tp["messages_per_s"] > 0
        assert tp["documents"] == DERIVER_SMOKE.messages  # one fact per message, all distinct
        assert {"derivers", "API", "fake vendor", "load generator", OTHER} <= set(tp["cpu_percent"])
        assert set(tp["tokens"]) == TOKEN_KEYS

        lat = setup["latency"]
        assert lat["messages"] == DERIVER_SMOKE.trickle_sessions * per_session
        assert lat["observed"] == lat["messages"] == lat["derived_messages"]
        assert lat["without_observation"] == 0
        assert set(lat["visible"]) == LATENCY_KEYS and lat["visible"]["p50_ms"] is not None
        assert set(lat["db_clock"]) == LATENCY_KEYS and lat["db_clock"]["p50_ms"] is not None
        assert set(lat["tokens"]) == TOKEN_KEYS

        for phase in (tp, lat):
            llm = phase["llm"]["deriver"]  # the representation task's llm_calls rows
            assert llm["errors"] == 0 and llm["messages"] == phase["derived_messages"]
            assert phase["tokens"]["recorded_prompt_per_message"] > 0
            extraction = phase["vendor"]["chat"]["extraction"]
            assert extraction["new_messages"] == phase["derived_messages"]
            if phase["vendor"]["tokenizer"] is not None:
                assert phase["tokens"]["o200k_prompt_per_message"] > 0
                shares = phase["tokens"]["o200k_prompt_shares"]
                assert shares["new_messages"] > 0 and abs(sum(shares.values()) - 1) < 0.01
