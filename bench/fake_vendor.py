"""`python -m bench.fake_vendor`: the tests' fake LLM vendor answering with the scripted model
(`tests.deriver.scripted`) at once, in a process of its own.

The fake is a uvicorn server in a thread; in the benchmark's own process it would share a GIL with
the load generator and the latency poller, so it runs here instead and the benchmark measures its
CPU like any other process's.

Protocol (stdout carries nothing else): one JSON line `{"openai_base_url": ..., "pid": ...}` once
serving, then one JSON line per command read from stdin:
  stats   what was asked since the last reset, with o200k_base token counts
  reset   forget it (only when no request is in flight)
  quit    (or end of input) stop
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.harness import PROJECT_ROOT, stop_process
from tests.deriver.scripted import ScriptedLLM, kind, new_messages, prompt_text
from tests.fakes.script import RecordedRequest, Reply

START_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 120.0
ENCODING = "o200k_base"
# The parts of the representation prompt (src/deriver/prompts.py), in prompt order.
PROMPT_SECTIONS = ("participants", "known_facts", "summary", "history", "new_messages")
_SECTION = re.compile(r"<(\w+)>.*?</\1>", re.DOTALL)


# -- inside the vendor process ----------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One chat request and the scripted answer."""

    kind: str  # extraction (representation task), summary, card, other
    system: str
    prompt: str  # the first user turn
    reply: str
    new_messages: int  # extraction: messages in <new_messages>
    prompt_words: int  # what the fake reports as usage.prompt_tokens
    reply_words: int  # ... and as usage.completion_tokens


@dataclass
class Recording:
    """The scripted LLM, recording what it was asked; handlers run in the server's thread."""

    exchanges: list[Exchange] = field(default_factory=list)
    embedding_requests: int = 0
    embedding_texts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    scripted: ScriptedLLM = field(default_factory=ScriptedLLM)

    def chat(self, request: RecordedRequest) -> Reply:
        reply = self.scripted(request)
        which = kind(request)
        exchange = Exchange(
            kind=which,
            system=request.system,
            prompt=prompt_text(request),
            reply=reply.text,
            new_messages=len(new_messages(request)) if which == "extraction" else 0,
            prompt_words=request.prompt_words,
            reply_words=len(reply.text.split()),
        )
        with self.lock:
            self.exchanges.append(exchange)
        if which == "extraction":
            self.scripted.extraction_calls.clear()  # kept by ScriptedLLM for tests; not needed
        return reply

    def embeddings(self, request: RecordedRequest) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        inputs = body.get("input", [])
        with self.lock:
            self.embedding_requests += 1
            self.embedding_texts += 1 if isinstance(inputs, str) else len(inputs)
        return None  # answer normally

    def reset(self) -> None:
        with self.lock:
            self.exchanges.clear()
            self.embedding_requests = self.embedding_texts = 0

    def stats(self) -> dict[str, Any]:
        with self.lock:
            exchanges = list(self.exchanges)
            embeddings = {"requests": self.embedding_requests, "texts": self.embedding_texts}
        counter = _token_counter()
        chat: dict[str, dict[str, Any]] = {}
        systems: dict[str, int] = {}
        for ex in exchanges:
            entry = chat.setdefault(ex.kind, _empty_kind(ex.kind, counter is not None))
            entry["requests"] += 1
            entry["new_messages"] += ex.new_messages
            entry["prompt_words"] += ex.prompt_words
            entry["reply_words"] += ex.reply_words
            if counter is None:
                continue
            if ex.system not in systems:  # a handful of distinct system prompts
                systems[ex.system] = counter(ex.system)
            system, prompt = systems[ex.system], counter(ex.prompt)
            entry["prompt_tokens"] += system + prompt
            entry["reply_tokens"] += counter(ex.reply)
            if ex.kind == "extraction":
                sections = entry["sections"]
                sections["system"] += system
                for name, tokens in _sections(ex.prompt, counter):
                    sections[name] = sections.get(name, 0) + tokens
        return {
            "tokenizer": ENCODING if counter is not None else None,
            "chat": chat,
            "embeddings": embeddings,
        }


def _empty_kind(which: str, tokens: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"requests": 0, "new_messages": 0, "prompt_words": 0, "reply_words": 0}
    if tokens:
        entry.update(prompt_tokens=0, reply_tokens=0)
        if which == "extraction":
            entry["sections"] = {"system": 0, **dict.fromkeys(PROMPT_SECTIONS, 0)}
    return entry


def _sections(prompt: str, count: Callable[[str], int]) -> Iterable[tuple[str, int]]:
    """(section, tokens) of a representation prompt, tags included."""
    for match in _SECTION.finditer(prompt):
        yield match[1], count(match[0])


def _token_counter() -> Callable[[str], int] | None:
    """o200k_base token counts (the encoding of current OpenAI models), or None when tiktoken
    cannot load it (no network and no TIKTOKEN_CACHE_DIR)."""
    try:
        import tiktoken

        encoding = tiktoken.get_encoding(ENCODING)
    except Exception as exc:
        print(f"fake vendor: no {ENCODING} tokenizer: {exc}", file=sys.stderr)
        return None

    def count(text: str) -> int:
        return len(encoding.encode_ordinary(text))

    return count


def serve() -> int:
    from tests.fakes.vendor import start_fake_vendor

    vendor = start_fake_vendor()
    recording = Recording()
    vendor.on_chat(recording.chat)
    vendor.on_embeddings(recording.embeddings)
    _answer({"openai_base_url": vendor.openai_base_url, "pid": os.getpid()})
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                _answer(recording.stats())
            elif command == "reset":
                recording.reset()
                # The fake keeps every request it served; drop them (nothing is in flight).
                vendor.reset()
                vendor.on_chat(recording.chat)
                vendor.on_embeddings(recording.embeddings)
                _answer({"ok": True})
            elif command == "quit":
                break
            else:
                _answer({"error": f"unknown command {command!r}"})
    finally:
        vendor.stop()
    return 0


def _answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


# -- in the benchmark's process ---------------------------------------------------------------


class VendorProcess:
    """Starts `python -m bench.fake_vendor` and talks to it over its stdin/stdout."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self.openai_base_url = ""
        self.pid = 0

    def start(self) -> VendorProcess:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.fake_vendor"],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        hello = self._read(START_TIMEOUT_S)
        self.openai_base_url, self.pid = str(hello["openai_base_url"]), int(hello["pid"])
        return self

    def _pipes(self) -> tuple[subprocess.Popen[bytes], IO[bytes], IO[bytes]]:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("the fake vendor is not running")
        return process, process.stdin, process.stdout

    def _read(self, timeout: float) -> dict[str, Any]:
        process, _, stdout = self._pipes()
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([stdout], [], [], 0.5)
            if ready:
                line = stdout.readline()
                if line:
                    value: dict[str, Any] = json.loads(line)
                    return value
            if process.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the fake vendor did not answer:\n{log}")

    def command(self, command: str) -> dict[str, Any]:
        _, stdin, _ = self._pipes()
        stdin.write(command.encode() + b"\n")
        stdin.flush()
        return self._read(COMMAND_TIMEOUT_S)

    def stats(self) -> dict[str, Any]:
        return self.command("stats")

    def reset(self) -> None:
        self.command("reset")

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin is not None and process.poll() is None:
            try:
                process.stdin.write(b"quit\n")
                process.stdin.close()
            except OSError:
                pass
        try:
            process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            stop_process(process, 10.0)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None

    def __enter__(self) -> VendorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(serve())
