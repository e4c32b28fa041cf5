"""Runs every scenario in order against one server and gathers the results."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import storage
from bench.config import BenchConfig
from bench.mixed import mixed
from bench.storage import Log


def _stderr(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


def count_errors(results: dict[str, Any]) -> int:
    scenarios = results["scenarios"]
    return int(
        results["setup_errors"]
        + scenarios["ingestion"]["errors"]
        + scenarios["list_messages"]["errors"]
        + scenarios["get_or_create"]["errors"]
        + scenarios["mixed"]["errors"]
    )


async def run_storage_benchmark(
    base_url: str, cfg: BenchConfig, *, server: str = "", log: Log = _stderr
) -> dict[str, Any]:
    """All four scenarios against the server at `base_url`, in one fresh workspace."""
    started = time.perf_counter()
    ds = await storage.setup(base_url, cfg, log)
    ingestion = await storage.ingestion(base_url, ds, cfg, log)
    seed = await storage.seed_big_session(base_url, ds, cfg, log)
    list_messages = await storage.list_messages(base_url, ds, cfg, log)
    get_or_create = await storage.get_or_create(base_url, ds, cfg, log)
    mixed_load = await mixed(base_url, ds, cfg, log)
    results: dict[str, Any] = {
        "meta": {
            "preset": cfg.name,
            "base_url": base_url,
            "server": server or f"already running at {base_url}",
            "workspace": ds.workspace,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": cfg.as_dict(),
        },
        "setup_errors": seed.errors,
        "setup_error_samples": seed.error_samples,
        "scenarios": {
            "ingestion": ingestion,
            "list_messages": list_messages,
            "get_or_create": get_or_create,
            "mixed": mixed_load,
        },
    }
    results["errors"] = count_errors(results)
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    return results
