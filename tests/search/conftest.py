"""The semantic-search stack for `test_semantic.py`: a database built for the REAL local
embedding model (all-MiniLM-L6-v2, 384 dimensions), a synchronous-embedding API, a queue-mode
API and a deriver that only embeds.

Loading the model costs a process ~20 s of CPU, so only two processes ever load it (the
synchronous API, which answers every semantic search, and the deriver; the queue-mode API only
writes), and the whole stack is started in the background as soon as the first search test runs
(when the session includes `test_semantic.py`), so the loading overlaps the full-text tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from tests.conftest import _server_env
from tests.support import (
    PROJECT_ROOT,
    LiveServer,
    WorkerProcess,
    start_deriver,
    start_server,
    unique,
)

LOCAL = {
    "LLM_EMBEDDING_PROVIDER": "local",
    "LLM_EMBEDDING_DIMENSIONS": "384",
    "DERIVER_POLLING_SLEEP_INTERVAL_SECONDS": "0.2",
    "LOG_LEVEL": "INFO",
}
MODEL_LOAD_TIMEOUT = 240.0  # the first embedding imports torch and loads the model


def admin_url(url: str) -> str:
    """A libpq URL for psycopg."""
    return make_url(url).render_as_string(hide_password=False).replace("+psycopg", "")


@dataclass
class SemanticStack:
    url: str = ""
    sync: LiveServer | None = None  # EMBED_MESSAGES_SYNCHRONOUSLY=true
    queued: LiveServer | None = None  # embeddings through the deriver queue
    deriver: WorkerProcess | None = None
    warming: list[threading.Thread] = field(default_factory=list)


def _warm(call: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):
            call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _launch(stack: SemanticStack, database_url: str, logs_dir: Path) -> SemanticStack:
    name = unique("semantic").replace("-", "_")
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    stack.url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "src.cli", "migrate"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **_server_env(stack.url, **LOCAL)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = _server_env(stack.url, **LOCAL)
    with ThreadPoolExecutor(3) as pool:
        sync = pool.submit(
            start_server, "api", {**env, "EMBED_MESSAGES_SYNCHRONOUSLY": "true"}, logs_dir
        )
        queued = pool.submit(start_server, "api", env, logs_dir)
        deriver = pool.submit(start_deriver, env, logs_dir)
        stack.sync, stack.queued, stack.deriver = sync.result(), queued.result(), deriver.result()
    sync_url, queued_url = stack.sync.base_url, stack.queued.base_url
    # Make both processes load the model now: a search on the synchronous API, and a message
    # for the deriver to embed.
    stack.warming = [
        _warm(
            lambda: httpx.post(
                f"{sync_url}/v2/workspaces/warm-up/search",
                json={"query": "warm up"},
                timeout=MODEL_LOAD_TIMEOUT,
            )
        ),
        _warm(
            lambda: httpx.post(
                f"{queued_url}/v2/workspaces/warm-up/sessions/warm-up/messages/",
                json={"messages": [{"peer_id": "warm-up", "content": "warm up"}]},
                timeout=30,
            )
        ),
    ]
    return stack


@pytest.fixture(scope="session")
def semantic_launch(database_url: str, logs_dir: Path) -> Iterator[Future[SemanticStack]]:
    stack = SemanticStack()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(_launch, stack, database_url, logs_dir)
        yield future
        with contextlib.suppress(Exception):
            future.result(timeout=MODEL_LOAD_TIMEOUT)
    for thread in stack.warming:
        thread.join(timeout=MODEL_LOAD_TIMEOUT)
    for process in (stack.deriver, stack.sync, stack.queued):
        if process is not None:
            process.stop()
    if stack.url:
        name = make_url(stack.url).database
        with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
            )


@pytest.fixture(scope="session", autouse=True)
def _launch_semantic_stack_early(request: pytest.FixtureRequest) -> None:
    """Start the stack with the first search test when semantic tests will run."""
    if any(item.path.name == "test_semantic.py" for item in request.session.items):
        request.getfixturevalue("semantic_launch")


@pytest.fixture(scope="session")
def semantic(semantic_launch: Future[SemanticStack]) -> SemanticStack:
    return semantic_launch.result(timeout=MODEL_LOAD_TIMEOUT)
