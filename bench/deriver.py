"""The deriver scenarios, run once per deriver set-up (number of processes x DERIVER_WORKERS).

(1) Throughput: a backlog of messages written as fast as possible; messages derived per second
    from the first write until the deriver status reports the workspace drained.
(2) Latency: sessions writing one message each every `trickle_interval_s`; for each message, the
    time from the write's response until an observation citing it is visible. The harness polls
    `documents` over SQL every `observation_poll_s` (its own connection, outside the API) and
    takes the time of the poll that first returns it: an upper bound, on average half a poll
    interval late. As a cross-check without polling, the same figure on the database's clock:
    the observation row's created_at minus the message row's (both transaction start times).

Each phase runs in a fresh workspace, so the `llm_calls` rows (usage as the deriver recorded it)
and the fake vendor's recorded prompts of that phase are its own.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench.config import DeriverBenchConfig
from bench.cpu import CpuMeter
from bench.fake_vendor import PROMPT_SECTIONS, VendorProcess
from bench.load import MAX_ERROR_SAMPLES, Recorder, make_client, message_text, percentile, timed

Log = Callable[[str], None]
Job = tuple[str, dict[str, Any]]  # (session, request body)
ASSISTANT = "assistant"
SETTLE_TIMEOUT_S = 60.0
# Observation rows can commit a little after their created_at (their transaction's start); the
# poller re-reads this far back so none is missed.
WATERMARK_MARGIN = timedelta(seconds=3)
WARMUP_SESSIONS = 4


@dataclass
class Context:
    """What the scenarios of one set-up talk to."""

    cfg: DeriverBenchConfig
    base_url: str
    conninfo: str  # libpq, for the harness's own SQL
    vendor: VendorProcess
    meter: CpuMeter
    log: Log
    # Why the set-up's deriver processes cannot finish the work (one exited), or None.
    broken: Callable[[], str | None] = lambda: None


# -- SQL the harness runs itself ---------------------------------------------------------------

_QUEUE = """
    SELECT task_type, status, count(*) FROM deriver_queue WHERE workspace_name = %s GROUP BY 1, 2
"""
_LLM_CALLS = """
    SELECT component, count(*), sum(input_tokens), sum(output_tokens), sum(messages),
           count(*) FILTER (WHERE NOT ok),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
    FROM llm_calls WHERE workspace_name = %s GROUP BY component ORDER BY component
"""
_LLM_ERRORS = """
    SELECT component, error FROM llm_calls WHERE workspace_name = %s AND NOT ok LIMIT 3
"""
_DOCUMENTS = "SELECT count(*) FROM documents WHERE workspace_name = %s"
# Jobs still queued or running for the workspace's units (`<kind>:<workspace>:<session>`): a
# drained status can still have a job finishing its peer-card calls, which come after the commit.
_ACTIVE_JOBS = """
    SELECT count(*) FROM procrastinate_jobs
    WHERE status IN ('todo', 'doing') AND split_part(lock, ':', 2) = %s
"""
_NEW_DOCUMENTS = """
    SELECT id, message_ids, created_at FROM documents
    WHERE workspace_name = %s AND created_at > %s AND NOT (id = ANY(%s))
"""
_MESSAGE_IDS = "SELECT public_id, id FROM messages WHERE workspace_name = %s"
_DB_CLOCK_LATENCY = """
    SELECT m.public_id, EXTRACT(EPOCH FROM min(d.created_at) - m.created_at) * 1000
    FROM messages m
    JOIN documents d ON d.workspace_name = m.workspace_name AND m.id = ANY(d.message_ids)
    WHERE m.workspace_name = %s
    GROUP BY m.id, m.public_id, m.created_at
"""


async def _rows(conninfo: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cursor = await conn.execute(query, params)
        return list(await cursor.fetchall())


async def settle(conninfo: str, workspace: str) -> bool:
    """Wait until no job of the workspace is queued or running (outside every measurement)."""
    deadline = time.perf_counter() + SETTLE_TIMEOUT_S
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        while time.perf_counter() < deadline:
            row = await (await conn.execute(_ACTIVE_JOBS, (workspace,))).fetchone()
            if row is not None and row[0] == 0:
                return True
            await asyncio.sleep(0.05)
    return False


async def workspace_figures(conninfo: str, workspace: str) -> dict[str, Any]:
    """Queue items by task and state, LLM calls per component (llm_calls), observations."""
    queue: dict[str, dict[str, int]] = {}
    for task, state, n in await _rows(conninfo, _QUEUE, workspace):
        queue.setdefault(task, {})[state] = int(n)
    llm: dict[str, dict[str, Any]] = {}
    for component, calls, inp, out, msgs, errors, p50, p95 in await _rows(
        conninfo, _LLM_CALLS, workspace
    ):
        llm[component] = {
            "calls": int(calls),
            "input_tokens": int(inp or 0),
            "output_tokens": int(out or 0),
            "messages": int(msgs or 0),
            "errors": int(errors),
            "duration_p50_ms": round(float(p50), 1) if p50 is not None else None,
            "duration_p95_ms": round(float(p95), 1) if p95 is not None else None,
        }
    llm_errors = [f"llm_calls {c}: {e}" for c, e in await _rows(conninfo, _LLM_ERRORS, workspace)]
    docs = (await _rows(conninfo, _DOCUMENTS, workspace))[0][0]
    return {"queue": queue, "llm": llm, "llm_error_samples": llm_errors, "documents": int(docs)}


# -- HTTP --------------------------------------------------------------------------------------


def _user(index: int) -> str:
    return f"user-{index:03d}"


async def setup_workspace(
    client: httpx.AsyncClient, rec: Recorder, workspace: str, sessions: list[str]
) -> None:
    """A workspace whose sessions each have one user and the (shared) assistant, all observed
    (the default configuration), so every message feeds its sender's view."""
    if await timed(client, rec, "POST", "/v2/workspaces", json={"id": workspace}) is None:
        raise RuntimeError(f"bench set-up failed: {rec.error_samples[-1:]}")
    for i, session in enumerate(sessions):
        body = {"id": session, "peers": {_user(i): {}, ASSISTANT: {}}}
        url = f"/v2/workspaces/{workspace}/sessions"
        if await timed(client, rec, "POST", url, json=body) is None:
            raise RuntimeError(f"bench set-up failed: {rec.error_samples[-1:]}")


def _message(session_index: int, turn: int, rng: random.Random) -> dict[str, Any]:
    return {
        "peer_id": _user(session_index) if turn % 2 == 0 else ASSISTANT,
        "content": message_text(rng),  # 20-60 random words: never a near-duplicate of another
        "metadata": {"turn": turn},
    }


def plan_backlog(cfg: DeriverBenchConfig, sessions: list[str], rng: random.Random) -> list[Job]:
    """`cfg.messages` over the sessions in batches of batch_min..batch_max, round-robin over the
    sessions (each session's batches in order)."""
    per_session = cfg.messages // len(sessions)
    plans: list[list[Job]] = []
    for i, session in enumerate(sessions):
        jobs: list[Job] = []
        turn = 0
        while turn < per_session:
            size = min(rng.randint(cfg.batch_min, cfg.batch_max), per_session - turn)
            body = {"messages": [_message(i, turn + k, rng) for k in range(size)]}
            jobs.append((session, body))
            turn += size
        plans.append(jobs)
    ordered: list[Job] = []
    for round_ in range(max(len(p) for p in plans)):
        ordered += [p[round_] for p in plans if round_ < len(p)]
    return ordered


async def _post_all(
    base_url: str,
    workspace: str,
    jobs: Iterator[Job],
    clients: int,
    request_timeout_s: float,
    rec: Recorder,
) -> int:
    written = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal written
        for session, body in jobs:
            url = f"/v2/workspaces/{workspace}/sessions/{session}/messages/"
            if await timed(client, rec, "POST", url, json=body) is not None:
                written += len(body["messages"])

    async with AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(make_client(base_url, request_timeout_s))
            for _ in range(clients)
        ]
        await asyncio.gather(*(worker(c) for c in opened))
    return written


@dataclass
class Drained:
    ok: bool
    at: float  # perf_counter when the status first said drained (or gave up)
    status: dict[str, Any] = field(default_factory=dict)


async def wait_drained(ctx: Context, workspace: str, rec: Recorder) -> Drained:
    """Poll the deriver status like the SDK's poll_deriver_status until nothing is pending or in
    progress."""
    deadline = time.perf_counter() + ctx.cfg.drain_timeout_s
    last: dict[str, Any] = {}
    async with make_client(ctx.base_url, ctx.cfg.request_timeout_s) as client:
        while True:
            response = await timed(client, rec, "GET", f"/v2/workspaces/{workspace}/deriver/status")
            now = time.perf_counter()
            if response is not None:
                last = response.json()
                if last["pending_work_units"] + last["in_progress_work_units"] == 0:
                    return Drained(True, now, last)
            if now > deadline:
                return Drained(False, now, last)
            problem = ctx.broken()
            if problem is not None:
                raise RuntimeError(problem)
            await asyncio.sleep(ctx.cfg.status_poll_s)


# -- figures -----------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None, digits: int = 1) -> float | None:
    return round(a / b, digits) if a is not None and b else None


def token_figures(db: dict[str, Any], vendor: dict[str, Any]) -> dict[str, Any]:
    """Per derived message, for the representation task: what the deriver recorded in llm_calls
    (the fake reports word counts as usage) and o200k_base tokens of the recorded prompts."""
    rep = db["llm"].get("deriver", {})
    messages = rep.get("messages", 0)
    extraction = vendor["chat"].get("extraction", {})
    sections = extraction.get("sections") or {}
    total = sum(sections.values())
    return {
        "representation_calls": rep.get("calls", 0),
        "messages_per_call": _ratio(messages, rep.get("calls")),
        "recorded_prompt_per_message": _ratio(rep.get("input_tokens"), messages),
        "recorded_output_per_message": _ratio(rep.get("output_tokens"), messages),
        "o200k_prompt_per_message": _ratio(
            extraction.get("prompt_tokens"), extraction.get("new_messages")
        ),
        "o200k_output_per_message": _ratio(
            extraction.get("reply_tokens"), extraction.get("new_messages")
        ),
        "o200k_prompt_shares": {
            name: round(sections.get(name, 0) / total, 3) for name in ("system", *PROMPT_SECTIONS)
        }
        if total
        else {},
    }


def _phase_errors(
    rec: Recorder, drained: Drained, db: dict[str, Any], settled: bool, timeout_s: float
) -> tuple[int, list[str]]:
    """HTTP errors, failed queue items, failed LLM calls, a drain or settle that timed out."""
    samples = list(rec.error_samples)
    failed = int(drained.status.get("failed_work_units", 0))
    for failure in drained.status.get("recent_failures", []):
        samples.append(f"failed {failure['task_type']} item: {failure['error']}")
    llm_errors = sum(c["errors"] for c in db["llm"].values())
    samples += db["llm_error_samples"]
    errors = rec.errors + failed + llm_errors
    if not drained.ok:
        errors += 1
        left = {k: v for k, v in drained.status.items() if k.endswith("_work_units")}
        samples.append(f"not drained after {timeout_s:.0f}s: {left or 'no status'}")
    if not settled:
        errors += 1
        samples.append(f"jobs still running {SETTLE_TIMEOUT_S:.0f}s after the queue drained")
    return errors, samples[:MAX_ERROR_SAMPLES]


async def _finish_phase(
    ctx: Context, workspace: str
) -> tuple[bool, dict[str, Any], dict[str, Any]]:
    """Untimed: wait for the last jobs, read the database's and the fake vendor's figures."""
    settled = await settle(ctx.conninfo, workspace)
    db = await workspace_figures(ctx.conninfo, workspace)
    vendor = await asyncio.to_thread(ctx.vendor.stats)
    await asyncio.to_thread(ctx.vendor.reset)
    return settled, db, vendor


def _derived(db: dict[str, Any]) -> tuple[int, int]:
    rep = db["queue"].get("representation", {})
    return rep.get("done", 0), rep.get("failed", 0)


# -- scenarios ---------------------------------------------------------------------------------


async def warm_up(ctx: Context, tag: str) -> int:
    """A few messages through freshly started derivers (connections, first calls); untimed."""
    workspace = f"dbench-{tag}-warm"
    sessions = [f"warm-{i}" for i in range(WARMUP_SESSIONS)]
    rng = random.Random(ctx.cfg.seed - 1)
    rec = Recorder()
    async with make_client(ctx.base_url, ctx.cfg.request_timeout_s) as client:
        await setup_workspace(client, rec, workspace, sessions)
    jobs = [
        (s, {"messages": [_message(i, t, rng) for t in range(2)]}) for i, s in enumerate(sessions)
    ]
    await _post_all(ctx.base_url, workspace, iter(jobs), 2, ctx.cfg.request_timeout_s, rec)
    drained = await wait_drained(ctx, workspace, rec)
    settled, db, _ = await _finish_phase(ctx, workspace)
    errors, samples = _phase_errors(rec, drained, db, settled, ctx.cfg.drain_timeout_s)
    for sample in samples:
        ctx.log(f"warm-up error: {sample}")
    return errors


async def throughput(ctx: Context, tag: str) -> dict[str, Any]:
    cfg = ctx.cfg
    workspace = f"dbench-{tag}-backlog"
    sessions = [f"chat-{i:03d}" for i in range(cfg.sessions)]
    rng = random.Random(cfg.seed)
    rec = Recorder()
    async with make_client(ctx.base_url, cfg.request_timeout_s) as client:
        await setup_workspace(client, rec, workspace, sessions)
    jobs = plan_backlog(cfg, sessions, rng)
    planned = sum(len(body["messages"]) for _, body in jobs)
    cpu_start, start = ctx.meter.snapshot(), time.perf_counter()
    written = await _post_all(
        ctx.base_url, workspace, iter(jobs), cfg.clients, cfg.request_timeout_s, rec
    )
    written_at = time.perf_counter()
    drained = await wait_drained(ctx, workspace, rec)
    cpu = CpuMeter.percent(cpu_start, ctx.meter.snapshot(), drained.at - start)
    settled, db, vendor = await _finish_phase(ctx, workspace)
    derived, failed = _derived(db)
    errors, samples = _phase_errors(rec, drained, db, settled, ctx.cfg.drain_timeout_s)
    seconds = drained.at - start
    result = {
        "workspace": workspace,
        "planned_messages": planned,
        "written_messages": written,
        "write_batches": len(jobs),
        "derived_messages": derived,
        "failed_messages": failed,
        "drained": drained.ok,
        "write_seconds": round(written_at - start, 3),
        "seconds": round(seconds, 3),
        "messages_per_s": round(derived / seconds, 1) if seconds > 0 else 0.0,
        "cpu_percent": cpu,
        "queue": db["queue"],
        "llm": db["llm"],
        "documents": db["documents"],
        "vendor": vendor,
        "tokens": token_figures(db, vendor),
        "errors": errors,
        "error_samples": samples,
    }
    ctx.log(
        f"throughput: {derived} of {planned} messages derived in {seconds:.1f}s "
        f"(written in {written_at - start:.1f}s) = {result['messages_per_s']:.0f} msg/s, "
        f"{errors} errors"
    )
    return result


class ObservationPoller:
    """Notes when each message id first appears in a visible observation of the workspace."""

    def __init__(self, conninfo: str, workspace: str, interval: float) -> None:
        self.conninfo, self.workspace, self.interval = conninfo, workspace, interval
        self.first_seen: dict[int, float] = {}  # internal message id -> perf_counter
        self.polls = 0
        self._recent: dict[str, datetime] = {}  # document id -> created_at, above the watermark
        self._stop = asyncio.Event()

    async def run(self) -> None:
        watermark = datetime(2000, 1, 1, tzinfo=UTC)
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.is_set():
                started = time.perf_counter()  # the poll's snapshot is taken after this
                cursor = await conn.execute(
                    _NEW_DOCUMENTS, (self.workspace, watermark, list(self._recent))
                )
                for doc_id, message_ids, created_at in await cursor.fetchall():
                    self._recent[doc_id] = created_at
                    for mid in message_ids:
                        self.first_seen.setdefault(int(mid), started)
                self.polls += 1
                if self._recent:
                    watermark = max(self._recent.values()) - WATERMARK_MARGIN
                    self._recent = {k: v for k, v in self._recent.items() if v > watermark}
                pause = self.interval - (time.perf_counter() - started)
                if pause > 0:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), pause)

    def stop(self) -> None:
        self._stop.set()


def _summary(values_ms: list[float]) -> dict[str, float | None]:
    values = sorted(values_ms)

    def figure(q: float) -> float | None:
        return round(percentile(values, q), 1) if values else None

    return {
        "p50_ms": figure(50),
        "p95_ms": figure(95),
        "p99_ms": figure(99),
        "max_ms": round(values[-1], 1) if values else None,
    }


async def latency(ctx: Context, tag: str) -> dict[str, Any]:
    cfg = ctx.cfg
    workspace = f"dbench-{tag}-trickle"
    sessions = [f"live-{i:03d}" for i in range(cfg.trickle_sessions)]
    rng = random.Random(cfg.seed + 1)
    rec, writes = Recorder(), Recorder()
    async with make_client(ctx.base_url, cfg.request_timeout_s) as client:
        await setup_workspace(client, rec, workspace, sessions)
    per_session = max(1, round(cfg.trickle_seconds / cfg.trickle_interval_s))
    bodies = [
        [{"messages": [_message(i, turn, rng)]} for turn in range(per_session)]
        for i in range(len(sessions))
    ]
    responded: dict[str, float] = {}  # public message id -> perf_counter of the write's response
    poller = ObservationPoller(ctx.conninfo, workspace, cfg.observation_poll_s)
    polling = asyncio.create_task(poller.run())

    async def session_writer(index: int, start: float) -> None:
        url = f"/v2/workspaces/{workspace}/sessions/{sessions[index]}/messages/"
        offset = index * cfg.trickle_interval_s / len(sessions)  # spread over the interval
        async with make_client(ctx.base_url, cfg.request_timeout_s) as client:
            for turn, body in enumerate(bodies[index]):
                delay = start + offset + turn * cfg.trickle_interval_s - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                response = await timed(client, writes, "POST", url, json=body)
                at = time.perf_counter()
                if response is not None:
                    responded[response.json()[0]["id"]] = at

    await asyncio.sleep(0.2)  # the poller's connection is open
    cpu_start, start = ctx.meter.snapshot(), time.perf_counter()
    await asyncio.gather(*(session_writer(i, start) for i in range(len(sessions))))
    written_at = time.perf_counter()
    drained = await wait_drained(ctx, workspace, rec)
    cpu = CpuMeter.percent(cpu_start, ctx.meter.snapshot(), drained.at - start)
    # Everything derived is committed once drained; give the poller a last look.
    await asyncio.sleep(3 * cfg.observation_poll_s + 0.1)
    poller.stop()
    await polling
    ids = dict(await _rows(ctx.conninfo, _MESSAGE_IDS, workspace))
    visible_ms = [
        1000 * (poller.first_seen[ids[pid]] - at)
        for pid, at in responded.items()
        if pid in ids and ids[pid] in poller.first_seen
    ]
    db_clock_ms = [float(ms) for _, ms in await _rows(ctx.conninfo, _DB_CLOCK_LATENCY, workspace)]
    settled, db, vendor = await _finish_phase(ctx, workspace)
    rec.merge(writes)
    errors, samples = _phase_errors(rec, drained, db, settled, ctx.cfg.drain_timeout_s)
    derived, failed = _derived(db)
    write_figures = writes.summary()
    result = {
        "workspace": workspace,
        "sessions": len(sessions),
        "interval_s": cfg.trickle_interval_s,
        "seconds": round(written_at - start, 3),
        "messages": len(responded),
        "arrival_per_s": round(len(responded) / (written_at - start), 1),
        "derived_messages": derived,
        "failed_messages": failed,
        "observed": len(visible_ms),
        "without_observation": len(responded) - len(visible_ms),
        "observation_poll_ms": round(1000 * cfg.observation_poll_s, 1),
        "observation_polls": poller.polls,
        "visible": _summary(visible_ms),
        "db_clock": _summary(db_clock_ms),
        "write_p50_ms": write_figures["p50_ms"],
        "write_p95_ms": write_figures["p95_ms"],
        "drain_after_last_write_s": round(drained.at - written_at, 3),
        "cpu_percent": cpu,
        "queue": db["queue"],
        "llm": db["llm"],
        "documents": db["documents"],
        "vendor": vendor,
        "tokens": token_figures(db, vendor),
        "errors": errors,
        "error_samples": samples,
    }
    v = result["visible"]
    ctx.log(
        f"latency: {len(responded)} messages, write response -> observation visible "
        f"p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms; {errors} errors"
    )
    return result
