"""The context and search parts' printed tables."""

from __future__ import annotations

import statistics
from typing import Any

from bench.context_search import LARGE_SCALE, REFERENCE, Reference, count_label
from bench.corpus import QUERY_KINDS, STOPWORD_KIND

_LABEL, _OURS, _EXTRA, _REF, _TARGET = 36, 24, 10, 16, 14


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _v(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ms(*values: float | None) -> str:
    return " / ".join(_v(v) for v in values) + " ms"


def _row(
    label: str, ours: str, extra: str = "", reference: str = "", target: str = "", note: str = ""
) -> str:
    line = (
        f"  {label:<{_LABEL}}{ours:>{_OURS}}{extra:>{_EXTRA}}{reference:>{_REF}}{target:>{_TARGET}}"
    )
    return (line + f"   {note}" if note else line).rstrip()


def _header(extra: str) -> str:
    return _row("", "p50 / p95 / p99", extra, "reference", "target")


def _meta_lines(title: str, results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    pg = meta["postgres"]
    return [
        "",
        f"Honcho {title}  (preset {meta['preset']}, {meta['cpus']} CPUs, "
        f"{meta['total_seconds']} s)",
        f"server: {meta['server']}",
        f"        PostgreSQL {pg.get('server_version')}, pgvector {pg.get('pgvector')}, "
        f"shared_buffers {pg.get('shared_buffers')}, work_mem {pg.get('work_mem')}, "
        f"jit {pg.get('jit')} (embedded defaults)",
    ]


def _statements(statements: list[dict[str, Any]], width: int = 6) -> list[str]:
    out = []
    for s in statements:
        nodes = ", ".join(
            f"{n['node']} {_v(n['own_ms'])} ms ({n['rows']:,} rows)"
            for n in s["top_nodes"][:2]
            if n["own_ms"] >= 0.05
        )
        jit = f", JIT {_v(s['jit_ms'])} ms" if s["jit_ms"] else ""
        blocks = s["shared_hit"] + s["shared_read"]
        out.append(
            f"{' ' * width}{s['label']}: {_v(s['planning_ms'] + s['execution_ms'])} ms "
            f"(plan {_v(s['planning_ms'])}{jit}, {blocks:,} blocks"
            f"{', ' + _n(s['shared_read']) + ' read' if s['shared_read'] else ''})"
            + (f" - {nodes}" if nodes else "")
        )
    return out


def _seeding_line(seeding: dict[str, Any]) -> list[str]:
    steps = [f"{name} {seconds:,.1f} s" for name, seconds in seeding["steps"].items()]
    builds = [
        f"{b['name']} {b['seconds']:,.1f} s ({b['size_mb']:,.0f} MB)"
        for b in seeding["index_builds"]
    ]
    lines = ["    " + "; ".join(steps)]
    if builds:
        lines.append("    index builds: " + "; ".join(builds))
    for b in seeding["index_builds"]:
        for notice in b["notices"]:
            lines.append(f"    notice ({b['name']}): {notice}")
    for problem in seeding["problems"]:
        lines.append(f"    PROBLEM: {problem}")
    return lines


def _errors(results: dict[str, Any], samples: list[str]) -> list[str]:
    lines = ["", f"Errors: {results['errors']}"]
    lines += [f"  {s}" for s in samples[:10]]
    if results["meta"]["preset"] != "full":
        lines.append(
            "Note: not the full configuration; the reference figures are for the full one."
        )
    return lines


def _case_notes(case: dict[str, Any]) -> str:
    """The time limit, and a busy machine (others' CPU in % of one core), when they matter."""
    notes = "" if case.get("complete", True) else f", time limit: {case['ok']} requests"
    others = case.get("others_cpu_percent")
    if others is not None and others >= 20:
        notes += f", others {others:.0f}% CPU"
    return notes


def _others_line(cases: list[dict[str, Any]]) -> str:
    values = [c["others_cpu_percent"] for c in cases if c.get("others_cpu_percent") is not None]
    if not values:
        return ""
    return (
        f"  neighbours: other processes used {statistics.fmean(values):.0f}% of a core on average "
        f"during the cases (max {max(values):.0f}%; this machine has 200%)"
    )


# -- context --------------------------------------------------------------------------------------


def format_context(results: dict[str, Any], ref: Reference = REFERENCE) -> str:
    data, cases = results["data"], results["cases"]
    cfg = results["meta"]["config"]
    sizes = ", ".join(f"{count_label(n)}" for n in data["sessions"].values())
    lines = _meta_lines("get_context benchmark", results)
    lines += [
        f"data: sessions of {sizes} messages ({data['messages']:,} in all, written interleaved), "
        f"seeded with SQL;",
        f"      token_count exact (o200k_base: all {results['seeding']['token_counts_checked']:,} "
        f"checked), no summaries; database {_n(data['database_mb'])} MB",
        "",
        f"(1) get_context: GET /v2/workspaces/{{w}}/sessions/{{s}}/context?tokens=N, "
        f"{cfg['context_requests']} sequential requests per case after {cfg['warmup_requests']}",
        _header("messages"),
    ]
    samples: list[str] = []
    for c in cases:
        verdict = "target met" if (c["p50_ms"] or 1e9) < ref.context_target_ms else "above target"
        verdict += ", " + _versus(c["p50_ms"], ref.context_ms)
        check = "" if c["verified"] else ", answer NOT as expected"
        lines.append(
            _row(
                f"{count_label(c['session_messages'])} messages, {c['tokens']:,} tokens",
                _ms(c["p50_ms"], c["p95_ms"], c["p99_ms"]),
                _n(c["returned_messages"]),
                f"~{_n(ref.context_ms)} ms",
                f"p50 < {_n(ref.context_target_ms)} ms",
                verdict + check + _case_notes(c),
            )
        )
        samples += c["error_samples"]
    floor = results["floor"]
    lines.append(
        _row(
            f"floor: GET .../summaries ({count_label(floor['session_messages'])})",
            _ms(floor["p50_ms"], floor["p95_ms"], floor["p99_ms"]),
            note="same router, one small query, no message" + _case_notes(floor),
        )
    )
    samples += floor["error_samples"]
    sizes_sorted = sorted({c["session_messages"] for c in cases})
    flat = []
    for tokens in sorted({c["tokens"] for c in cases}):
        by_size = {c["session_messages"]: c["p50_ms"] for c in cases if c["tokens"] == tokens}
        low, high = by_size.get(sizes_sorted[0]), by_size.get(sizes_sorted[-1])
        if low and high:
            flat.append(f"{high / low:.2f}x at {tokens:,} tokens")
    if flat and len(sizes_sorted) > 1:
        lines.append(
            f"  p50 {count_label(sizes_sorted[-1])} / {count_label(sizes_sorted[0])} messages: "
            + ", ".join(flat)
            + "  (target: flat)"
        )
    lines.append(_others_line([*cases, floor]))
    lines.append(
        "  every case's answer checked against SQL (the newest messages within the budget): "
        + ("all as expected" if all(c["verified"] for c in cases) else "MISMATCH, see errors")
    )
    if results["breakdown"]:
        lines.append(
            "  where the time goes, smallest and largest session (medians in this process; SQL "
            "under EXPLAIN ANALYZE):"
        )
    for b in results["breakdown"]:
        lines.append(
            f"    {b['case']}: SQL {_v(b['sql_ms'])} ms, service function {_v(b['service_ms'])} ms "
            f"(pool checkout + SQL + rows to models), response serialisation "
            f"{_v(b['serialise_ms'])} ms"
        )
        lines += _statements(b["statements"])
        plans = ", ".join(
            f"{name} {p['generic']} generic / {p['custom']} custom"
            for name, p in sorted(b["prepared_plans"].items())
        )
        if plans:
            lines.append(f"      plans PostgreSQL used once the statements were prepared: {plans}")
    lines.append("Seeding (SQL):")
    lines += _seeding_line(results["seeding"])
    return "\n".join(lines + _errors(results, samples)) + "\n"


# -- search ---------------------------------------------------------------------------------------


def _versus(p50: float | None, reference_ms: float) -> str:
    if not p50:
        return ""
    ratio = reference_ms / p50
    text = f"{ratio:.1f}x" if ratio < 10 else f"{ratio:,.0f}x"
    return f"{text} faster than ref" if ratio >= 1 else f"{1 / ratio:.1f}x slower than ref"


def _search_verdict(p50: float | None, messages: int, ref: Reference) -> str:
    if p50 is None:
        return ""
    versus = _versus(p50, ref.search_ms)
    if messages != ref.search_target_messages:
        return f"{versus} (ref at {count_label(ref.search_messages)})"
    met = "target met" if p50 < ref.search_target_ms else "above target"
    return f"{met}, {versus}"


def format_search(results: dict[str, Any], ref: Reference = REFERENCE) -> str:
    data = results["data"]
    cfg = results["meta"]["config"]
    lines = _meta_lines("workspace search benchmark", results)
    per_kind = cfg["search_requests"] // len(QUERY_KINDS)
    lines += [
        f"data: sessions of {data['session_messages']:,} messages, seeded with SQL; one "
        f"embedding per message, {data['embedding_dimensions']} dimensions "
        f"(LLM_EMBEDDING_DIMENSIONS),",
        "      the fake vendor's bag-of-words vectors (checked on a sample); HNSW m=16, "
        "ef_construction=64, built after loading",
        f"queries: POST /v2/workspaces/{{w}}/search, limit {cfg['search_limit']}; "
        f"{cfg['search_requests']} sequential requests per case after {cfg['warmup_requests']}: "
        f"{per_kind} each of",
        "      " + ", ".join(QUERY_KINDS) + f"; then {cfg['stopword_requests']} '"
        f"{STOPWORD_KIND}' (a substring scan) reported apart",
        f"hybrid = full-text legs + vector leg + the query's embedding from the fake vendor (own "
        f"process, p50 {_v(data['embedding_round_trip_ms'])} ms a call; a real provider takes "
        "tens of ms more)",
        "",
        _header("results"),
    ]
    samples: list[str] = []
    reference = f"{_n(ref.search_ms)} ms @{count_label(ref.search_messages)}"
    for n, scale in enumerate(results["scales"], start=2):
        messages = scale["messages"]
        target = (
            f"p50 < {_n(ref.search_target_ms)} ms" if messages == ref.search_target_messages else ""
        )
        lines.append(
            f"({n}) Workspace search, {messages:,} messages ({scale['sessions']:,} sessions, "
            f"database {_n(scale['database_mb'])} MB)"
        )
        for mode, m in scale["modes"].items():
            cut = _case_notes(m)
            lines.append(
                _row(
                    f"{mode}, all {len(QUERY_KINDS)} kinds",
                    _ms(m["p50_ms"], m["p95_ms"], m["p99_ms"]),
                    "",
                    reference,
                    target,
                    _search_verdict(m["p50_ms"], messages, ref) + cut,
                )
            )
            for kind, k in m["kinds"].items():
                label = f"  {kind}" + (" (apart)" if kind == STOPWORD_KIND else "")
                cut = "" if k.get("complete", True) else f", time limit: {k['ok']} requests"
                lines.append(
                    _row(
                        label,
                        _ms(k["p50_ms"], k["p95_ms"], k["p99_ms"]),
                        _n(k["mean_results"], 1),
                        note=(f"{k['empty_results']} empty" if k["empty_results"] else "") + cut,
                    )
                )
                samples += k["error_samples"]
        lines.append(_others_line(list(scale["modes"].values())))
        lines.append("  SQL of one query per kind (EXPLAIN ANALYZE, the server's statements):")
        for b in scale["breakdown"]:
            lines.append(
                f"    {b['kind']} {b['query']!r}: SQL full-text {_v(b['full_text_sql_ms'])} ms, "
                f"vector {_v(b['vector_sql_ms'])} ms; in-process service "
                f"{_v(b['service_full_text_ms'])} ms full-text, {_v(b['service_hybrid_ms'])} ms "
                f"hybrid (embedding {_v(b['embedding_ms'])} ms)"
            )
            lines += _statements(b["statements"])
        lines.append("  seeding (SQL):")
        lines += _seeding_line(scale["seeding"])
    if not data["large_scale"]:
        lines.append(
            f"Note: {LARGE_SCALE:,} messages is not part of this run (--scale large adds it; "
            "about 17 minutes on this 2-core machine, 8 of them building the HNSW index)."
        )
    return "\n".join(lines + _errors(results, samples)) + "\n"
