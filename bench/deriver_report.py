"""The deriver part's printed table: one column per deriver set-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.cpu import OTHER
from bench.fake_vendor import PROMPT_SECTIONS

_LABEL, _COL = 46, 20
Cell = Callable[[dict[str, Any]], str]
TASKS = ("representation", "embed", "summary")  # deriver_queue task types
CPU_GROUPS = ("derivers", "API", "PostgreSQL", "fake vendor", "load generator", OTHER)
SECTION_NAMES = {
    "system": "system prompt",
    "participants": "participants",
    "known_facts": "known facts",
    "summary": "summary",
    "history": "history",
    "new_messages": "new messages",
}


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _pair(a: str, b: str) -> str:
    return f"{a} / {b}"


def _ms_cell(figures: Callable[[dict[str, Any]], dict[str, Any]], a: str, b: str) -> Cell:
    """`a / b ms` of the figures `figures(setup)` picks."""

    def cell(s: dict[str, Any]) -> str:
        picked = figures(s)
        return f"{_ms(picked.get(a))} / {_ms(picked.get(b))} ms"

    return cell


def _row(label: str, cells: list[str]) -> str:
    return (f"  {label:<{_LABEL}}" + "".join(f"{c:>{_COL}}" for c in cells)).rstrip()


def _rows(setups: list[dict[str, Any]], rows: list[tuple[str, Cell]]) -> list[str]:
    return [_row(label, [cell(s) for s in setups]) for label, cell in rows]


def _calls(phase: dict[str, Any]) -> str:
    llm = phase["llm"]
    return " / ".join(
        str(llm.get(c, {}).get("calls", 0)) for c in ("deriver", "peer_card", "summary")
    )


def _done(phase: dict[str, Any]) -> str:
    queue = phase["queue"]
    return " / ".join(f"{queue.get(task, {}).get('done', 0):,}" for task in TASKS)


def _embeddings(phase: dict[str, Any]) -> str:
    asked = phase["vendor"]["embeddings"]
    return _pair(f"{asked['requests']:,}", f"{asked['texts']:,}")


def _cpu_rows(phase: str, setups: list[dict[str, Any]]) -> list[str]:
    groups = [g for g in CPU_GROUPS if any(g in s[phase]["cpu_percent"] for s in setups)]
    lines = []
    for i, group in enumerate(groups):
        label = ("CPU, % of one core: " if i == 0 else " " * 20) + group
        lines.append(_row(label, [_n(s[phase]["cpu_percent"].get(group), 0) + "%" for s in setups]))
    return lines


def _tokens(key: str, digits: int = 0) -> Cell:
    def cell(s: dict[str, Any]) -> str:
        return _pair(
            _n(s["throughput"]["tokens"][key], digits), _n(s["latency"]["tokens"][key], digits)
        )

    return cell


def _share(section: str) -> Cell:
    def pct(phase: dict[str, Any]) -> str:
        shares = phase["tokens"]["o200k_prompt_shares"]
        return f"{100 * shares[section]:.0f}%" if section in shares else "-"

    return lambda s: _pair(pct(s["throughput"]), pct(s["latency"]))


def format_deriver_report(results: dict[str, Any]) -> str:
    meta, setups = results["meta"], results["setups"]
    cfg = meta["config"]
    if not setups:
        return "\nHoncho deriver benchmark: no set-up ran\n"
    tp0, lat0 = setups[0]["throughput"], setups[0]["latency"]
    tokenizer = tp0["vendor"].get("tokenizer")
    lines = [
        "",
        f"Honcho deriver benchmark  (preset {meta['preset']}, {meta['cpus']} CPUs, "
        f"{meta['total_seconds']} s)",
        f"server: {meta['server']}",
        f"LLM: {meta['llm']}",
        f"embeddings: {meta['embeddings']}",
        f"deriver: {meta['deriver']}",
        "",
        _row("", [s["label"] for s in setups]),
        f"(1) Throughput: {tp0['planned_messages']:,} messages over {cfg['sessions']} sessions in "
        f"batches of {cfg['batch_min']}-{cfg['batch_max']}, {cfg['clients']} clients writing",
        "    at once; timed from the first write until the deriver status reports drained",
    ]
    lines += _rows(
        setups,
        [
            ("messages derived / s", lambda s: f"{_n(s['throughput']['messages_per_s'], 1)}"),
            (
                "derived / written",
                lambda s: _pair(
                    f"{s['throughput']['derived_messages']:,}",
                    f"{s['throughput']['written_messages']:,}",
                ),
            ),
            (
                "all written after / drained after",
                lambda s: _pair(
                    f"{s['throughput']['write_seconds']:.1f} s",
                    f"{s['throughput']['seconds']:.1f} s",
                ),
            ),
            (
                "messages per representation call",
                lambda s: _n(s["throughput"]["tokens"]["messages_per_call"], 1),
            ),
            ("items done: " + " / ".join(TASKS), lambda s: _done(s["throughput"])),
            ("LLM calls: representation / card / summary", lambda s: _calls(s["throughput"])),
            ("embedding requests / texts", lambda s: _embeddings(s["throughput"])),
            (
                "representation call p50 / p95 (deriver)",
                _ms_cell(
                    lambda s: s["throughput"]["llm"].get("deriver", {}),
                    "duration_p50_ms",
                    "duration_p95_ms",
                ),
            ),
        ],
    )
    lines += _cpu_rows("throughput", setups)
    lines += [
        f"(2) Latency: {lat0['sessions']} sessions each writing one message every "
        f"{lat0['interval_s']:g} s for {cfg['trickle_seconds']:g} s "
        f"({lat0['messages']} messages, {lat0['arrival_per_s']:g}/s)",
        "    from the write's response until an observation citing the message is visible",
        f"    (the harness polls the documents table every {lat0['observation_poll_ms']:g} ms)",
    ]
    lines += _rows(
        setups,
        [
            (
                "added latency p50 / p95",
                _ms_cell(lambda s: s["latency"]["visible"], "p50_ms", "p95_ms"),
            ),
            ("  p99 / max", _ms_cell(lambda s: s["latency"]["visible"], "p99_ms", "max_ms")),
            (
                "  DB clock, message -> observation row p50/p95",
                _ms_cell(lambda s: s["latency"]["db_clock"], "p50_ms", "p95_ms"),
            ),
            (
                "messages observed / written",
                lambda s: _pair(f"{s['latency']['observed']}", f"{s['latency']['messages']}"),
            ),
            (
                "messages per representation call",
                lambda s: _n(s["latency"]["tokens"]["messages_per_call"], 1),
            ),
            ("write p50 / p95", _ms_cell(lambda s: s["latency"], "write_p50_ms", "write_p95_ms")),
        ],
    )
    lines += _cpu_rows("latency", setups)
    lines += [
        "(3) Representation task, per derived message: (1) backlog / (2) trickle",
    ]
    token_rows: list[tuple[str, Cell]] = [
        ("prompt tokens, llm_calls (fake: words)", _tokens("recorded_prompt_per_message")),
        ("output tokens, llm_calls (fake: words)", _tokens("recorded_output_per_message")),
    ]
    if tokenizer:
        token_rows += [
            (f"prompt tokens, {tokenizer} of the prompts", _tokens("o200k_prompt_per_message")),
            (f"output tokens, {tokenizer} of the replies", _tokens("o200k_output_per_message")),
        ]
        token_rows += [
            (("prompt share: " if i == 0 else " " * 14) + SECTION_NAMES[name], _share(name))
            for i, name in enumerate(("system", *PROMPT_SECTIONS))
        ]
    lines += _rows(setups, token_rows)
    lines += ["", f"Errors: {results['errors']}"]
    for s in setups:
        for phase in ("throughput", "latency"):
            for sample in s[phase]["error_samples"]:
                lines.append(f"  [{s['label']}, {phase}] {sample}")
    lines += [
        "Notes: the fake vendor reports usage as word counts, so llm_calls' tokens are a proxy;",
        f"  the {tokenizer or 'o200k_base'} figures count the text of the system and user turns "
        "(no chat-format overhead,",
        "  no JSON schema). The scripted model restates each message as one fact, so its "
        "output is longer than",
        "  a real model's. Latency: the poll that first sees the observation (on average half "
        "a poll late);",
        "  the DB clock row compares the rows' created_at (transaction start times).",
    ]
    if not tokenizer:
        lines.append("Note: tiktoken's o200k_base was unavailable; set TIKTOKEN_CACHE_DIR.")
    if meta["preset"] != "full":
        lines.append("Note: not the full configuration.")
    return "\n".join(lines) + "\n"
