"""The quickstart, the project README's examples and every script in examples/, run as written
against a live server (only constructor arguments or HONCHO_* variables point them at it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from honcho import Honcho, SessionPeerConfig
from tests.conftest import unique

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PROJECT_README = ROOT.parents[1] / "README.md"
DEFAULT_URL = "http://localhost:8000"


def run_python(source: str, base_url: str, workspace: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HONCHO_")}
    env.update(HONCHO_BASE_URL=base_url, HONCHO_WORKSPACE_ID=workspace)
    done = subprocess.run(
        [sys.executable, "-c", source], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def with_base_url(source: str, base_url: str) -> str:
    """The one change allowed: the constructor's base_url points at the test server."""
    assert f'base_url="{DEFAULT_URL}"' in source
    return source.replace(f'base_url="{DEFAULT_URL}"', f'base_url="{base_url}"')


def test_quickstart(chat_base_url: str) -> None:
    """The issue's quickstart, verbatim apart from base_url: bob observes alice in the session,
    alice's question is answered, and the context converts to OpenAI messages."""
    source = (EXAMPLES / "quickstart.py").read_text()
    workspace = unique("quickstart")
    done = run_python(with_base_url(source, chat_base_url), chat_base_url, workspace)
    assert "'content': 'Hello from Alice!'" in done.stdout
    assert "'role': 'assistant', 'name': 'alice'" in done.stdout
    assert "'role': 'user', 'name': 'bob'" in done.stdout

    honcho = Honcho(base_url=chat_base_url, workspace_id=workspace)
    session = honcho.session("group_chat")
    assert session.get_peer_config("bob") == SessionPeerConfig(observe_others=True)
    assert session.get_peer_config("alice").observe_others is None
    honcho.poll_deriver_status(timeout=60)
    answer = honcho.peer("bob").chat("What did Alice say?", target="alice")
    assert answer is not None and "alice said: Hello from Alice!" in answer


def _readme_python_blocks() -> list[str]:
    if not PROJECT_README.is_file():
        pytest.skip("the project README is not beside this SDK")
    text = PROJECT_README.read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_project_readme_python_example(base_url: str) -> None:
    """The README's Python example (written for the official SDK) runs unchanged but for its
    constructor's arguments, and prints the two messages."""
    blocks = _readme_python_blocks()
    assert blocks, "the README has no Python example"
    for block in blocks:
        workspace = unique("readme")
        source = re.sub(r'workspace_id="[^"]*"', f'workspace_id="{workspace}"', block)
        source = source.replace(DEFAULT_URL, base_url)
        done = run_python(source, base_url, workspace)
        assert done.stdout.splitlines() == ["alice Hello from Alice!", "bob I ate eggs today."]


def test_project_readme_curl_example(base_url: str) -> None:
    """The README's curl example, done with the SDK (examples/group_chat.py): the same request
    body reaches the same route and the same message comes back."""
    text = PROJECT_README.read_text() if PROJECT_README.is_file() else ""
    if "curl" not in text:
        pytest.skip("the project README is not beside this SDK")
    match = re.search(r"sessions/(\w+)/messages/", text)
    assert match and match[1] == "chat"
    assert '"peer_id": "alice", "content": "I just moved to Lisbon."' in text
    done = run_python((EXAMPLES / "group_chat.py").read_text(), base_url, unique("curl"))
    lines = done.stdout.splitlines()
    assert lines[:2] == ["alice Hello from Alice!", "bob I ate eggs today."]
    message_id, peer, session, tokens = lines[2].split()
    assert len(message_id) == 21 and (peer, session) == ("alice", "chat") and int(tokens) > 0


@pytest.mark.parametrize("name", ["async_quickstart.py", "memory.py"])
def test_example_scripts(chat_base_url: str, name: str) -> None:
    done = run_python((EXAMPLES / name).read_text(), chat_base_url, unique("example"))
    assert done.stdout.strip()
    if name == "memory.py":
        assert "alice said: I just moved to Lisbon." in done.stdout
    else:
        assert "alice said: Hello from Alice!" in done.stdout


def test_every_example_is_tested() -> None:
    tested = {"quickstart.py", "group_chat.py", "async_quickstart.py", "memory.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
