"""`python -m bench.embedding_vendor`: the tests' fake OpenAI-compatible vendor, in a process of its
own, for the search benchmark's query embeddings (deterministic bag-of-words vectors: see
tests/fakes/embedding.py). In the benchmark's own process it would share a GIL with the load
generator.

Prints one JSON line `{"openai_base_url": ..., "pid": ...}` once serving; stops at end of input.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from bench.harness import PROJECT_ROOT, stop_process

START_TIMEOUT_S = 30.0


def serve() -> int:
    from tests.fakes.vendor import start_fake_vendor

    vendor = start_fake_vendor()
    sys.stdout.write(
        json.dumps({"openai_base_url": vendor.openai_base_url, "pid": os.getpid()}) + "\n"
    )
    sys.stdout.flush()
    try:
        while sys.stdin.readline():  # until end of input
            # The fake keeps every request it served; nothing here needs them.
            vendor.reset()
    finally:
        vendor.stop()
    return 0


class EmbeddingVendor:
    """Starts `python -m bench.embedding_vendor`; `forget()` drops its request log."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.openai_base_url = ""
        self.pid = 0
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EmbeddingVendor:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.embedding_vendor"],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert self._process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._process.stdout], [], [], 0.5)
            if ready:
                line = self._process.stdout.readline()
                if line:
                    hello = json.loads(line)
                    self.openai_base_url, self.pid = (
                        str(hello["openai_base_url"]),
                        int(hello["pid"]),
                    )
                    return self
            if self._process.poll() is not None:
                break
        self.__exit__()
        raise RuntimeError(f"the fake embedding vendor did not start:\n{self.log_path.read_text()}")

    def forget(self) -> None:
        process = self._process
        if process is not None and process.stdin is not None and process.poll() is None:
            process.stdin.write(b"reset\n")
            process.stdin.flush()

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            stop_process(process, 10.0)
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    sys.exit(serve())
