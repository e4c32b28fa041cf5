"""The scripted LLM the deriver tests talk to (through the fake vendor, over real HTTP).

It answers like a model would, deterministically from the prompt: one explicit fact per new
message ("<peer> said: <content>", citing that message), summaries that say how many lines they
covered, and peer cards listing the observations. Tests override pieces to misbehave.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.script import RecordedRequest, Reply

NEW_MESSAGE = re.compile(r"^\[(\d+)\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([A-Za-z0-9_-]+): (.*)$")


@dataclass(frozen=True)
class NewMessage:
    number: int
    peer: str
    content: str


def prompt_text(request: RecordedRequest) -> str:
    """The first user turn: the prompt itself (a repair call appends turns after it)."""
    return next((text for role, text in request.messages if role == "user"), "")


def new_messages(request: RecordedRequest) -> list[NewMessage]:
    text = prompt_text(request)
    block = text.split("<new_messages>", 1)[-1].split("</new_messages>", 1)[0]
    found = []
    for line in block.strip().splitlines():
        match = NEW_MESSAGE.match(line)
        if match:
            found.append(NewMessage(int(match[1]), match[2], match[3]))
    return found


def kind(request: RecordedRequest) -> str:
    system = request.system
    if "You maintain a memory" in system:
        return "extraction"
    if "running summary" in system:
        return "summary"
    if "short card" in system:
        return "card"
    return "other"


def default_facts(messages: list[NewMessage]) -> list[dict[str, Any]]:
    return [
        {
            "peer": m.peer,
            "level": "explicit",
            "content": f"{m.peer} said: {m.content}",
            "sources": [m.number],
        }
        for m in messages
    ]


@dataclass
class ScriptedLLM:
    """Callable handler for `FakeVendor.on_chat`. Swap `facts` to change what is extracted."""

    facts: Callable[[list[NewMessage]], list[dict[str, Any]]] = default_facts
    extraction_calls: list[list[NewMessage]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        which = kind(request)
        if which == "extraction":
            messages = new_messages(request)
            self.extraction_calls.append(messages)
            return Reply.json({"facts": self.facts(messages)})
        if which == "summary":
            conversation = prompt_text(request).split("<conversation>", 1)[-1]
            body = conversation.split("</conversation>")[0]
            lines = [ln for ln in body.splitlines() if ln.strip()]
            return Reply.raw(f"Summary of {len(lines)} messages.")
        if which == "card":
            observations = [
                ln[2:] for ln in prompt_text(request).splitlines() if ln.startswith("- ")
            ]
            return Reply.json({"card": observations[:5]})
        return Reply.raw("ok")
