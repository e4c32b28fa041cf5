"""Throwaway processes to measure: embedded PostgreSQL in a temp dir (migrated), real `honcho api`
processes on free loopback ports and `honcho deriver` processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATABASE = "honcho_bench"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
DERIVER_STOP_TIMEOUT_S = 60.0
# Settings of the machine's own environment that would change what the deriver part measures.
_LLM_PREFIXES = ("LLM_", "DERIVER_", "SUMMARY_", "PEER_CARD_")


@dataclass(frozen=True)
class BenchServer:
    base_url: str
    log_path: Path
    description: str
    pid: int = 0


@dataclass(frozen=True)
class BenchDatabase:
    url: str  # SQLAlchemy URL, as DB_CONNECTION_URI takes it
    workdir: Path  # for logs; removed with the database
    description: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _server_env(
    database_url: str, extra: Mapping[str, str] | None = None, *, log_level: str = "WARNING"
) -> dict[str, str]:
    """The caller's environment, pointed at the bench database, quiet, and without the project's
    config.toml/.env, so every run measures the same default configuration. With `extra` (the
    deriver part's LLM settings) the caller's own LLM_*/DERIVER_*/... settings are dropped."""
    env = dict(os.environ)
    if extra is not None:
        env = {k: v for k, v in env.items() if not k.upper().startswith(_LLM_PREFIXES)}
    env.update(
        DB_CONNECTION_URI=database_url,
        LOG_LEVEL=log_level,
        HONCHO_CONFIG_FILE="/nonexistent/config.toml",
        HONCHO_ENV_FILE="/nonexistent/.env",
    )
    env.update(extra or {})
    return env


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"honcho api exited with {process.returncode}:\n{tail(log_path)}")
        with suppress(httpx.HTTPError):
            if httpx.get(base_url + "/openapi.json", timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"honcho api was not ready after {READY_TIMEOUT_S:.0f}s:\n{tail(log_path)}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def embedded_database(log: bool = True) -> Iterator[BenchDatabase]:
    """Start embedded PostgreSQL in a temp dir and migrate it; stop it and delete the data."""
    from src.db.embedded import start_embedded
    from src.db.migrate import upgrade_to_head

    workdir = Path(tempfile.mkdtemp(prefix="honcho-bench-"))
    embedded = None
    try:
        if log:
            print(f"bench: starting embedded PostgreSQL in {workdir}", file=sys.stderr)
        embedded = start_embedded(workdir / "pgdata", DATABASE)
        upgrade_to_head(embedded.url)
        yield BenchDatabase(embedded.url, workdir, "embedded PostgreSQL (temp dir)")
    finally:
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def api_process(
    database_url: str,
    api_workers: int,
    log_path: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    log: bool = True,
    what: str = "",
) -> Iterator[BenchServer]:
    """`honcho api --workers N` on a free loopback port, stopped on exit."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "src.cli", "api", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(api_workers)]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=_server_env(database_url, extra_env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, base_url, log_path)
        if log:
            print(
                f"bench: honcho api ({api_workers} worker(s){what}) on {base_url}", file=sys.stderr
            )
        description = f"honcho api --workers {api_workers}"
        yield BenchServer(base_url, log_path, description, process.pid)
    finally:
        stop_process(process)


@contextmanager
def local_server(api_workers: int, log: bool = True) -> Iterator[BenchServer]:
    """Start embedded PostgreSQL + `honcho api --workers N`; stop both and delete the data."""
    with ExitStack() as stack:
        db = stack.enter_context(embedded_database(log))
        server = stack.enter_context(
            api_process(db.url, api_workers, db.workdir / "api.log", log=log)
        )
        description = f"{server.description}, {db.description}"
        yield BenchServer(server.base_url, server.log_path, description, server.pid)


@dataclass(frozen=True)
class DeriverProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_started(derivers: list[DeriverProcess]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = list(derivers)
    while waiting:
        for d in list(waiting):
            if d.process.poll() is not None:
                raise RuntimeError(
                    f"honcho deriver exited with {d.process.returncode}:\n{tail(d.log_path)}"
                )
            if "deriver started" in d.log_path.read_text(errors="replace"):
                waiting.remove(d)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(
                f"honcho deriver did not start in {READY_TIMEOUT_S:.0f}s:\n"
                f"{tail(waiting[0].log_path)}"
            )
        time.sleep(0.1)


@contextmanager
def deriver_processes(
    database_url: str, count: int, extra_env: Mapping[str, str], log_dir: Path, tag: str
) -> Iterator[list[DeriverProcess]]:
    """`count` `honcho deriver` processes, started together; SIGTERM (graceful) on exit. They log
    at INFO: the start line is how readiness is seen, and it is one line per batch."""
    derivers: list[DeriverProcess] = []
    try:
        env = _server_env(database_url, extra_env, log_level="INFO")
        for i in range(count):
            log_path = log_dir / f"deriver-{tag}-{i}.log"
            with log_path.open("wb") as log_file:
                process = subprocess.Popen(
                    [sys.executable, "-m", "src.cli", "deriver"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            derivers.append(DeriverProcess(process, log_path))
        _wait_started(derivers)
        yield derivers
    finally:
        for d in derivers:
            if d.process.poll() is None:
                d.process.send_signal(signal.SIGTERM)
        for d in derivers:
            stop_process(d.process, DERIVER_STOP_TIMEOUT_S)
