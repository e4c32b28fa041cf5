"""Benchmark sizes (full, quick, smoke) and the reference server's figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class BenchConfig:
    name: str = "full"
    # (1) batch ingestion
    ingest_messages: int = 20_000
    ingest_batch: int = 100
    ingest_clients: int = 8
    ingest_sessions: int = 20
    # (2) list messages, on one session seeded with this many messages
    list_session_messages: int = 10_000
    list_page_size: int = 50
    list_requests: int = 400
    # (3) get-or-create, requests per kind (peer/session x existing/new)
    goc_requests: int = 200
    # (4) mixed read/write load
    mixed_clients: int = 32
    mixed_seconds: float = 20.0
    mixed_batch: int = 10
    mixed_max_requests_per_client: int = 100_000
    # shared
    peers: int = 8
    warmup_requests: int = 10
    request_timeout_s: float = 60.0
    scenario_time_limit_s: float = 300.0
    seed: int = 20_240_601

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = BenchConfig()

QUICK = replace(
    FULL,
    name="quick",
    ingest_messages=2_000,
    list_session_messages=1_000,
    list_requests=100,
    goc_requests=40,
    mixed_seconds=5.0,
    warmup_requests=5,
    scenario_time_limit_s=60.0,
)

# For the test suite: every code path, a few seconds, no meaningful figures.
SMOKE = replace(
    FULL,
    name="smoke",
    ingest_messages=200,
    ingest_batch=20,
    ingest_clients=4,
    ingest_sessions=4,
    list_session_messages=200,
    list_requests=20,
    goc_requests=5,
    mixed_clients=4,
    mixed_seconds=1.5,
    peers=4,
    warmup_requests=2,
    request_timeout_s=30.0,
    scenario_time_limit_s=30.0,
)

PRESETS = {c.name: c for c in (FULL, QUICK, SMOKE)}


@dataclass(frozen=True)
class Reference:
    """The reference server on a 2-core machine, and this project's aims (issue text)."""

    ingest_msgs_per_s: float = 1_100.0
    mixed_rps: float = 35.0
    mixed_p95_ms: float = 2_000.0  # "p95 above 2 s"
    ingest_factor: float = 5.0
    mixed_factor: float = 10.0

    @property
    def ingest_target(self) -> float:
        return self.ingest_msgs_per_s * self.ingest_factor

    @property
    def mixed_target(self) -> float:
        return self.mixed_rps * self.mixed_factor


REFERENCE = Reference()


# -- the deriver benchmark -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeriverSetup:
    """`processes` `honcho deriver` processes with DERIVER_WORKERS=`workers` each."""

    processes: int
    workers: int = 1

    @property
    def label(self) -> str:
        text = f"{self.processes} process" + ("es" if self.processes > 1 else "")
        return text if self.workers == 1 else f"{text} x{self.workers}"


@dataclass(frozen=True)
class DeriverBenchConfig:
    name: str = "full"
    setups: tuple[DeriverSetup, ...] = (
        DeriverSetup(1),
        DeriverSetup(2),
        DeriverSetup(1, workers=4),
    )
    # (1) throughput: `messages` over `sessions`, batches of batch_min..batch_max messages
    # written by `clients` as fast as possible; then wait until the status reports drained
    messages: int = 2_000
    sessions: int = 40
    batch_min: int = 10
    batch_max: int = 50
    clients: int = 8
    # (2) latency: `trickle_sessions` each write one message every `trickle_interval_s`
    trickle_sessions: int = 20
    trickle_interval_s: float = 0.5
    trickle_seconds: float = 15.0
    # how often the harness looks for new observations (SQL) and polls the deriver status
    observation_poll_s: float = 0.02
    status_poll_s: float = 0.1
    drain_timeout_s: float = 300.0
    request_timeout_s: float = 60.0
    seed: int = 20_240_602

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DERIVER_FULL = DeriverBenchConfig()

DERIVER_QUICK = replace(
    DERIVER_FULL,
    name="quick",
    messages=600,
    sessions=12,
    trickle_sessions=10,
    trickle_seconds=6.0,
    drain_timeout_s=120.0,
)

# For the test suite: every code path, a few seconds, no meaningful figures.
DERIVER_SMOKE = replace(
    DERIVER_FULL,
    name="smoke",
    setups=(DeriverSetup(1, workers=2),),
    messages=40,
    sessions=4,
    batch_min=4,
    batch_max=8,
    clients=2,
    trickle_sessions=2,
    trickle_seconds=1.5,
    drain_timeout_s=60.0,
    request_timeout_s=30.0,
)

DERIVER_PRESETS = {c.name: c for c in (DERIVER_FULL, DERIVER_QUICK, DERIVER_SMOKE)}
