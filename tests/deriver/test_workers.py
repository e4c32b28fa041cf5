"""Worker processes under stress: SIGKILL, SIGTERM, two workers on one queue."""

from __future__ import annotations

import signal
import time
from collections import Counter

import httpx

from tests.deriver.conftest import DeriverFactory, observations, send, status, wait_drained
from tests.deriver.scripted import ScriptedLLM, kind
from tests.fakes.script import Reply
from tests.fakes.vendor import FakeVendor


def _wait_for_extraction_calls(vendor: FakeVendor, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for r in vendor.chat_requests() if kind(r) == "extraction") < count:
        assert time.monotonic() < deadline, "the deriver never called the model"
        time.sleep(0.1)


def test_sigkill_mid_batch_loses_nothing_and_writes_nothing_twice(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """A worker killed while its model call is in flight: after the lease expires another worker
    re-runs the batch, and every fact is stored exactly once."""
    vendor.queue(Reply.hang(120))
    first = deriver(DERIVER_LEASE_TIMEOUT_SECONDS="5")
    send(api, ws, "s", ("alice", "I grow tomatoes"), ("alice", "I keep bees"))
    _wait_for_extraction_calls(vendor, 1)
    first.stop(signal.SIGKILL)
    assert status(api, ws, sender_id="alice")["completed_work_units"] == 0
    second = deriver(DERIVER_LEASE_TIMEOUT_SECONDS="5")
    wait_drained(api, ws, timeout=90)
    facts = observations(api, ws, "alice", "alice")
    assert Counter(facts) == Counter(["alice said: I grow tomatoes", "alice said: I keep bees"])
    assert "re-queueing" in second.log()


def test_sigterm_finishes_the_current_batch_and_hands_back_the_rest(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """SIGTERM lets the batch in flight finish, exits cleanly, and leaves later work queued for
    the next worker."""

    def slow(request):  # type: ignore[no-untyped-def]
        return Reply.hang(2, then=llm(request)) if kind(request) == "extraction" else llm(request)

    vendor.on_chat(slow)
    worker = deriver()
    send(api, ws, "s1", ("alice", "first session fact"))
    _wait_for_extraction_calls(vendor, 1)
    send(api, ws, "s2", ("bob", "second session fact"))
    assert worker.stop(signal.SIGTERM) == 0
    assert "deriver stopped" in worker.log()
    after = status(api, ws, session_id="s1", sender_id="alice")
    assert after["completed_work_units"] == 1
    assert after["failed_work_units"] == 0
    vendor.on_chat(llm)
    deriver()
    wait_drained(api, ws)
    assert observations(api, ws, "bob", "bob") == ["bob said: second session fact"]


def test_two_workers_share_one_queue(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Two deriver processes split the sessions between them; each message is derived once and
    each session stays in order."""

    def slow(request):  # type: ignore[no-untyped-def]
        return Reply.hang(0.3, then=llm(request))

    vendor.on_chat(slow)
    workers = [deriver(), deriver()]
    for round_ in range(3):
        for i in range(6):
            send(api, ws, f"s{i}", (f"p{i}", f"round {round_} from p{i}"))
    wait_drained(api, ws, timeout=120)
    for i in range(6):
        assert sorted(observations(api, ws, f"p{i}", f"p{i}")) == [
            f"p{i} said: round {r} from p{i}" for r in range(3)
        ]
        rounds = [m.content for call in llm.extraction_calls for m in call if m.peer == f"p{i}"]
        assert rounds == [f"round {r} from p{i}" for r in range(3)]  # in order, once each
    assert all("derived " in w.log() for w in workers), "one worker did all the work"
