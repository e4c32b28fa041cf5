"""Dialectic fixtures: the deriver tests' fake vendor, scripted LLM, LLM-configured API and
deriver factory, plus a model that answers the dialectic's own requests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from src.dialectic.prompts import SYSTEM
from tests.deriver.conftest import api, derive_api, deriver, llm, vendor, ws
from tests.deriver.scripted import ScriptedLLM, prompt_text
from tests.fakes.script import RecordedRequest, Reply
from tests.fakes.vendor import FakeVendor

__all__ = ["api", "derive_api", "deriver", "dialectic", "llm", "vendor", "ws"]


@dataclass
class DialecticModel:
    """Answers the dialectic's requests with `reply` and records them; every other request (the
    deriver's extraction, summaries, cards) goes to the scripted LLM."""

    scripted: ScriptedLLM
    reply: Reply = field(default_factory=lambda: Reply.raw("ok"))
    requests: list[RecordedRequest] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        if request.system == SYSTEM:
            self.requests.append(request)
            return self.reply
        return self.scripted(request)

    @property
    def last_prompt(self) -> str:
        """Everything the dialectic model was shown in its last request: system and user turns."""
        assert self.requests, "the dialectic model was never called"
        last = self.requests[-1]
        return last.system + "\n" + "\n".join(text for _, text in last.messages)

    @property
    def last_user_prompt(self) -> str:
        assert self.requests, "the dialectic model was never called"
        return prompt_text(self.requests[-1])


@pytest.fixture
def dialectic(vendor: FakeVendor, llm: ScriptedLLM) -> Iterator[DialecticModel]:
    model = DialecticModel(llm)
    vendor.on_chat(model)
    yield model
