"""The context and search parts of `./run bench` (`--only context`, `--only search`).

context  GET /v2/workspaces/{w}/sessions/{s}/context?tokens=N for N in 2,000 and 20,000 on sessions
         of 1k, 10k and 100k messages: sequential requests over HTTP after a warm-up, p50/p95/p99.
         Every case's first answer is checked against SQL (the newest messages that fit).
search   POST /v2/workspaces/{w}/search over a workspace of 100k messages (and 1M with
         `--scale large`), with an API without embeddings (full-text legs only) and with one whose
         embedding provider is the tests' fake vendor (hybrid: full-text + pgvector HNSW), on a
         mix of frequent-word, rare-word and question queries; stop-word-only queries apart.

Each part seeds its own embedded PostgreSQL (or `--database-url`, a scratch database: its search
indexes are dropped and rebuilt) with SQL (bench/seed.py, bench/corpus.py), starts `honcho api`
processes on loopback and measures them from here. Where the time goes comes from the server's own
SQL under EXPLAIN ANALYZE (bench/explain.py) and, for get_context, the service function and the
response serialisation timed in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
from sqlalchemy import make_url

from bench import corpus, seed
from bench.explain import Explained, Explaining, total_ms
from bench.harness import BenchServer, api_process, embedded_database
from bench.load import Recorder, make_client, percentile, timed

Log = Callable[[str], None]
PARTS = ("context", "search")
EMBEDDING_MODEL = "text-embedding-3-small"  # the OpenAI client sends `dimensions` for these
LARGE_SCALE = 1_000_000


@dataclass(frozen=True)
class ContextSearchConfig:
    name: str = "full"
    # context: one session per size; every size x every budget is a case
    context_sessions: tuple[int, ...] = (1_000, 10_000, 100_000)
    context_tokens: tuple[int, ...] = (2_000, 20_000)
    context_requests: int = 300
    # search: the workspace grows to each scale in turn; one case per scale x mode
    search_scales: tuple[int, ...] = (100_000,)
    search_session_messages: int = 1_000
    search_requests: int = 300  # a third of each query kind
    stopword_requests: int = 15
    search_limit: int = 10
    embedding_dimensions: int = 256
    # shared
    warmup_requests: int = 20
    users: int = 50
    max_pool_sentences: int = 200_000
    token_check_sample: int = 5_000  # search data; the context sessions are checked in full
    case_time_limit_s: float = 300.0
    request_timeout_s: float = 120.0
    maintenance_work_mem: str = "3GB"
    parallel_maintenance_workers: int = 1  # plus the leader: both cores
    breakdown_runs: int = 30
    seed: int = 20_240_603

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def pool_size(self, messages: int) -> int:
        return max(1_000, min(self.max_pool_sentences, messages // 2))


FULL = ContextSearchConfig()
QUICK = replace(
    FULL,
    name="quick",
    context_sessions=(1_000, 10_000),
    context_requests=100,
    search_scales=(20_000,),
    search_requests=90,
    stopword_requests=5,
    warmup_requests=10,
    breakdown_runs=10,
)
# For the test suite: every code path, a few seconds, no meaningful figures.
SMOKE = replace(
    FULL,
    name="smoke",
    context_sessions=(60, 300),
    context_tokens=(200, 2_000),
    context_requests=6,
    search_scales=(1_200,),
    search_session_messages=200,
    search_requests=9,
    stopword_requests=2,
    embedding_dimensions=64,
    warmup_requests=2,
    users=4,
    token_check_sample=200,
    case_time_limit_s=30.0,
    request_timeout_s=30.0,
    maintenance_work_mem="64MB",
    breakdown_runs=2,
)
PRESETS = {c.name: c for c in (FULL, QUICK, SMOKE)}


@dataclass(frozen=True)
class Reference:
    """The reference server on a 2-core machine, and this project's aims (issue text)."""

    context_ms: float = 30.0  # get_context at 1k-10k messages
    search_ms: float = 600.0  # one workspace search ...
    search_messages: int = 31_000  # ... over this many messages
    context_target_ms: float = 5.0  # p50, flat from 1k to 100k messages
    search_target_ms: float = 20.0  # p50 ...
    search_target_messages: int = 100_000  # ... at this many messages


REFERENCE = Reference()


def _stderr(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


def count_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


# -- the command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        choices=("default", "large"),
        default="default",
        help="search part: also grow the workspace to 1,000,000 messages (large; about half an "
        "hour on 2 cores) after the default 100,000",
    )


def config_from_args(args: argparse.Namespace) -> ContextSearchConfig:
    preset = getattr(args, "preset", None)
    cfg = PRESETS.get(preset or "", QUICK if args.quick else FULL)
    if getattr(args, "scale", "default") == "large" and LARGE_SCALE not in cfg.search_scales:
        cfg = replace(cfg, search_scales=(*cfg.search_scales, LARGE_SCALE))
    return cfg


def run_part(part: str, args: argparse.Namespace) -> dict[str, Any]:
    cfg = config_from_args(args)
    runner = run_context if part == "context" else run_search
    return runner(cfg, database_url=args.database_url, api_workers=args.api_workers)


def format_part(part: str, results: dict[str, Any]) -> str:
    from bench import context_search_report as report

    return report.format_context(results) if part == "context" else report.format_search(results)


# -- shared set-up --------------------------------------------------------------------------------


def libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _embedding_dimensions(dimensions: int) -> Iterator[None]:
    """Migrations size the vector columns from LLM_EMBEDDING_DIMENSIONS (get_settings())."""
    from src.config import reset_settings

    old = os.environ.get("LLM_EMBEDDING_DIMENSIONS")
    os.environ["LLM_EMBEDDING_DIMENSIONS"] = str(dimensions)
    reset_settings()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("LLM_EMBEDDING_DIMENSIONS", None)
        else:
            os.environ["LLM_EMBEDDING_DIMENSIONS"] = old
        reset_settings()


def _database(stack: ExitStack, database_url: str | None, dimensions: int) -> tuple[str, Path, str]:
    """(SQLAlchemy URL, a folder for logs, description): a migrated embedded PostgreSQL in a temp
    dir, or the caller's (scratch) database, migrated here if it is not yet."""
    if database_url is None:
        with _embedding_dimensions(dimensions):
            db = stack.enter_context(embedded_database())
        return db.url, db.workdir, db.description
    from src.db.migrate import upgrade_to_head

    with _embedding_dimensions(dimensions):
        upgrade_to_head(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="honcho-bench-cs-"))
    stack.callback(shutil.rmtree, workdir, True)
    return database_url, workdir, "PostgreSQL given by the caller"


def _no_embeddings_env(dimensions: int) -> dict[str, str]:
    return {"LLM_EMBEDDING_PROVIDER": "none", "LLM_EMBEDDING_DIMENSIONS": str(dimensions)}


def _fake_embeddings_env(openai_base_url: str, dimensions: int) -> dict[str, str]:
    return {
        "LLM_OPENAI_COMPATIBLE_BASE_URL": openai_base_url,
        "LLM_OPENAI_COMPATIBLE_API_KEY": "bench-key",
        "LLM_OPENAI_COMPATIBLE_MODEL": "bench-unused",
        "LLM_EMBEDDING_PROVIDER": "custom",
        "LLM_EMBEDDING_MODEL": EMBEDDING_MODEL,
        "LLM_EMBEDDING_DIMENSIONS": str(dimensions),
    }


def _meta(cfg: ContextSearchConfig, server: str, conn_settings: dict[str, str]) -> dict[str, Any]:
    return {
        "preset": cfg.name,
        "server": server,
        "postgres": conn_settings,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": cfg.as_dict(),
    }


@dataclass
class Seeded:
    """What seeding did, for the report."""

    steps: seed.SeedTimings
    index_builds: list[seed.IndexBuild]
    problems: list[str]
    token_counts_checked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps.steps,
            "index_builds": [asdict(b) for b in self.index_builds],
            "problems": self.problems,
            "token_counts_checked": self.token_counts_checked,
        }


def _seed_messages(
    conn: Any,
    cfg: ContextSearchConfig,
    workspace: str,
    sessions: list[seed.SessionSpec],
    *,
    pool_size: int,
    first_row: int,
    embeddings: bool,
    token_sample: int | None,
    log: Log,
) -> Seeded:
    """Sessions and their messages (indexes dropped, then rebuilt), vacuumed, analysed, checked."""
    timings = seed.SeedTimings()
    total = sum(s.messages for s in sessions)
    definitions = seed.index_definitions(conn)
    seed.drop_indexes(conn, definitions)
    what = "messages + embeddings" if embeddings else "messages"
    log(f"inserting {total:,} {what} in {len(sessions):,} sessions")
    with timings.step(f"insert {count_label(total)} {what}", log):
        seed.create_sessions(conn, workspace, sessions)
        seed.insert_messages(
            conn,
            workspace,
            sessions,
            pool_size=pool_size,
            first_row=first_row,
            embeddings=embeddings,
            seed=cfg.seed,
            log=log,
        )
    builds = seed.build_indexes(
        conn, definitions, cfg.maintenance_work_mem, cfg.parallel_maintenance_workers, log
    )
    with timings.step("vacuum analyze + checkpoint", log):
        seed.vacuum_analyze(conn)
    problems = seed.check_sequences(conn, workspace)
    with timings.step("check token counts", log):
        checked, wrong = seed.check_token_counts(conn, workspace, token_sample)
    if wrong:
        problems.append(f"{wrong} of {checked} messages have a token_count tiktoken disagrees with")
    if embeddings:
        worst = seed.check_embeddings(conn, workspace, 100)
        if not worst <= 1e-5:
            problems.append(f"stored vectors differ from the fake vendor's by up to {worst:.2g}")
    for problem in problems:
        log(f"seeding problem: {problem}")
    return Seeded(timings, builds, problems, checked)


# -- measuring ------------------------------------------------------------------------------------


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its live descendants and the children it reaped."""
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        total = float(t.user + t.system + t.children_user + t.children_system)
        for child in root.children(recursive=True):
            with suppress(psutil.Error):
                c = child.cpu_times()
                total += c.user + c.system
        return total
    except psutil.Error:
        return 0.0


def _machine_busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


@dataclass
class CpuProbe:
    """How busy the machine was during a case, apart from the processes measured: the load
    generator (this process), the API, PostgreSQL and the fake vendor (roots of process trees)."""

    roots: list[int]

    def snapshot(self) -> tuple[float, float, float]:
        own = psutil.Process().cpu_times()
        ours = own.user + own.system + sum(_tree_cpu_seconds(p) for p in self.roots)
        return time.perf_counter(), _machine_busy_seconds(), float(ours)

    @staticmethod
    def others_percent(start: tuple[float, float, float], end: tuple[float, float, float]) -> float:
        """% of one core used by everything else on the machine (neighbours' load)."""
        wall = end[0] - start[0]
        others = (end[1] - start[1]) - (end[2] - start[2])
        return round(100 * max(0.0, others) / wall, 1) if wall > 0 else 0.0


def postmaster_pid(conn: Any) -> int | None:
    """The PostgreSQL server process (parent of our backend), when it runs on this machine."""
    try:
        parent = psutil.Process(int(conn.info.backend_pid)).parent()
    except psutil.Error:
        return None
    return parent.pid if parent is not None else None


Call = tuple[str, str, str, dict[str, Any] | None, Any]  # (variant, method, url, params, body)
Check = Callable[[str, httpx.Response], None]


async def _run_calls(
    client: httpx.AsyncClient,
    calls: list[Call],
    recorders: dict[str, Recorder],
    deadline: float,
    check: Check | None = None,
) -> bool:
    """Sequential requests; False if the deadline cut them short."""
    for variant, method, url, params, body in calls:
        if time.perf_counter() > deadline:
            return False
        response = await timed(client, recorders[variant], method, url, json=body, params=params)
        if response is not None and check is not None:
            check(variant, response)
    return True


# -- context --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextCase:
    session: seed.SessionSpec
    tokens: int
    expected_messages: int
    expected_oldest: str | None

    @property
    def label(self) -> str:
        if not self.tokens:
            return f"floor: GET summaries ({count_label(self.session.messages)} messages)"
        return f"{count_label(self.session.messages)} messages, {self.tokens:,} tokens"


async def _context_case(
    base_url: str,
    workspace: str,
    case: ContextCase,
    cfg: ContextSearchConfig,
    probe: CpuProbe,
    log: Log,
) -> dict[str, Any]:
    session_url = f"/v2/workspaces/{workspace}/sessions/{case.session.name}"
    if case.tokens:
        call: Call = ("case", "GET", f"{session_url}/context", {"tokens": case.tokens}, None)
    else:  # the floor: the cheapest read of the same router (one small query, no messages)
        call = ("case", "GET", f"{session_url}/summaries", None, None)
    seen: dict[str, Any] = {}
    problems: list[str] = []

    def check(_: str, response: httpx.Response) -> None:
        if seen or not case.tokens:
            return
        body = response.json()
        messages = body["messages"]
        seen["messages"] = len(messages)
        seen["tokens"] = sum(int(m["token_count"]) for m in messages)
        oldest = messages[0]["id"] if messages else None
        if body.get("summary") is not None:
            problems.append("a summary was returned; none exists")
        if seen["tokens"] > case.tokens:
            problems.append(f"{seen['tokens']} tokens returned for a budget of {case.tokens}")
        if len(messages) != case.expected_messages or oldest != case.expected_oldest:
            problems.append(
                f"{len(messages)} messages from {oldest}; expected {case.expected_messages} "
                f"from {case.expected_oldest}"
            )

    warm, rec = Recorder(), Recorder()
    async with make_client(base_url, cfg.request_timeout_s) as client:
        await _run_calls(
            client, [call] * cfg.warmup_requests, {"case": warm}, time.perf_counter() + 120, check
        )
        deadline = time.perf_counter() + cfg.case_time_limit_s
        before = probe.snapshot()
        complete = await _run_calls(
            client, [call] * cfg.context_requests, {"case": rec}, deadline, check
        )
        others = CpuProbe.others_percent(before, probe.snapshot())
    rec.add_errors(warm)
    for problem in problems:
        rec.fail(f"{case.label}: {problem}")
    result = rec.summary()
    result.update(
        session=case.session.name,
        session_messages=case.session.messages,
        tokens=case.tokens,
        returned_messages=seen.get("messages"),
        returned_tokens=seen.get("tokens"),
        expected_messages=case.expected_messages,
        verified=(bool(seen) or not case.tokens) and not problems,
        complete=complete,
        others_cpu_percent=others,
    )
    returned = f" ({seen['messages']} messages)" if seen else ""
    log(f"get_context {case.label}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms{returned}")
    return result


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000.0, 3) if samples else 0.0


_PREPARED = """
    SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
    WHERE position('FROM messages' IN statement) > 0
"""


async def _context_breakdown(
    database_url: str, workspace: str, cases: list[ContextCase], runs: int
) -> list[dict[str, Any]]:
    """For each case: the SQL under EXPLAIN ANALYZE (custom and generic plans); then, in this
    process, the service function (pool checkout, SQL, rows to models) and what FastAPI does with
    its result (dump, validate against the response model, JSON); and which plans PostgreSQL used
    for the message pages once psycopg had prepared them (as in the server: 5th execution)."""
    from src.config import get_settings
    from src.db.engine import Database, build_engine
    from src.sessions import context

    out: list[dict[str, Any]] = []
    for case in cases:
        db = Database(build_engine(database_url, get_settings().db))  # fresh prepared statements
        try:
            labels = iter(["summaries", *(f"messages page {i}" for i in range(1, 20))])
            async with db.transaction() as conn:
                ex = Explaining(conn, labels)
                await context.load_summaries(ex.as_connection(), workspace, case.session.name)
                ex.generic = True
                await context.recent_within(
                    ex.as_connection(), workspace, case.session.name, case.tokens, None
                )
            service: list[float] = []
            serialise: list[float] = []
            for _ in range(runs + 2):
                start = time.perf_counter()
                result = await context.session_context(
                    db, None, workspace, case.session.name, case.tokens
                )
                middle = time.perf_counter()
                # The service returns the response body itself: parsing it stands in for the
                # serialisation step it replaced (an upper bound on what the route still does).
                json.loads(result)
                service.append(middle - start)
                serialise.append(time.perf_counter() - middle)
            async with db.engine.connect() as conn:  # the pool's last used connection (LIFO)
                prepared = (await conn.exec_driver_sql(_PREPARED)).all()
        finally:
            await db.engine.dispose()
        plans = {
            ("later pages" if "messages.id <" in str(text) else "page 1"): {
                "generic": int(generic),
                "custom": int(custom),
            }
            for text, generic, custom in (tuple(row) for row in prepared)
        }
        custom_ms = total_ms([e for e in ex.explained if "[generic" not in e.label])
        out.append(
            {
                "case": case.label,
                "sql_ms": custom_ms,
                "statements": [e.as_dict() for e in ex.explained],
                "service_ms": _median_ms(service[2:]),
                "serialise_ms": _median_ms(serialise[2:]),
                "prepared_plans": plans,
            }
        )
    return out


def run_context(
    cfg: ContextSearchConfig,
    *,
    database_url: str | None = None,
    api_workers: int = 1,
    log: Log = _stderr,
) -> dict[str, Any]:
    started = time.perf_counter()
    with ExitStack() as stack:
        url, workdir, db_description = _database(stack, database_url, cfg.embedding_dimensions)
        conn = stack.enter_context(seed.connect(libpq_url(url)))
        dimensions = seed.stored_dimensions(conn)
        workspace = f"bench-ctx-{uuid.uuid4().hex[:8]}"
        users = [f"user-{i}" for i in range(cfg.users)]
        sessions = [
            seed.SessionSpec(f"ctx-{count_label(n)}", n, users[i % len(users)])
            for i, n in enumerate(cfg.context_sessions)
        ]
        total = sum(s.messages for s in sessions)
        pool_timings = seed.SeedTimings()
        with pool_timings.step("sentence pool (tiktoken)", log):
            pool = corpus.build_pool(cfg.pool_size(total), dimensions, cfg.seed)
        with pool_timings.step("load sentence pool", log):
            seed.load_pool(conn, pool)
        seed.create_workspace(conn, workspace, users)
        seeded = _seed_messages(
            conn,
            cfg,
            workspace,
            sessions,
            pool_size=len(pool),
            first_row=0,
            embeddings=False,
            token_sample=None,
            log=log,
        )
        seeded.steps.steps = {**pool_timings.steps, **seeded.steps.steps}
        seed.drop_pool(conn)
        cases = [
            ContextCase(s, t, *seed.expected_context(conn, workspace, s.name, t))
            for s in sessions
            for t in cfg.context_tokens
        ]
        floor = ContextCase(sessions[-1], 0, 0, None)
        probe = CpuProbe([p for p in (postmaster_pid(conn),) if p is not None])
        settings = seed.server_settings(conn)
        size_mb = seed.database_size_mb(conn)
        server = stack.enter_context(
            api_process(
                url,
                api_workers,
                workdir / "api-context.log",
                _no_embeddings_env(dimensions),
                what=", no embeddings",
            )
        )

        probe.roots.append(server.pid)

        async def measure() -> list[dict[str, Any]]:
            return [
                await _context_case(server.base_url, workspace, c, cfg, probe, log)
                for c in [*cases, floor]
            ]

        *results, floor_result = asyncio.run(measure())
        ends = (min(cfg.context_sessions), max(cfg.context_sessions))
        explained = [c for c in cases if c.session.messages in ends]
        breakdown = asyncio.run(_context_breakdown(url, workspace, explained, cfg.breakdown_runs))
    out: dict[str, Any] = {
        "meta": _meta(cfg, f"{server.description}, {db_description}", settings),
        "data": {
            "workspace": workspace,
            "sessions": {s.name: s.messages for s in sessions},
            "messages": total,
            "pool_sentences": len(pool),
            "database_mb": size_mb,
        },
        "seeding": seeded.as_dict(),
        "cases": results,
        "floor": floor_result,
        "breakdown": breakdown,
    }
    out["errors"] = len(seeded.problems) + sum(int(c["errors"]) for c in [*results, floor_result])
    out["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    return out


# -- search ---------------------------------------------------------------------------------------


def _embedding_round_trip(openai_base_url: str, dimensions: int, requests: int = 40) -> float:
    """p50 ms of one query embedding from the fake vendor, as the hybrid API asks for it."""
    body = {"model": EMBEDDING_MODEL, "input": ["where is the coffee?"], "dimensions": dimensions}
    samples: list[float] = []
    with httpx.Client(base_url=openai_base_url, timeout=30.0, trust_env=False) as client:
        for _ in range(requests + 5):
            start = time.perf_counter()
            client.post("/embeddings", json=body).raise_for_status()
            samples.append(time.perf_counter() - start)
    return _median_ms(samples[5:])


async def _search_mode(
    base_url: str,
    workspace: str,
    measured: list[tuple[str, str]],
    warmup: list[tuple[str, str]],
    cfg: ContextSearchConfig,
    probe: CpuProbe,
) -> dict[str, Any]:
    url = f"/v2/workspaces/{workspace}/search"
    kinds = [*corpus.QUERY_KINDS, corpus.STOPWORD_KIND]
    recorders = {k: Recorder() for k in kinds}
    warm = {k: Recorder() for k in kinds}
    empty = dict.fromkeys(kinds, 0)
    hits = dict.fromkeys(kinds, 0)

    def calls(pairs: list[tuple[str, str]]) -> list[Call]:
        return [(k, "POST", url, None, {"query": q, "limit": cfg.search_limit}) for k, q in pairs]

    samples: list[tuple[str, str, float]] = []  # (kind, query, ms) of the measured requests

    def check(kind: str, response: httpx.Response) -> None:
        found = len(response.json())
        query = str(json.loads(response.request.content)["query"])
        samples.append((kind, query, recorders[kind].latencies_ms[-1]))
        hits[kind] += found
        empty[kind] += found == 0
        if found > cfg.search_limit:
            recorders[kind].fail(f"{found} results for a limit of {cfg.search_limit}")

    stopwords = [(corpus.STOPWORD_KIND, q) for q in corpus.stopword_queries(cfg.stopword_requests)]
    async with make_client(base_url, cfg.request_timeout_s) as client:
        await _run_calls(client, calls(warmup), warm, time.perf_counter() + 300)
        for k in kinds:
            empty[k] = hits[k] = 0
        deadline = time.perf_counter() + cfg.case_time_limit_s
        before = probe.snapshot()
        complete = await _run_calls(client, calls(measured), recorders, deadline, check)
        others = CpuProbe.others_percent(before, probe.snapshot())
        # the stop-word queries scan the whole workspace: their own (short) budget
        stop_deadline = time.perf_counter() + cfg.case_time_limit_s / 4
        complete_stop = await _run_calls(client, calls(stopwords), recorders, stop_deadline, check)
    total = Recorder()
    for k in corpus.QUERY_KINDS:
        recorders[k].add_errors(warm[k])
        total.merge(recorders[k])
    result = total.summary()
    result["complete"] = complete
    result["others_cpu_percent"] = others
    result["kinds"] = {}
    for k in kinds:
        summary = recorders[k].summary()
        summary["empty_results"] = empty[k]
        summary["mean_results"] = round(hits[k] / summary["ok"], 1) if summary["ok"] else None
        result["kinds"][k] = summary
    result["kinds"][corpus.STOPWORD_KIND]["complete"] = complete_stop
    result["samples"] = samples
    result["errors"] = total.errors + recorders[corpus.STOPWORD_KIND].errors
    return result


async def _search_breakdown(
    database_url: str,
    workspace: str,
    examples: list[tuple[str, str]],
    dimensions: int,
    limit: int,
    openai_base_url: str,
    runs: int,
) -> list[dict[str, Any]]:
    """Per example query, the server's statements (src/search/service.py's sequence, no filters)
    under EXPLAIN ANALYZE, the vector leg with the fake vendor's embedding of the query; then, in
    this process, the service function without and with the embedder (medians of `runs`)."""
    from src.common.filters import compile_filters
    from src.config import get_settings
    from src.db.engine import Database, build_engine
    from src.embeddings.openai import OpenAIEmbedder
    from src.messages import repository as messages_repo
    from src.search import repository as repo
    from src.search import service
    from src.search.service import fuse
    from tests.fakes.embedding import hashed_embedding

    settings = get_settings()
    db = Database(build_engine(database_url, settings.db))
    embedder = OpenAIEmbedder(
        name="custom",
        base_url=openai_base_url,
        api_key="bench-key",
        model=EMBEDDING_MODEL,
        dimensions=dimensions,
        batch_size=settings.llm.EMBEDDING_BATCH_SIZE,
    )
    where = repo.scope(workspace, None, None) & compile_filters({}, messages_repo.FILTERS)
    out: list[dict[str, Any]] = []

    async def timed_ms(call: Callable[[], Awaitable[object]]) -> float:
        """Median of `runs` calls after one more (at least 2, at most ~3 s of them)."""
        samples = []
        budget = time.perf_counter() + 3.0
        for i in range(runs + 1):
            start = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - start)
            if i >= 2 and start > budget:
                break
        return _median_ms(samples[1:])

    try:
        for kind, query in examples:
            statements: list[Explained] = []
            async with db.transaction() as conn:

                def explaining(
                    *labels: str, _conn: Any = conn, _into: list[Explained] = statements
                ) -> Explaining:
                    return Explaining(_conn, iter(labels), _into)

                if await repo.has_words(explaining("has words").as_connection(), query):
                    ex = explaining("full-text: all words", "full-text: any word")
                    by_words = await repo.fulltext(ex.as_connection(), where, query, limit * 2)
                else:
                    ex = explaining("substring (no indexable word)")
                    by_words = await repo.substring(ex.as_connection(), where, query, limit * 2)
                vector = hashed_embedding(query, dimensions)
                ex = explaining("vector: HNSW")
                by_meaning = await repo.nearest(ex.as_connection(), where, vector, limit * 2)
                ids = fuse(by_words, by_meaning)[:limit]
                await repo.by_ids(explaining("fetch rows").as_connection(), ids)
            out.append(
                {
                    "kind": kind,
                    "query": query,
                    "statements": [e.as_dict() for e in statements],
                    "full_text_sql_ms": total_ms(
                        [s for s in statements if not s.label.startswith("vector")]
                    ),
                    "vector_sql_ms": total_ms(
                        [s for s in statements if s.label.startswith("vector")]
                    ),
                    "service_full_text_ms": await timed_ms(
                        partial(service.search, db, settings, None, workspace, query, None, limit)
                    ),
                    "service_hybrid_ms": await timed_ms(
                        partial(
                            service.search, db, settings, embedder, workspace, query, None, limit
                        )
                    ),
                    "embedding_ms": await timed_ms(partial(embedder.embed, [query])),
                }
            )
    finally:
        await embedder.aclose()
        await db.engine.dispose()
    return out


def _examples(samples: list[tuple[str, str, float]]) -> list[tuple[str, str]]:
    """(label, query) to explain: per kind, the full-text request nearest the kind's p50 and the
    one nearest its p95 (the stop-word kind: the p50 one)."""
    out: list[tuple[str, str]] = []
    for kind in (*corpus.QUERY_KINDS, corpus.STOPWORD_KIND):
        mine = [(q, ms) for k, q, ms in samples if k == kind]
        if not mine:
            continue
        values = sorted(ms for _, ms in mine)
        marks = (50,) if kind == corpus.STOPWORD_KIND else (50, 95)
        for mark in marks:
            wanted = percentile(values, mark)
            query = min(mine, key=lambda pair: abs(pair[1] - wanted))[0]
            out.append((f"{kind} (p{mark})", query))
    return out


def _search_sessions(
    cfg: ContextSearchConfig, start: int, messages: int, users: list[str]
) -> list[seed.SessionSpec]:
    per = cfg.search_session_messages
    count = max(1, messages // per)
    return [
        seed.SessionSpec(f"chat-{k:05d}", per, users[k % len(users)])
        for k in range(start, start + count)
    ]


def run_search(
    cfg: ContextSearchConfig,
    *,
    database_url: str | None = None,
    api_workers: int = 1,
    log: Log = _stderr,
) -> dict[str, Any]:
    from bench.embedding_vendor import EmbeddingVendor

    started = time.perf_counter()
    scales = sorted(set(cfg.search_scales))
    with ExitStack() as stack:
        url, workdir, db_description = _database(stack, database_url, cfg.embedding_dimensions)
        conn = stack.enter_context(seed.connect(libpq_url(url)))
        dimensions = seed.stored_dimensions(conn)
        vendor = stack.enter_context(EmbeddingVendor(workdir / "embedding-vendor.log"))
        workspace = f"bench-search-{uuid.uuid4().hex[:8]}"
        users = [f"user-{i}" for i in range(cfg.users)]
        pool_timings = seed.SeedTimings()
        with pool_timings.step("sentence pool (tiktoken, vectors)", log):
            pool = corpus.build_pool(cfg.pool_size(scales[-1]), dimensions, cfg.seed)
        with pool_timings.step("load sentence pool", log):
            seed.load_pool(conn, pool)
        seed.create_workspace(conn, workspace, users)
        servers: dict[str, BenchServer] = {
            "full-text": stack.enter_context(
                api_process(
                    url,
                    api_workers,
                    workdir / "api-fulltext.log",
                    _no_embeddings_env(dimensions),
                    what=", no embeddings: full-text only",
                )
            ),
            "hybrid": stack.enter_context(
                api_process(
                    url,
                    api_workers,
                    workdir / "api-hybrid.log",
                    _fake_embeddings_env(vendor.openai_base_url, dimensions),
                    what=", fake vendor embeddings: hybrid",
                )
            ),
        }
        round_trip = _embedding_round_trip(vendor.openai_base_url, dimensions)
        roots = [postmaster_pid(conn), vendor.pid, *(s.pid for s in servers.values())]
        probe = CpuProbe([p for p in roots if p is not None])
        measured = corpus.queries(pool, cfg.search_requests, cfg.seed)
        warmup = corpus.queries(pool, cfg.warmup_requests, cfg.seed + 1)
        per_scale: list[dict[str, Any]] = []
        sessions_so_far = stored = 0
        for scale in scales:
            sessions = _search_sessions(cfg, sessions_so_far, scale - stored, users)
            seeded = _seed_messages(
                conn,
                cfg,
                workspace,
                sessions,
                pool_size=len(pool),
                first_row=stored,
                embeddings=True,
                token_sample=cfg.token_check_sample,
                log=log,
            )
            if not per_scale:
                seeded.steps.steps = {**pool_timings.steps, **seeded.steps.steps}
            sessions_so_far += len(sessions)
            stored += sum(s.messages for s in sessions)
            modes: dict[str, Any] = {}
            for mode, server in servers.items():
                vendor.forget()
                modes[mode] = asyncio.run(
                    _search_mode(server.base_url, workspace, measured, warmup, cfg, probe)
                )
                log(
                    f"search {count_label(stored)} {mode}: p50 {modes[mode]['p50_ms']} ms, "
                    f"p95 {modes[mode]['p95_ms']} ms"
                )
            breakdown = asyncio.run(
                _search_breakdown(
                    url,
                    workspace,
                    _examples(modes["full-text"]["samples"]),
                    dimensions,
                    cfg.search_limit,
                    vendor.openai_base_url,
                    cfg.breakdown_runs,
                )
            )
            per_scale.append(
                {
                    "messages": stored,
                    "sessions": sessions_so_far,
                    "database_mb": seed.database_size_mb(conn),
                    "seeding": seeded.as_dict(),
                    "modes": modes,
                    "breakdown": breakdown,
                }
            )
        seed.drop_pool(conn)
        settings = seed.server_settings(conn)
        description = (
            f"{servers['full-text'].description} (x2: full-text, hybrid), {db_description}"
        )
    out: dict[str, Any] = {
        "meta": _meta(cfg, description, settings),
        "data": {
            "workspace": workspace,
            "embedding_dimensions": dimensions,
            "embedding_round_trip_ms": round_trip,
            "pool_sentences": len(pool),
            "session_messages": cfg.search_session_messages,
            "large_scale": LARGE_SCALE in scales,
        },
        "scales": per_scale,
    }
    out["errors"] = sum(
        len(s["seeding"]["problems"]) + sum(int(m["errors"]) for m in s["modes"].values())
        for s in per_scale
    )
    out["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    return out
