"""A throwaway server to measure: embedded PostgreSQL in a temp dir, migrated, and a real
`honcho api` process on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATABASE = "honcho_bench"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class BenchServer:
    base_url: str
    log_path: Path
    description: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _server_env(database_url: str) -> dict[str, str]:
    """The caller's environment, pointed at the bench database, quiet, and without the project's
    config.toml/.env, so every run measures the same default configuration."""
    env = dict(os.environ)
    env.update(
        DB_CONNECTION_URI=database_url,
        LOG_LEVEL="WARNING",
        HONCHO_CONFIG_FILE="/nonexistent/config.toml",
        HONCHO_ENV_FILE="/nonexistent/.env",
    )
    return env


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"honcho api exited with {process.returncode}:\n{_tail(log_path)}")
        with suppress(httpx.HTTPError):
            if httpx.get(base_url + "/openapi.json", timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"honcho api was not ready after {READY_TIMEOUT_S:.0f}s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def local_server(api_workers: int, log: bool = True) -> Iterator[BenchServer]:
    """Start embedded PostgreSQL + `honcho api --workers N`; stop both and delete the data."""
    from src.db.embedded import start_embedded
    from src.db.migrate import upgrade_to_head

    workdir = Path(tempfile.mkdtemp(prefix="honcho-bench-"))
    log_path = workdir / "api.log"
    embedded = None
    process: subprocess.Popen[bytes] | None = None
    try:
        if log:
            print(f"bench: starting embedded PostgreSQL in {workdir}", file=sys.stderr)
        embedded = start_embedded(workdir / "pgdata", DATABASE)
        upgrade_to_head(embedded.url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "src.cli", "api", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(api_workers)]
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=_server_env(embedded.url),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(process, base_url, log_path)
        if log:
            print(f"bench: honcho api ({api_workers} worker(s)) on {base_url}", file=sys.stderr)
        description = f"honcho api --workers {api_workers}, embedded PostgreSQL (temp dir)"
        yield BenchServer(base_url, log_path, description)
    finally:
        if process is not None:
            _stop(process)
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(workdir, ignore_errors=True)
