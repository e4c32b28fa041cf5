"""The deriver part of `./run bench`: the fake vendor (scripted LLM, in its own process), an API
whose settings have that LLM (so message writes enqueue derivation work), and for each set-up its
`honcho deriver` processes, which run the throughput and then the latency scenario."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

from bench import deriver
from bench.config import DeriverBenchConfig, DeriverSetup
from bench.cpu import CpuMeter, postmaster_pid
from bench.deriver import Context, Log
from bench.fake_vendor import VendorProcess
from bench.harness import BenchServer, api_process, deriver_processes, embedded_database, tail

EMBEDDING_MODEL = "text-embedding-3-small"
LLM_MODEL = "scripted-model"


def _stderr(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


def llm_env(openai_base_url: str) -> dict[str, str]:
    """The API's and the derivers' LLM settings: every component (representation, summaries,
    peer cards) on the fake's OpenAI-compatible endpoint (the `custom` provider), embeddings too.
    Everything else is the default configuration."""
    return {
        "LLM_OPENAI_COMPATIBLE_BASE_URL": openai_base_url,
        "LLM_OPENAI_COMPATIBLE_API_KEY": "bench-key",
        "LLM_OPENAI_COMPATIBLE_MODEL": LLM_MODEL,
        "LLM_EMBEDDING_PROVIDER": "custom",
        "LLM_EMBEDDING_MODEL": EMBEDDING_MODEL,
    }


def deriver_defaults() -> str:
    """The default deriver settings the set-ups run with (only DERIVER_WORKERS varies)."""
    from src.config import DeriverSettings, PeerCardSettings, SummarySettings

    def default(cls: Any, name: str) -> Any:
        return cls.model_fields[name].default

    return (
        f"defaults: batches up to {default(DeriverSettings, 'REPRESENTATION_BATCH_MAX_TOKENS'):,} "
        f"tokens, history up to {default(DeriverSettings, 'HISTORY_MAX_TOKENS'):,}, job polling "
        f"fallback {default(DeriverSettings, 'POLLING_SLEEP_INTERVAL_SECONDS'):g} s, dedupe "
        f"{'on' if default(DeriverSettings, 'DEDUPLICATE') else 'off'}, peer cards "
        f"{'on' if default(PeerCardSettings, 'ENABLED') else 'off'}, summaries every "
        f"{default(SummarySettings, 'MESSAGES_PER_SHORT_SUMMARY')} / "
        f"{default(SummarySettings, 'MESSAGES_PER_LONG_SUMMARY')} messages"
    )


def libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def count_errors(results: dict[str, Any]) -> int:
    total = int(results.get("setup_errors", 0))
    for setup in results["setups"]:
        total += int(setup["throughput"]["errors"]) + int(setup["latency"]["errors"])
    return total


async def _meter(conninfo: str, server: BenchServer, vendor: VendorProcess) -> CpuMeter:
    meter = CpuMeter({"derivers": [], "API": [server.pid]})
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        postmaster = postmaster_pid(conn.info.backend_pid)
    if postmaster is not None:
        meter.groups["PostgreSQL"] = [postmaster]
    meter.groups["fake vendor"] = [vendor.pid]
    return meter


async def _run_setup(
    cfg: DeriverBenchConfig,
    setup: DeriverSetup,
    tag: str,
    ctx: Context,
    database_url: str,
    env: dict[str, str],
    log_dir: Path,
    deriver_logs: list[Path],
) -> dict[str, Any]:
    ctx.log(f"deriver set-up {setup.label}: starting {setup.processes} process(es)")
    extra = {**env, "DERIVER_WORKERS": str(setup.workers)}
    with deriver_processes(database_url, setup.processes, extra, log_dir, tag) as derivers:
        deriver_logs.extend(d.log_path for d in derivers)
        ctx.meter.groups["derivers"] = [d.pid for d in derivers]

        def broken() -> str | None:
            for d in derivers:
                if d.process.poll() is not None:
                    return f"{d.log_path.name}: exited with {d.process.returncode}"
            return None

        ctx = dataclasses.replace(ctx, broken=broken)
        warm_errors = await deriver.warm_up(ctx, tag)
        throughput = await deriver.throughput(ctx, tag)
        latency = await deriver.latency(ctx, tag)
    throughput["errors"] += warm_errors
    return {
        "label": setup.label,
        "processes": setup.processes,
        "workers_per_process": setup.workers,
        "throughput": throughput,
        "latency": latency,
    }


async def _run_setups(
    cfg: DeriverBenchConfig,
    database_url: str,
    server: BenchServer,
    vendor: VendorProcess,
    env: dict[str, str],
    log_dir: Path,
    deriver_logs: list[Path],
    log: Log,
) -> list[dict[str, Any]]:
    conninfo = libpq_url(database_url)
    meter = await _meter(conninfo, server, vendor)
    ctx = Context(cfg, server.base_url, conninfo, vendor, meter, log)
    run_tag = uuid.uuid4().hex[:8]
    return [
        await _run_setup(
            cfg, setup, f"{run_tag}-{i}", ctx, database_url, env, log_dir, deriver_logs
        )
        for i, setup in enumerate(cfg.setups)
    ]


def _print_failed_logs(paths: list[Path]) -> None:
    for path in paths:
        text = path.read_text(errors="replace") if path.exists() else ""
        if "ERROR" in text or "Traceback" in text:
            print(f"bench: last lines of {path.name}:\n{tail(path)}", file=sys.stderr)


def run_deriver_benchmark(
    cfg: DeriverBenchConfig,
    *,
    database_url: str | None = None,
    api_workers: int = 1,
    log: Log = _stderr,
) -> dict[str, Any]:
    """Everything the deriver part needs, started here and stopped afterwards: embedded
    PostgreSQL (unless `database_url`, already migrated, is given), the fake vendor, the API."""
    started = time.perf_counter()
    with ExitStack() as stack:
        if database_url is None:
            db = stack.enter_context(embedded_database())
            url, log_dir, db_description = db.url, db.workdir, db.description
        else:
            url, db_description = database_url, "PostgreSQL given by the caller"
            log_dir = Path(tempfile.mkdtemp(prefix="honcho-bench-deriver-"))
            stack.callback(shutil.rmtree, log_dir, True)
        vendor = stack.enter_context(VendorProcess(log_dir / "fake-vendor.log"))
        env = llm_env(vendor.openai_base_url)
        server = stack.enter_context(
            api_process(url, api_workers, log_dir / "api-deriver.log", env, what=", scripted LLM")
        )
        deriver_logs: list[Path] = []
        try:
            setups = asyncio.run(
                _run_setups(cfg, url, server, vendor, env, log_dir, deriver_logs, log)
            )
        except Exception:
            _print_failed_logs([*deriver_logs, server.log_path, vendor.log_path])
            raise
        results: dict[str, Any] = {
            "meta": {
                "preset": cfg.name,
                "server": f"{server.description} with the scripted LLM, {db_description}",
                "llm": f"custom provider (OpenAI-compatible fake vendor, own process), model "
                f"{LLM_MODEL}: scripted answers, at once",
                "embeddings": f"custom provider on the same fake, {EMBEDDING_MODEL}",
                "deriver": deriver_defaults(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "config": cfg.as_dict(),
            },
            "setups": setups,
        }
        results["errors"] = count_errors(results)
        if results["errors"]:
            _print_failed_logs([*deriver_logs, server.log_path, vendor.log_path])
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    return results
