"""What the SDK's own suite needs from the main one: live servers (a plain API, an API and a deriver
with the scripted model, an API with auth) and the command that runs the suite in its own venv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.deriver.scripted import ScriptedLLM, kind, prompt_text
from tests.fakes.script import RecordedRequest, Reply
from tests.support import PROJECT_ROOT

SDK_DIR = PROJECT_ROOT / "sdks" / "python"

# The SDK suite must see only what it is given, not the machine's own Honcho or uv settings.
_DROPPED = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTEST_ADDOPTS")


CUT = "[cut]"


class SdkLLM(ScriptedLLM):
    """The deriver's scripted model, plus a dialectic that answers from its prompt: who the
    question is about, the question, the facts in memory and whether a session's conversation was
    included. Answers stream as one chunk per word, so streaming has several chunks to show. A
    question containing "[cut]" gets an answer whose connection drops after two chunks."""

    def __call__(self, request: RecordedRequest) -> Reply:
        prompt = prompt_text(request)
        if kind(request) != "other" or "<query>" not in prompt:
            return super().__call__(request)
        if CUT in prompt:  # the model's connection drops mid-answer
            return Reply.stream("partial ", "answer ", drop=True)
        return Reply.stream(*_words(dialectic_answer(prompt)))


def dialectic_answer(prompt: str) -> str:
    about = prompt.split("\n", 1)[0]
    query = prompt.split("<query>", 1)[1].split("</query>", 1)[0]
    memory = prompt.split("<memory>", 1)[-1].split("</memory>", 1)[0]
    facts = [m[1] for m in re.finditer(r"^\d+\. \[[^\]]+\] (.*)$", memory, re.M)]
    history = "yes" if "<recent_conversation>" in prompt else "no"
    known = "; ".join(facts) or "nothing"
    return f"{about} Query: {query} Known: {known}. Session history: {history}."


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + words[-1:]


def find_uv() -> str:
    """uv as `./run` found it: `uv run` exports its own path as UV; else PATH, else .tools/."""
    for candidate in (os.environ.get("UV"), shutil.which("uv"), PROJECT_ROOT / ".tools/bin/uv"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise RuntimeError("uv not found: run the tests with ./run test")


@dataclass(frozen=True)
class SdkServers:
    base_url: str
    chat_base_url: str
    auth_base_url: str
    admin_key: str


def sdk_env(servers: SdkServers) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith("HONCHO_") and k != "UV_RUN_RECURSION_DEPTH"
    }
    env.update(
        HONCHO_TEST_BASE_URL=servers.base_url,
        HONCHO_TEST_CHAT_BASE_URL=servers.chat_base_url,
        HONCHO_TEST_AUTH_BASE_URL=servers.auth_base_url,
        HONCHO_TEST_ADMIN_KEY=servers.admin_key,
    )
    return env


def run_sdk_suite(servers: SdkServers, *args: str) -> subprocess.CompletedProcess[str]:
    """`uv run --locked --directory sdks/python pytest -q` against the live servers."""
    command = [find_uv(), "run", "--locked", "--directory", str(SDK_DIR), "pytest", "-q", *args]
    return subprocess.run(
        command, env=sdk_env(servers), capture_output=True, text=True, timeout=600, check=False
    )
