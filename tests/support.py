"""Helpers the tests share: live server processes and unique names."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class LiveServer:
    """A `honcho <command>` process serving real HTTP on a loopback port."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(
    command: str,
    env: Mapping[str, str],
    log_dir: Path,
    *,
    extra_args: tuple[str, ...] = (),
    ready_path: str = "/openapi.json",
    timeout: float = 120.0,
) -> LiveServer:
    port = free_port()
    log_path = log_dir / f"{command}-{port}.log"
    full_env = {**os.environ, **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "src.cli", command, "--port", str(port), *extra_args],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.base_url + ready_path, timeout=1.0).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"{command} did not become ready in {timeout}s:\n{server.log()}")


@dataclass
class WorkerProcess:
    """A `honcho deriver` process (no HTTP port); ready once its log says it started."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_deriver(env: Mapping[str, str], log_dir: Path, timeout: float = 120.0) -> WorkerProcess:
    log_path = log_dir / f"deriver-{uuid.uuid4().hex[:8]}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "src.cli", "deriver"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = WorkerProcess(process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"deriver exited with {process.returncode}:\n{worker.log()}")
        if "deriver started" in worker.log():
            return worker
        time.sleep(0.1)
    worker.stop(signal.SIGKILL)
    raise RuntimeError(f"deriver did not start in {timeout}s:\n{worker.log()}")
