"""The storage scenarios: set-up, batch ingestion, list messages, get-or-create peer/session."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.config import BenchConfig
from bench.load import TOPICS, Recorder, cpu_seconds, make_client, text_pool, timed

Log = Callable[[str], None]
Job = tuple[str, dict[str, Any]]  # (session, request body)
ASSISTANT = "assistant"


@dataclass
class Dataset:
    """What set-up created, and what the later scenarios read."""

    workspace: str
    sessions: list[str]
    big_session: str
    users: list[str]
    texts: list[str]
    message_ids: dict[str, list[str]] = field(default_factory=dict)
    big_session_total: int = 0

    @property
    def peers(self) -> list[str]:
        return [*self.users, ASSISTANT]

    def url(self, tail: str = "") -> str:
        return f"/v2/workspaces/{self.workspace}{tail}"

    def messages_url(self, session: str, tail: str = "/") -> str:
        return self.url(f"/sessions/{session}/messages{tail}")

    def batch(self, session_index: int, offset: int, size: int) -> dict[str, Any]:
        """A conversation slice: one user of the session alternating with the assistant."""
        user = self.users[session_index % len(self.users)]
        return {
            "messages": [
                {
                    "peer_id": user if (offset + i) % 2 == 0 else ASSISTANT,
                    "content": self.texts[(offset + i) % len(self.texts)],
                    "metadata": {"topic": TOPICS[(offset + i) % len(TOPICS)], "turn": offset + i},
                }
                for i in range(size)
            ]
        }


def _fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.1f}"


def _must(response: httpx.Response | None, what: str, recorder: Recorder) -> httpx.Response:
    if response is None:
        detail = recorder.error_samples[-1] if recorder.error_samples else "no response"
        raise RuntimeError(f"bench set-up failed ({what}): {detail}")
    return response


async def setup(base_url: str, cfg: BenchConfig, log: Log) -> Dataset:
    """A fresh workspace with its peers and (empty) sessions, outside any measurement."""
    tag = uuid.uuid4().hex[:10]
    ds = Dataset(
        workspace=f"bench-{tag}",
        sessions=[f"chat-{i:03d}" for i in range(cfg.ingest_sessions)],
        big_session="chat-big",
        users=[f"user-{i}" for i in range(max(1, cfg.peers - 1))],
        texts=text_pool(cfg.seed),
    )
    rec = Recorder()
    async with make_client(base_url, cfg.request_timeout_s) as client:
        _must(
            await timed(client, rec, "POST", "/v2/workspaces", json={"id": ds.workspace}),
            "workspace",
            rec,
        )
        for peer in ds.peers:
            _must(
                await timed(client, rec, "POST", ds.url("/peers"), json={"id": peer}), "peer", rec
            )
        for session in [*ds.sessions, ds.big_session]:
            response = await timed(client, rec, "POST", ds.url("/sessions"), json={"id": session})
            _must(response, "session", rec)
    log(f"set-up: workspace {ds.workspace}, {len(ds.peers)} peers, {len(ds.sessions) + 1} sessions")
    return ds


async def _post_batches(
    ds: Dataset,
    clients: list[httpx.AsyncClient],
    jobs: Iterator[Job],
    rec: Recorder,
    deadline: float,
) -> int:
    """Every client takes the next job until none is left or the deadline passed; returns the
    number of messages stored. Keeps every tenth message id per session for later reads."""
    stored = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal stored
        for session, body in jobs:
            if time.perf_counter() > deadline:
                return
            response = await timed(client, rec, "POST", ds.messages_url(session), json=body)
            if response is not None:
                stored += len(body["messages"])
                ids = [m["id"] for m in response.json()]
                ds.message_ids.setdefault(session, []).extend(ids[::10])

    await asyncio.gather(*(worker(c) for c in clients))
    return stored


async def ingestion(base_url: str, ds: Dataset, cfg: BenchConfig, log: Log) -> dict[str, Any]:
    """(1) `ingest_messages` messages in batches from `ingest_clients` clients over the sessions."""
    n_batches = cfg.ingest_messages // cfg.ingest_batch
    n_sessions = len(ds.sessions)
    jobs: list[Job] = [
        (
            ds.sessions[i % n_sessions],
            ds.batch(i % n_sessions, i * cfg.ingest_batch, cfg.ingest_batch),
        )
        for i in range(n_batches)
    ]
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(make_client(base_url, cfg.request_timeout_s))
            for _ in range(cfg.ingest_clients)
        ]
        warm = Recorder()  # opens every connection and warms the server's code paths
        warm_jobs: list[Job] = [
            (f"warmup-{k}", ds.batch(k, k * cfg.ingest_batch, cfg.ingest_batch))
            for k in range(cfg.ingest_clients * 2)
        ]
        await _post_batches(ds, clients, iter(warm_jobs), warm, time.perf_counter() + 60)
        rec = Recorder()
        rec.add_errors(warm)
        start, cpu_start = time.perf_counter(), cpu_seconds()
        stored = await _post_batches(
            ds, clients, iter(jobs), rec, start + cfg.scenario_time_limit_s
        )
        elapsed = time.perf_counter() - start
        client_cpu = cpu_seconds() - cpu_start
    summary = rec.summary()
    result = {
        "messages": stored,
        "planned_messages": n_batches * cfg.ingest_batch,
        "complete": stored == n_batches * cfg.ingest_batch,
        "batch_size": cfg.ingest_batch,
        "clients": cfg.ingest_clients,
        "sessions": n_sessions,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(stored / elapsed, 1) if elapsed > 0 else 0.0,
        "batch_p50_ms": summary["p50_ms"],
        "batch_p95_ms": summary["p95_ms"],
        "batch_p99_ms": summary["p99_ms"],
        "errors": summary["errors"],
        "error_samples": summary["error_samples"],
        "client_cpu_percent": round(100 * client_cpu / elapsed, 1) if elapsed > 0 else 0.0,
    }
    log(f"ingestion: {stored} messages in {elapsed:.1f}s = {result['messages_per_s']:.0f} msg/s")
    return result


async def seed_big_session(base_url: str, ds: Dataset, cfg: BenchConfig, log: Log) -> Recorder:
    """Fill the list scenario's session (untimed: writers to one session serialise anyway)."""
    batch = 100
    jobs = (
        (ds.big_session, ds.batch(0, offset, min(batch, cfg.list_session_messages - offset)))
        for offset in range(0, cfg.list_session_messages, batch)
    )
    rec = Recorder()
    start = time.perf_counter()
    async with (
        make_client(base_url, cfg.request_timeout_s) as c1,
        make_client(base_url, cfg.request_timeout_s) as c2,
    ):
        await _post_batches(ds, [c1, c2], jobs, rec, start + cfg.scenario_time_limit_s)
        response = await timed(
            c1, rec, "POST", ds.messages_url(ds.big_session, "/list"), params={"size": 1}
        )
    if response is not None:
        ds.big_session_total = int(response.json()["total"])
    log(
        f"seeded {ds.big_session} with {ds.big_session_total} messages "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return rec


def _list_variants(ds: Dataset, cfg: BenchConfig) -> dict[str, Callable[[random.Random], Any]]:
    """Each variant builds (query params, body) for one list request on the big session."""
    size = cfg.list_page_size
    pages = max(1, ds.big_session_total // size)
    user = ds.users[0]
    return {
        "latest page": lambda rng: ({"size": size, "reverse": "true"}, None),
        "random page": lambda rng: ({"size": size, "page": rng.randint(1, pages)}, None),
        "filter peer_id": lambda rng: ({"size": size}, {"filters": {"peer_id": user}}),
        "filter metadata": lambda rng: (
            {"size": size},
            {"filters": {"metadata": {"topic": rng.choice(TOPICS)}}},
        ),
    }


async def _sequential(
    client: httpx.AsyncClient,
    calls: list[tuple[str, str, dict[str, Any] | None, Any]],
    recorders: dict[str, Recorder],
    deadline: float,
) -> None:
    for variant, url, params, body in calls:
        if time.perf_counter() > deadline:
            return
        await timed(client, recorders[variant], "POST", url, json=body, params=params)


def _combined(recorders: dict[str, Recorder], warm: dict[str, Recorder]) -> dict[str, Any]:
    """The summary over all variants (warm-up errors included), with one per variant."""
    total = Recorder()
    for name, rec in recorders.items():
        rec.add_errors(warm[name])
        total.merge(rec)
    result = total.summary()
    result["variants"] = {name: rec.summary() for name, rec in recorders.items()}
    return result


async def list_messages(base_url: str, ds: Dataset, cfg: BenchConfig, log: Log) -> dict[str, Any]:
    """(2) Sequential list requests (page of `list_page_size`) on the big session."""
    rng = random.Random(cfg.seed + 2)
    variants = _list_variants(ds, cfg)
    names = list(variants)
    url = ds.messages_url(ds.big_session, "/list")

    def calls(n: int) -> list[tuple[str, str, dict[str, Any] | None, Any]]:
        out = []
        for i in range(n):
            name = names[i % len(names)]
            params, body = variants[name](rng)
            out.append((name, url, params, body))
        return out

    recorders = {name: Recorder() for name in names}
    warm = {name: Recorder() for name in names}
    async with make_client(base_url, cfg.request_timeout_s) as client:
        await _sequential(
            client, calls(cfg.warmup_requests * len(names)), warm, time.perf_counter() + 60
        )
        deadline = time.perf_counter() + cfg.scenario_time_limit_s
        await _sequential(client, calls(cfg.list_requests), recorders, deadline)
    result = _combined(recorders, warm)
    result["session_messages"] = ds.big_session_total
    result["page_size"] = cfg.list_page_size
    log(f"list messages: p50 {_fmt(result['p50_ms'])} ms, p95 {_fmt(result['p95_ms'])} ms")
    return result


async def get_or_create(base_url: str, ds: Dataset, cfg: BenchConfig, log: Log) -> dict[str, Any]:
    """(3) Sequential get-or-create of existing and of new peers and sessions."""
    peers, sessions = ds.url("/peers"), ds.url("/sessions")

    def calls(n: int, prefix: str) -> list[tuple[str, str, dict[str, Any] | None, Any]]:
        out: list[tuple[str, str, dict[str, Any] | None, Any]] = []
        for i in range(n):
            out += [
                ("peer existing", peers, None, {"id": ds.peers[i % len(ds.peers)]}),
                ("peer new", peers, None, {"id": f"{prefix}-peer-{i}"}),
                ("session existing", sessions, None, {"id": ds.sessions[i % len(ds.sessions)]}),
                ("session new", sessions, None, {"id": f"{prefix}-session-{i}"}),
            ]
        return out

    names = ("peer existing", "peer new", "session existing", "session new")
    recorders = {name: Recorder() for name in names}
    warm = {name: Recorder() for name in names}
    async with make_client(base_url, cfg.request_timeout_s) as client:
        await _sequential(
            client, calls(cfg.warmup_requests, "warm"), warm, time.perf_counter() + 60
        )
        deadline = time.perf_counter() + cfg.scenario_time_limit_s
        await _sequential(client, calls(cfg.goc_requests, "goc"), recorders, deadline)
    result = _combined(recorders, warm)
    figures = (f"{n} p50 {_fmt(r['p50_ms'])} ms" for n, r in result["variants"].items())
    log("get-or-create: " + ", ".join(figures))
    return result
