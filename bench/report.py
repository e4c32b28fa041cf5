"""The printed table, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.config import REFERENCE, Reference
from bench.mixed import MIX

_LABEL, _OURS, _REF, _TARGET = 40, 20, 17, 17


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ms(*values: float | None) -> str:
    digits = 1 if max((v for v in values if v is not None), default=0.0) < 100 else 0
    return " / ".join(_n(v, digits) for v in values) + " ms"


def _row(label: str, ours: str, reference: str = "", target: str = "", note: str = "") -> str:
    line = f"  {label:<{_LABEL}}{ours:>{_OURS}}{reference:>{_REF}}{target:>{_TARGET}}"
    return (line + f"   {note}" if note else line).rstrip()


def _verdict(ours: float, reference: float, target: float) -> str:
    ratio = ours / reference
    return f"{ratio:.1f}x ref, " + ("target met" if ours >= target else "below target")


def _errors(result: dict[str, Any]) -> str:
    return f"{result['errors']} of {result['requests']}" if "requests" in result else "-"


def format_report(results: dict[str, Any], ref: Reference = REFERENCE) -> str:
    meta, sc = results["meta"], results["scenarios"]
    ing, lst, goc, mix = sc["ingestion"], sc["list_messages"], sc["get_or_create"], sc["mixed"]
    lines = [
        "",
        f"Honcho storage benchmark  (preset {meta['preset']}, {meta['cpus']} CPUs, "
        f"{meta['total_seconds']} s)",
        f"server: {meta['server']}",
        "",
        f"  {'':<{_LABEL}}{'ours':>{_OURS}}{'reference':>{_REF}}{'target':>{_TARGET}}",
        f"(1) Batch ingestion: {ing['planned_messages']:,} messages in batches of "
        f"{ing['batch_size']}, {ing['clients']} clients, {ing['sessions']} sessions",
        _row(
            "throughput",
            f"{_n(ing['messages_per_s'])} msg/s",
            f"{_n(ref.ingest_msgs_per_s)} msg/s",
            f">= {_n(ref.ingest_target)} msg/s",
            _verdict(ing["messages_per_s"], ref.ingest_msgs_per_s, ref.ingest_target),
        ),
        _row("batch latency p50 / p95", _ms(ing["batch_p50_ms"], ing["batch_p95_ms"])),
        _row("messages stored / seconds", f"{ing['messages']:,} / {ing['seconds']:.1f} s"),
        _row("load generator CPU", f"{ing['client_cpu_percent']:.0f}% of a core"),
        f"(2) List messages: page of {lst['page_size']} on a session of "
        f"{lst['session_messages']:,} messages, {lst['requests']} sequential requests",
        _row("all  p50 / p95", _ms(lst["p50_ms"], lst["p95_ms"])),
    ]
    for name, v in lst["variants"].items():
        lines.append(_row(f"  {name}  p50 / p95", _ms(v["p50_ms"], v["p95_ms"])))
    per_kind = next(iter(goc["variants"].values()))["requests"]
    lines.append(f"(3) Get-or-create, {per_kind} sequential requests each")
    for name, v in goc["variants"].items():
        lines.append(_row(f"{name}  p50 / p95", _ms(v["p50_ms"], v["p95_ms"])))
    shares = [f"{share:.0%} {op}" for op, share in MIX]
    lines += [
        f"(4) Mixed read/write: {mix['clients']} clients for {mix['seconds']:.1f} s",
        f"    ({', '.join(shares[:3])},",
        f"     {', '.join(shares[3:])})",
        _row(
            "throughput",
            f"{_n(mix['requests_per_s'])} req/s",
            f"{_n(ref.mixed_rps)} req/s",
            f">= {_n(ref.mixed_target)} req/s",
            _verdict(mix["requests_per_s"], ref.mixed_rps, ref.mixed_target),
        ),
        _row(
            "latency p50 / p95 / p99",
            _ms(mix["p50_ms"], mix["p95_ms"], mix["p99_ms"]),
            f"p95 > {_n(ref.mixed_p95_ms)} ms",
        ),
        _row("errors", _errors(mix)),
        _row("load generator CPU", f"{mix['client_cpu_percent']:.0f}% of a core"),
    ]
    for op, v in mix["operations"].items():
        lines.append(_row(f"  {op} ({v['ok']:,})  p50 / p95", _ms(v["p50_ms"], v["p95_ms"])))
    lines += ["", f"Errors: {results['errors']}"]
    for sample in _error_samples(results):
        lines.append(f"  {sample}")
    if meta["preset"] != "full":
        lines.append(
            "Note: not the full configuration; the reference figures are for the full one."
        )
    if not ing["complete"]:
        lines.append("Note: ingestion hit the scenario time limit before storing every message.")
    return "\n".join(lines) + "\n"


def _error_samples(results: dict[str, Any]) -> list[str]:
    sc = results["scenarios"]
    samples = list(results.get("setup_error_samples", []))
    samples += sc["ingestion"]["error_samples"]
    samples += sc["list_messages"]["error_samples"]
    samples += sc["get_or_create"]["error_samples"]
    samples += sc["mixed"]["error_samples"]
    return samples[:10]


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, allow_nan=False, default=str) + "\n")
