"""`./run bench [--quick] [--api-workers N] [--base-url URL] [--json PATH]`

Without --base-url it starts an embedded PostgreSQL in a temporary directory and a `honcho api`
process on a free loopback port, and removes both afterwards. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.config import FULL, PRESETS, QUICK, BenchConfig
from bench.report import format_report, write_json
from bench.runner import run_storage_benchmark

_SHARED_TIKTOKEN = Path(__file__).resolve().parents[2] / "shared" / "tiktoken"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./run bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small smoke run (2,000 messages, 5 s of mixed load)"
    )
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default=None, help=argparse.SUPPRESS
    )  # `smoke` is for the test suite
    parser.add_argument(
        "--api-workers",
        type=int,
        default=1,
        metavar="N",
        help="API worker processes of the server started here (default 1)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="measure an already running server (auth disabled) instead",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the results as JSON to PATH",
    )
    return parser


def _config(args: argparse.Namespace) -> BenchConfig:
    if args.preset:
        return PRESETS[args.preset]
    return QUICK if args.quick else FULL


def _tiktoken_cache() -> None:
    """What `./run` does, for `python -m bench` started directly; the server inherits it."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ and _SHARED_TIKTOKEN.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(_SHARED_TIKTOKEN)


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run(args: argparse.Namespace) -> dict[str, Any]:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.api_workers < 1:
        print("bench: --api-workers must be at least 1", file=sys.stderr)
        return 2
    _tiktoken_cache()
    results = run(args)
    print(format_report(results), flush=True)
    if args.json:
        write_json(results, args.json)
        print(f"results written to {args.json}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
