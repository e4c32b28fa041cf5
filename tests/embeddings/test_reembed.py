"""A database built for one embedding size: refused at startup, rebuilt by `honcho reembed`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from src.db.migrate import upgrade_to_head
from tests.fakes.vendor import FakeVendor, start_fake_vendor
from tests.support import PROJECT_ROOT


@pytest.fixture(scope="module")
def vendor() -> Iterator[FakeVendor]:
    fake = start_fake_vendor()
    yield fake
    fake.stop()


def _honcho(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "src.cli", *args],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "HONCHO_CONFIG_FILE": "/nonexistent",
            "HONCHO_ENV_FILE": "/nonexistent",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_other_dimension_is_refused_then_reembedded(scratch_url: str, vendor: FakeVendor) -> None:
    """The API will not start on 1536-dim vectors when configured for 64, and names the command;
    `honcho reembed` resizes the column and recomputes every stored vector."""
    upgrade_to_head(scratch_url)  # built for the default 1536 dimensions
    libpq = scratch_url.replace("+psycopg", "")
    with psycopg.connect(libpq) as conn:
        conn.execute("INSERT INTO workspaces (id, name) VALUES ('w0000000000000000000', 'w')")
        conn.execute(
            "INSERT INTO peers (id, workspace_name, name) "
            "VALUES ('p0000000000000000000', 'w', 'alice')"
        )
        for i, content in enumerate(["alice likes tea", "alice lives in Porto"]):
            conn.execute(
                "INSERT INTO documents (id, workspace_name, observer, observed, content) "
                "VALUES (%s, 'w', 'alice', 'alice', %s)",
                (f"d{i:020d}", content),
            )
    env = {
        "DB_CONNECTION_URI": scratch_url,
        "LLM_EMBEDDING_DIMENSIONS": "64",
        "LLM_EMBEDDING_PROVIDER": "custom",
        "LLM_EMBEDDING_MODEL": "text-embedding-3-small",
        "LLM_OPENAI_COMPATIBLE_BASE_URL": vendor.openai_base_url,
        "LLM_OPENAI_COMPATIBLE_MODEL": "scripted-model",
    }
    refused = _honcho("api", "--port", "1", env=env)
    assert refused.returncode != 0
    assert "honcho reembed" in refused.stderr and "1536" in refused.stderr

    done = _honcho("reembed", env=env)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(libpq) as conn:
        dims = conn.execute("SELECT vector_dims(embedding) FROM documents ORDER BY id").fetchall()
        meta = conn.execute(
            "SELECT value FROM honcho_meta WHERE key = 'embedding_dimensions'"
        ).fetchone()
        index = conn.execute(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_documents_embedding'"
        ).fetchone()
    assert dims == [(64,), (64,)] and meta == (64,) and index == (1,)
    assert _honcho("migrate", env=env).returncode == 0
