"""Concurrent writers: no deadlock, no lost message, gap-free ordered sequence numbers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from tests.support import LiveServer


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_concurrent_batches_to_one_session(
    api_server: LiveServer, workspace: str, database_url: str
) -> None:
    writers, batches, size = 8, 6, 25

    def write(writer: int) -> None:
        with httpx.Client(base_url=api_server.base_url, timeout=60) as c:
            for b in range(batches):
                # Every batch brings new authors too, so peer and membership upserts contend.
                msgs = [
                    {"peer_id": f"w{writer}-p{i % 3}", "content": f"{writer}:{b}:{i}"}
                    for i in range(size)
                ]
                r = c.post(
                    f"/v2/workspaces/{workspace}/sessions/hot/messages/", json={"messages": msgs}
                )
                assert r.status_code == 200, r.text

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))

    with psycopg.connect(_libpq(database_url)) as conn:
        rows = conn.execute(
            "SELECT seq_in_session, content FROM messages WHERE workspace_name = %s "
            "AND session_name = 'hot' ORDER BY id",
            (workspace,),
        ).fetchall()
    total = writers * batches * size
    assert len(rows) == total
    assert [r[0] for r in rows] == list(range(1, total + 1))  # gap-free, in id order
    # Each batch is contiguous and in request order.
    for start in range(0, total, size):
        chunk = [r[1] for r in rows[start : start + size]]
        writer, batch, _ = chunk[0].split(":")
        assert chunk == [f"{writer}:{batch}:{i}" for i in range(size)]


def test_concurrent_batches_across_sessions_sharing_new_peers(
    api_server: LiveServer, workspace: str
) -> None:
    def write(session: int) -> int:
        with httpx.Client(base_url=api_server.base_url, timeout=60) as c:
            peers = [f"shared{i}" for i in range(10)]
            # Opposite orders in alternate sessions: would deadlock without ordered upserts.
            if session % 2:
                peers.reverse()
            msgs = [{"peer_id": p, "content": "hi"} for p in peers]
            r = c.post(
                f"/v2/workspaces/{workspace}/sessions/s{session}/messages/", json={"messages": msgs}
            )
            return r.status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(write, range(24)))
    assert codes == [200] * 24
