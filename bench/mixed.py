"""(4) Mixed read/write load: many concurrent clients looping a realistic mix for a fixed time."""

from __future__ import annotations

import asyncio
import random
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from bench.config import BenchConfig
from bench.load import Recorder, cpu_seconds, make_client, timed
from bench.storage import Dataset, Log

# (operation, share of requests); the shares add up to 1.
MIX = (
    ("list messages", 0.40),
    ("add 10 messages", 0.20),
    ("get-or-create peer", 0.10),
    ("get-or-create session", 0.10),
    ("get message", 0.10),
    ("list session peers", 0.10),
)
NEW_NAME_SHARE = 0.10  # of get-or-create calls, the share naming a peer/session that is new
WARMUP_PER_CLIENT = 2


@dataclass(frozen=True)
class Call:
    op: str
    method: str
    url: str
    params: dict[str, Any] | None = None
    body: Any = None


class MixPicker:
    """Draws one client's next request; every client has its own seeded generator."""

    def __init__(self, ds: Dataset, cfg: BenchConfig, client_index: int) -> None:
        self.ds, self.cfg, self.k = ds, cfg, client_index
        self.rng = random.Random(cfg.seed + 1_000 + client_index)
        self.read_sessions = [*ds.sessions, ds.big_session]
        self.known_ids = [
            (session, mid)
            for session in self.read_sessions
            for mid in ds.message_ids.get(session, [])
        ]
        self.n = 0

    def _op(self) -> str:
        r, acc = self.rng.random(), 0.0
        for op, share in MIX:
            acc += share
            if r < acc:
                return op
        return MIX[-1][0]

    def next(self) -> Call:
        self.n += 1
        ds, rng, op = self.ds, self.rng, self._op()
        if op == "list messages":
            session = rng.choice(self.read_sessions)
            url = ds.messages_url(session, "/list")
            r = rng.random()
            if r < 0.7:  # a chat client reading the latest page
                return Call(op, "POST", url, {"size": 50, "reverse": "true"})
            if r < 0.9:
                return Call(op, "POST", url, {"size": 50, "page": rng.randint(1, 10)})
            body = {"filters": {"peer_id": rng.choice(ds.users)}}
            return Call(op, "POST", url, {"size": 50}, body)
        if op == "add 10 messages":
            index = rng.randrange(len(ds.sessions))
            body = ds.batch(index, rng.randrange(1_000_000), self.cfg.mixed_batch)
            return Call(op, "POST", ds.messages_url(ds.sessions[index]), None, body)
        if op == "get-or-create peer":
            new = rng.random() < NEW_NAME_SHARE
            name = f"mix-{self.k}-peer-{self.n}" if new else rng.choice(ds.peers)
            return Call(op, "POST", ds.url("/peers"), None, {"id": name})
        if op == "get-or-create session":
            new = rng.random() < NEW_NAME_SHARE
            name = f"mix-{self.k}-session-{self.n}" if new else rng.choice(ds.sessions)
            return Call(op, "POST", ds.url("/sessions"), None, {"id": name})
        if op == "get message" and self.known_ids:
            session, mid = rng.choice(self.known_ids)
            return Call(op, "GET", ds.messages_url(session, f"/{mid}"))
        session = rng.choice(self.read_sessions)
        return Call("list session peers", "GET", ds.url(f"/sessions/{session}/peers"))


async def _send(client: httpx.AsyncClient, call: Call, recorders: dict[str, Recorder]) -> None:
    await timed(
        client, recorders[call.op], call.method, call.url, json=call.body, params=call.params
    )


async def mixed(base_url: str, ds: Dataset, cfg: BenchConfig, log: Log) -> dict[str, Any]:
    ops = [op for op, _ in MIX]
    recorders = {op: Recorder() for op in ops}
    warm = {op: Recorder() for op in ops}
    pickers = [MixPicker(ds, cfg, k) for k in range(cfg.mixed_clients)]
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(make_client(base_url, cfg.request_timeout_s))
            for _ in range(cfg.mixed_clients)
        ]

        async def warm_up(client: httpx.AsyncClient, picker: MixPicker) -> None:
            for _ in range(WARMUP_PER_CLIENT):
                await _send(client, picker.next(), warm)

        await asyncio.gather(*(warm_up(c, p) for c, p in zip(clients, pickers, strict=True)))
        start, cpu_start = time.perf_counter(), cpu_seconds()
        deadline = start + min(cfg.mixed_seconds, cfg.scenario_time_limit_s)

        async def user(client: httpx.AsyncClient, picker: MixPicker) -> None:
            for _ in range(cfg.mixed_max_requests_per_client):
                if time.perf_counter() >= deadline:
                    return
                await _send(client, picker.next(), recorders)

        await asyncio.gather(*(user(c, p) for c, p in zip(clients, pickers, strict=True)))
        elapsed = time.perf_counter() - start
        client_cpu = cpu_seconds() - cpu_start
    total = Recorder()
    for op, rec in recorders.items():
        rec.add_errors(warm[op])
        total.merge(rec)
    result = total.summary()
    result.update(
        clients=cfg.mixed_clients,
        seconds=round(elapsed, 3),
        requests_per_s=round(len(total.latencies_ms) / elapsed, 1) if elapsed > 0 else 0.0,
        client_cpu_percent=round(100 * client_cpu / elapsed, 1) if elapsed > 0 else 0.0,
        operations={op: rec.summary() for op, rec in recorders.items()},
    )
    log(
        f"mixed: {result['requests_per_s']:.0f} req/s, p50 {result['p50_ms'] or 0:.1f} ms, "
        f"p95 {result['p95_ms'] or 0:.1f} ms, {result['errors']} errors, "
        f"load generator at {result['client_cpu_percent']:.0f}% of a core"
    )
    return result
