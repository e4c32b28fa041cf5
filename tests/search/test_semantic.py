"""Message search by meaning with the REAL local embedding model (all-MiniLM-L6-v2, 384
dimensions) on a database built for it (`conftest.py`): through the deriver queue, and in the
write path with EMBED_MESSAGES_SYNCHRONOUSLY. The queries share no word with the messages they
must find, so only the vector leg can find them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.deriver.conftest import status, wait_drained
from tests.search.conftest import MODEL_LOAD_TIMEOUT, SemanticStack, admin_url
from tests.search.helpers import contents, peer_route, search, session_route, write, ws_route
from tests.support import unique

PUPPY = "I adopted a puppy last week"
VIOLIN = "My daughter just started learning the violin"


def _embeddings(url: str, workspace: str) -> int:
    with psycopg.connect(admin_url(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM message_embeddings WHERE workspace_name = %s", (workspace,)
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def sync_api(semantic: SemanticStack) -> Iterator[httpx.Client]:
    """The synchronous-embedding API; it also answers the queue test's searches, so that only
    two processes load the model."""
    assert semantic.sync is not None
    with httpx.Client(base_url=semantic.sync.base_url, timeout=MODEL_LOAD_TIMEOUT) as client:
        yield client


@pytest.fixture(scope="module")
def queue_api(semantic: SemanticStack) -> Iterator[httpx.Client]:
    assert semantic.queued is not None
    with httpx.Client(base_url=semantic.queued.base_url, timeout=30.0) as client:
        yield client


def test_queued_embeddings_make_messages_searchable_by_meaning(
    semantic: SemanticStack, sync_api: httpx.Client, queue_api: httpx.Client
) -> None:
    """Queue mode: once the deriver drains the embed items, messages are found by meaning."""
    ws = unique("queued")
    written = write(
        queue_api,
        ws,
        "s1",
        ("alice", "The stock market closed higher today"),
        ("alice", VIOLIN),
        ("bob", "I need new tires for my car"),
    )
    wait_drained(queue_api, ws, timeout=MODEL_LOAD_TIMEOUT)
    done = status(queue_api, ws)
    assert done["total_work_units"] == done["completed_work_units"] == len(written)
    assert done["failed_work_units"] == 0, done
    assert _embeddings(semantic.url, ws) == len(written)
    found = search(sync_api, ws_route(ws), "what instrument does the child play?")
    assert found and found[0]["content"] == VIOLIN
    assert found[0]["id"] == written[1]["id"]
    in_session = search(sync_api, session_route(ws, "s1"), "what instrument does the child play?")
    assert contents(in_session)[0] == VIOLIN


def test_synchronous_mode_is_searchable_by_meaning_right_after_the_write(
    semantic: SemanticStack, sync_api: httpx.Client
) -> None:
    """Sync mode, no deriver: searchable by meaning right after the write, nothing queued."""
    assert semantic.deriver is not None
    semantic.deriver.stop()  # from here on, no deriver at all
    ws = unique("sync")
    written = write(
        sync_api,
        ws,
        "s1",
        ("alice", "The quarterly tax filing is due on Friday"),
        ("alice", PUPPY),
        ("bob", "My flight to Berlin was delayed by three hours"),
        ("bob", "We repainted the kitchen walls yellow"),
    )
    assert _embeddings(semantic.url, ws) == len(written)
    found = search(sync_api, ws_route(ws), "what pet does she have?")
    assert found and found[0]["content"] == PUPPY
    assert found[0]["id"] == written[1]["id"]
    assert status(sync_api, ws)["total_work_units"] == 0
    by_alice = search(sync_api, peer_route(ws, "alice"), "what pet does she have?")
    assert contents(by_alice)[0] == PUPPY
    by_bob = search(sync_api, peer_route(ws, "bob"), "what pet does she have?")
    assert PUPPY not in contents(by_bob) and {m["peer_id"] for m in by_bob} == {"bob"}
    filtered = search(sync_api, ws_route(ws), "what pet does she have?", filters={"peer_id": "bob"})
    assert PUPPY not in contents(filtered)
    assert search(sync_api, session_route(ws, "other"), "what pet does she have?") == []
    assert len(search(sync_api, ws_route(ws), "what pet does she have?", limit=1)) == 1
