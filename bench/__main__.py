"""`./run bench [--quick] [--only storage|deriver|context|search] [--scale large] [--api-workers N]
[--base-url URL] [--json PATH]`

Four parts, each on its own embedded PostgreSQL in a temporary directory (removed afterwards):
  storage  a `honcho api` process on a free loopback port, driven over HTTP
  deriver  the fake LLM vendor (scripted answers, at once) in its own process, an API configured
           with it, and 1 then 2 `honcho deriver` processes, then 1 process with 4 workers
  context  get_context latency on sessions of 1k, 10k, 100k messages (seeded with SQL)
  search   workspace search latency at 100k messages (1M with --scale large), full-text and hybrid
--base-url measures the storage part of an already running server (auth disabled) instead.
Exits 1 if anything failed: a request, a queue item, an LLM call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import context_search
from bench.config import (
    DERIVER_FULL,
    DERIVER_PRESETS,
    DERIVER_QUICK,
    FULL,
    PRESETS,
    QUICK,
    BenchConfig,
    DeriverBenchConfig,
)
from bench.report import format_report, write_json
from bench.runner import run_storage_benchmark

_SHARED_TIKTOKEN = Path(__file__).resolve().parents[2] / "shared" / "tiktoken"
PARTS = ("storage", "deriver", *context_search.PARTS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./run bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small smoke run (storage: 2,000 messages, 5 s of mixed load; deriver: 600 "
        "messages, a 6 s trickle)",
    )
    parser.add_argument(
        "--only", choices=PARTS, default=None, help="run one part only (default: all)"
    )
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default=None, help=argparse.SUPPRESS
    )  # `smoke` is for the test suite
    parser.add_argument(
        "--api-workers",
        type=int,
        default=1,
        metavar="N",
        help="API worker processes of the servers started here (default 1)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="measure the storage part of an already running server (auth disabled) instead",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="run the deriver part on this migrated database (DB_CONNECTION_URI form) instead "
        "of an embedded one (context, search: a scratch database, filled and re-indexed)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the results as JSON to PATH ({'storage': ..., 'deriver': ...})",
    )
    context_search.add_arguments(parser)
    return parser


def _config(args: argparse.Namespace) -> BenchConfig:
    if args.preset:
        return PRESETS[args.preset]
    return QUICK if args.quick else FULL


def _deriver_config(args: argparse.Namespace) -> DeriverBenchConfig:
    if args.preset:
        return DERIVER_PRESETS[args.preset]
    return DERIVER_QUICK if args.quick else DERIVER_FULL


def _parts(args: argparse.Namespace) -> tuple[str, ...]:
    if args.only:
        return (args.only,)
    return ("storage",) if args.base_url else PARTS


def _tiktoken_cache() -> None:
    """What `./run` does, for `python -m bench` started directly; the servers inherit it."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ and _SHARED_TIKTOKEN.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(_SHARED_TIKTOKEN)


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_storage(args: argparse.Namespace) -> dict[str, Any]:
    cfg = _config(args)
    if args.base_url:
        base_url = args.base_url.rstrip("/")
        return asyncio.run(run_storage_benchmark(base_url, cfg))
    from bench.harness import local_server

    with local_server(args.api_workers) as server:
        results = asyncio.run(
            run_storage_benchmark(server.base_url, cfg, server=server.description)
        )
        if results["errors"]:
            print(
                f"bench: last lines of the server log:\n{_tail(server.log_path)}", file=sys.stderr
            )
        return results


def run_deriver(args: argparse.Namespace) -> dict[str, Any]:
    from bench.deriver_runner import run_deriver_benchmark

    return run_deriver_benchmark(
        _deriver_config(args), database_url=args.database_url, api_workers=args.api_workers
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.api_workers < 1:
        print("bench: --api-workers must be at least 1", file=sys.stderr)
        return 2
    if args.base_url and args.only not in (None, "storage"):
        print("bench: --base-url measures the storage part only", file=sys.stderr)
        return 2
    _tiktoken_cache()
    results: dict[str, Any] = dict.fromkeys(PARTS)
    errors = 0
    for part in _parts(args):
        if part == "storage":
            results["storage"] = run_storage(args)
            print(format_report(results["storage"]), flush=True)
            errors += results["storage"]["errors"]
        elif part in context_search.PARTS:
            results[part] = context_search.run_part(part, args)
            print(context_search.format_part(part, results[part]), flush=True)
            errors += results[part]["errors"]
        else:
            from bench.deriver_report import format_deriver_report

            results["deriver"] = run_deriver(args)
            print(format_deriver_report(results["deriver"]), flush=True)
            errors += results["deriver"]["errors"]
    results["errors"] = errors
    if args.json:
        write_json(results, args.json)
        print(f"results written to {args.json}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
