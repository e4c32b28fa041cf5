"""Where the time of a request goes: the server's own SQL (built by the same src functions) under
EXPLAIN (ANALYZE, BUFFERS), and the Python work around it, measured in this process.

`Explaining` stands in for the AsyncConnection those functions take: every statement runs as
usual (the functions need the rows), and each SELECT runs once more, right after, under EXPLAIN
ANALYZE with the same parameters, sent the same way (psycopg prepares a statement on its fifth
execution on a connection, as in the server).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg.sql
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable


class Explain(Executable, ClauseElement):
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of a statement, with its bound parameters."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + compiler.process(element.statement, **kw)


@dataclass
class Explained:
    label: str
    planning_ms: float
    execution_ms: float
    jit_ms: float
    shared_hit: int
    shared_read: int
    top_nodes: list[dict[str, Any]]  # by own time, most first

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "planning_ms": self.planning_ms,
            "execution_ms": self.execution_ms,
            "jit_ms": self.jit_ms,
            "shared_hit": self.shared_hit,
            "shared_read": self.shared_read,
            "top_nodes": self.top_nodes,
        }


def _walk(node: dict[str, Any], parallel: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every node, and whether it runs in parallel workers (under a Gather)."""
    yield node, parallel
    below = parallel or str(node["Node Type"]).startswith("Gather")
    for child in node.get("Plans", []):
        yield from _walk(child, below)


def _inclusive_ms(node: dict[str, Any], parallel: bool) -> float:
    """Wall time in and under a node: per-loop time x loops, except in parallel workers, where
    the loops run side by side (their average per-loop time is the wall time)."""
    per_loop = float(node.get("Actual Total Time", 0.0))
    return per_loop if parallel else per_loop * float(node.get("Actual Loops", 1) or 1)


def _describe(node: dict[str, Any]) -> str:
    name = str(node["Node Type"])
    if node.get("Parallel Aware"):
        name = f"Parallel {name}"
    if node.get("Sort Method"):
        name += f" ({node['Sort Method']})"
    target = node.get("Index Name") or node.get("Relation Name")
    text = f"{name} on {target}" if target else name
    if node.get("Lossy Heap Blocks"):
        text += f" [{node['Lossy Heap Blocks']:,} lossy pages]"
    return text


def summarize(label: str, document: list[dict[str, Any]], top: int = 3) -> Explained:
    """The headline figures of an EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) result."""
    root = document[0]
    plan = root["Plan"]
    nodes: list[dict[str, Any]] = []
    for node, parallel in _walk(plan):
        below = parallel or str(node["Node Type"]).startswith("Gather")
        children = sum(_inclusive_ms(c, below) for c in node.get("Plans", []))
        own = _inclusive_ms(node, parallel) - children
        rows = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1) or 1)
        nodes.append({"node": _describe(node), "own_ms": round(max(0.0, own), 2), "rows": rows})
    nodes.sort(key=lambda n: -float(n["own_ms"]))
    jit = root.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
    return Explained(
        label=label,
        planning_ms=round(float(root.get("Planning Time", 0.0)), 2),
        execution_ms=round(float(root.get("Execution Time", 0.0)), 2),
        jit_ms=round(float(jit), 2),
        shared_hit=int(plan.get("Shared Hit Blocks", 0)),
        shared_read=int(plan.get("Shared Read Blocks", 0)),
        top_nodes=nodes[:top],
    )


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


async def explain_generic(conn: AsyncConnection, statement: Select[Any]) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE of the plan PostgreSQL caches for `statement` once it stops planning it
    for each set of values (a prepared statement's generic plan), with the same values."""
    compiled = statement.compile(dialect=conn.dialect)
    names = list(dict.fromkeys(_PLACEHOLDER.findall(str(compiled))))
    text = _PLACEHOLDER.sub(lambda m: f"${names.index(m[1]) + 1}", str(compiled))
    await conn.exec_driver_sql("PREPARE bench_generic AS " + text.replace("%%", "%"))
    try:
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        raw = (await conn.get_raw_connection()).driver_connection
        args = ", ".join(psycopg.sql.Literal(compiled.params[n]).as_string(raw) for n in names)
        result = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE bench_generic({args})"
        )
        plan: list[dict[str, Any]] = result.scalar_one()
    finally:
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = auto")
        await conn.exec_driver_sql("DEALLOCATE bench_generic")
    return plan


@dataclass
class Explaining:
    """An AsyncConnection look-alike: runs everything, and EXPLAIN ANALYZEs the SELECTs (with
    `generic`, also their generic plans, labelled `... [generic plan]`)."""

    conn: AsyncConnection
    labels: Iterator[str]
    explained: list[Explained] = field(default_factory=list)
    generic: bool = False

    @property
    def dialect(self) -> Any:
        return self.conn.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        result = (
            await self.conn.execute(statement)
            if parameters is None
            else await self.conn.execute(statement, parameters)
        )
        if isinstance(statement, Select):  # the result is buffered: the connection is free
            label = next(self.labels, "query")
            plan = (await self.conn.execute(Explain(statement), parameters)).scalar_one()
            self.explained.append(summarize(label, plan))
            if self.generic:
                generic = await explain_generic(self.conn, statement)
                self.explained.append(summarize(f"{label} [generic plan]", generic))
        return result

    def as_connection(self) -> AsyncConnection:
        """For the src functions' type hints; they only call execute()."""
        return cast(AsyncConnection, self)


def total_ms(explained: list[Explained]) -> float:
    return round(sum(e.planning_ms + e.execution_ms for e in explained), 2)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000.0, 2)
