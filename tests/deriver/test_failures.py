"""The deriver never goes quiet: retries, recorded failures, timeouts, odd providers."""

from __future__ import annotations

import httpx

from tests.deriver.conftest import DeriverFactory, observations, send, status, wait_drained
from tests.deriver.scripted import ScriptedLLM, kind, new_messages
from tests.fakes.script import Reply
from tests.fakes.vendor import FakeVendor


def test_rate_limit_is_retried_once_per_batch(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """A 429 costs one more call for the whole batch, never one per message."""
    send(api, ws, "s", *[("alice", f"fact number {i}") for i in range(5)])
    vendor.queue(Reply.error(429, retry_after=0.2))
    deriver()
    wait_drained(api, ws)
    extraction = [r for r in vendor.chat_requests() if kind(r) == "extraction"]
    assert len(extraction) == 2
    assert len(observations(api, ws, "alice", "alice")) == 5


def test_failing_item_is_recorded_and_the_session_moves_on(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """A message the provider always fails on is retried with backoff, then recorded as failed
    with its error, visible in the status API; later messages of the session still get derived."""

    def handler(request):  # type: ignore[no-untyped-def]
        poisoned = any("POISON" in m.content for m in new_messages(request))
        if kind(request) == "extraction" and poisoned:
            return Reply.error(500)
        return llm(request)

    vendor.on_chat(handler)
    send(api, ws, "s", ("alice", "POISON pill"))
    send(api, ws, "s", ("alice", "I like tea"))
    deriver(DERIVER_MAX_ATTEMPTS="2")
    wait_drained(api, ws)
    done = wait_drained(api, ws, sender_id="alice")  # representation items (embeddings aside)
    assert done["failed_work_units"] == 1 and done["completed_work_units"] == 1
    failure = done["recent_failures"][0]
    assert failure["session_id"] == "s" and failure["attempts"] == 2
    assert "500" in failure["error"]
    assert observations(api, ws, "alice", "alice") == ["alice said: I like tea"]


def test_provider_that_ignores_the_schema(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Prose around the JSON is tolerated; an answer of the wrong shape gets one repair call."""
    fact = '{"peer": "alice", "content": "alice owns a cat", "sources": [1]}'
    fenced = f'Sure! Here are the facts:\n```json\n{{"facts": [{fact}]}}\n```'
    vendor.queue(Reply.raw(fenced))
    send(api, ws, "s1", ("alice", "I own a cat"))
    deriver()
    wait_drained(api, ws)
    assert observations(api, ws, "alice", "alice") == ["alice owns a cat"]

    vendor.queue(Reply.raw("Alice seems to like dogs a lot."))  # then the scripted LLM repairs
    send(api, ws, "s2", ("alice", "I like dogs"))
    wait_drained(api, ws)
    assert "alice said: I like dogs" in observations(api, ws, "alice", "alice")
    last_two = [r for r in vendor.chat_requests() if kind(r) == "extraction"][-2:]
    assert (
        "Alice seems to like dogs" in last_two[1].messages[-2][1]
    )  # the repair shows the bad answer


def test_hanging_provider_times_out_and_is_retried(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """A provider that never answers costs LLM_TIMEOUT_SECONDS, not a frozen worker."""
    vendor.queue(Reply.hang(30), Reply.hang(30))
    send(api, ws, "s", ("alice", "I live in Porto"))
    deriver(LLM_TIMEOUT_SECONDS="1")
    done = wait_drained(api, ws, timeout=60, sender_id="alice")
    assert done["completed_work_units"] == 1
    assert observations(api, ws, "alice", "alice") == ["alice said: I live in Porto"]


def test_without_llm_derivation_is_off_and_says_so(client: httpx.Client, workspace: str) -> None:
    """A server with no LLM stores messages, enqueues nothing, and reports derivation off."""
    client.post(
        f"/v2/workspaces/{workspace}/sessions/s/messages/",
        json={"messages": [{"peer_id": "alice", "content": "hello"}]},
    )
    body = status(client, workspace)
    assert body["derivation"]["enabled"] is False
    assert "LLM_OPENAI_API_KEY" in body["derivation"]["detail"]
    assert body["total_work_units"] == 0


def test_work_behind_a_given_up_item_is_not_stranded(
    api: httpx.Client, ws: str, vendor: FakeVendor, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """When the oldest item of a batch is given up, the rest of the unit is handed to a new job
    at once (not left for the periodic reconcile, here pushed out of reach by a long lease)."""

    def handler(request):  # type: ignore[no-untyped-def]
        poisoned = any("POISON" in m.content for m in new_messages(request))
        return Reply.error(500) if kind(request) == "extraction" and poisoned else llm(request)

    vendor.on_chat(handler)
    send(api, ws, "s", ("alice", "POISON first"), ("alice", "I sail"), ("alice", "I sing"))
    deriver(DERIVER_MAX_ATTEMPTS="1", DERIVER_LEASE_TIMEOUT_SECONDS="600")
    done = wait_drained(api, ws, timeout=60, sender_id="alice")
    assert done["failed_work_units"] == 1 and done["completed_work_units"] == 2
    assert sorted(observations(api, ws, "alice", "alice")) == [
        "alice said: I sail",
        "alice said: I sing",
    ]
