"""Load-generation primitives: HTTP clients, timed requests, latency statistics, message text."""

from __future__ import annotations

import math
import random
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_ERROR_SAMPLES = 5

_VOCABULARY = (
    "the a an and but or so because when while after before if then also just really very "
    "I you we they he she it my your our their this that these those here there today tomorrow "
    "yesterday morning evening week weekend month year time day night plan trip meeting project "
    "team work home family friend dinner lunch coffee book movie music song game garden dog cat "
    "car train flight city beach mountain weather rain sun idea question answer problem reason "
    "think know want need like love prefer remember forget try start finish call write read send "
    "buy cook visit travel meet help learn teach build fix move change keep feel seem look sound "
    "good great better best new old big small long short early late busy quiet happy tired sure "
    "probably maybe actually definitely still already never always sometimes usually again soon "
    "about with without for from into over under between during since until around through"
)
_WORDS = tuple(_VOCABULARY.split())

TOPICS = ("travel", "work", "food", "health", "family", "hobbies")


def make_client(base_url: str, timeout_s: float) -> httpx.AsyncClient:
    """One simulated user: one keep-alive connection, no proxies from the environment."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_s,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        trust_env=False,
    )


def message_text(rng: random.Random) -> str:
    """A chat message of 20-60 words in a few sentences."""
    words = rng.choices(_WORDS, k=rng.randint(20, 60))
    sentences: list[str] = []
    start = 0
    while start < len(words):
        end = min(len(words), start + rng.randint(6, 15))
        sentence = " ".join(words[start:end])
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice(".....?!"))
        start = end
    return " ".join(sentences)


def text_pool(seed: int, size: int = 2_000) -> list[str]:
    rng = random.Random(seed)
    return [message_text(rng) for _ in range(size)]


def cpu_seconds() -> float:
    """CPU time of this process (the load generator, not the server or PostgreSQL)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN when there is no value."""
    if not sorted_values:
        return math.nan
    rank = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class Recorder:
    """Latencies of successful requests and a count (with samples) of failed ones."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def ok(self, ms: float) -> None:
        self.latencies_ms.append(ms)

    def fail(self, detail: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(detail)

    def add_errors(self, other: Recorder) -> None:
        """Count `other`'s errors here (e.g. those of a warm-up), not its latencies."""
        self.errors += other.errors
        room = MAX_ERROR_SAMPLES - len(self.error_samples)
        self.error_samples.extend(other.error_samples[: max(0, room)])

    def merge(self, other: Recorder) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.add_errors(other)

    def summary(self) -> dict[str, Any]:
        """Counts and latency figures in ms (None when no request succeeded)."""
        values = sorted(self.latencies_ms)

        def ms(value: float) -> float | None:
            return None if math.isnan(value) else round(value, 2)

        return {
            "requests": len(values) + self.errors,
            "ok": len(values),
            "errors": self.errors,
            "p50_ms": ms(percentile(values, 50)),
            "p95_ms": ms(percentile(values, 95)),
            "p99_ms": ms(percentile(values, 99)),
            "mean_ms": ms(statistics.fmean(values)) if values else None,
            "max_ms": ms(values[-1]) if values else None,
            "error_samples": list(self.error_samples),
        }


async def timed(
    client: httpx.AsyncClient,
    recorder: Recorder,
    method: str,
    url: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response | None:
    """Send one request and record its latency; None (and an error) on a transport error or an
    error status."""
    start = time.perf_counter()
    try:
        response = await client.request(method, url, json=json, params=params)
    except httpx.HTTPError as exc:
        recorder.fail(f"{method} {url}: {type(exc).__name__}: {exc}")
        return None
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    if response.status_code >= 400:
        recorder.fail(f"{method} {url} -> {response.status_code}: {response.text[:200]}")
        return None
    recorder.ok(elapsed_ms)
    return response
