"""Dialectic chat (spec §6.3.5, §11): configuration errors, JSON and SSE answers (§11.4) read by
the official SDK, what the model is shown (only the observer's view, both cards once each),
upstream failures and usage accounting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from honcho import Honcho
from honcho.types import DialecticStreamResponse

from tests.deriver.conftest import DeriverFactory, observations, send, status, wait_drained
from tests.dialectic.conftest import DialecticModel
from tests.fakes.script import Reply
from tests.support import LiveServer

QUESTION = "Where does Alice live?"


def _chat(client: httpx.Client, ws: str, peer: str, **body: Any) -> httpx.Response:
    return client.post(f"/v2/workspaces/{ws}/peers/{peer}/chat", json={"query": QUESTION, **body})


def _sse_events(raw: str) -> list[dict[str, Any]]:
    """Parse a §11.4 stream strictly: events separated by blank lines, each exactly one
    `data: <json>` line, and nothing after the last event's blank line."""
    assert raw.endswith("\n\n"), repr(raw)
    events = []
    for block in raw[:-2].split("\n\n"):
        assert "\n" not in block and block.startswith("data: "), repr(block)
        events.append(json.loads(block[len("data: ") :]))
    return events


@pytest.fixture
def sdk(derive_api: LiveServer, ws: str) -> Iterator[Honcho]:
    honcho = Honcho(base_url=derive_api.base_url, workspace_id=ws)
    yield honcho
    honcho.core.close()


# --- without an LLM -----------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_without_an_llm_chat_is_503_saying_how_to_configure_one(
    client: httpx.Client, workspace: str, stream: bool
) -> None:
    """Without an LLM, chat is 503 with a detail naming the settings that configure one."""
    r = _chat(client, workspace, "alice", stream=stream)
    assert r.status_code == 503, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str)
    for setting in ("LLM_OPENAI_API_KEY", "LLM_ANTHROPIC_API_KEY", "DIALECTIC_PROVIDER"):
        assert setting in detail


# --- answers ------------------------------------------------------------------------------------


def test_non_streamed_answer_is_content_json(
    api: httpx.Client, ws: str, dialectic: DialecticModel, sdk: Honcho
) -> None:
    """stream=false answers {"content": text} (null when empty), as the SDK's peer.chat reads."""
    dialectic.reply = Reply.raw("Alice lives in Lisbon.")
    r = _chat(api, ws, "alice")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"content": "Alice lives in Lisbon."}
    assert len(dialectic.requests) == 1
    assert f"<query>{QUESTION}</query>" in dialectic.last_user_prompt
    peers = api.post(f"/v2/workspaces/{ws}/peers/list", json={}).json()["items"]
    assert [p["id"] for p in peers] == ["alice"]

    assert sdk.peer("alice").chat("What does Alice drink?") == "Alice lives in Lisbon."
    dialectic.reply = Reply.raw("")
    assert _chat(api, ws, "alice").json() == {"content": None}
    assert sdk.peer("alice").chat("Anything?") is None


def test_streamed_answer_is_sse_frames_of_section_11_4(
    api: httpx.Client, ws: str, dialectic: DialecticModel
) -> None:
    """stream=true answers text/event-stream with exactly the §11.4 data frames and done frame."""
    dialectic.reply = Reply.stream("Alice ", "lives in ", "Lisbon.")
    with api.stream(
        "POST", f"/v2/workspaces/{ws}/peers/alice/chat", json={"query": QUESTION, "stream": True}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0].strip() == "text/event-stream"
        raw = r.read().decode()
    assert _sse_events(raw) == [
        {"delta": {"content": "Alice "}, "done": False},
        {"delta": {"content": "lives in "}, "done": False},
        {"delta": {"content": "Lisbon."}, "done": False},
        {"delta": {"content": None}, "done": True},
    ]
    assert dialectic.requests[-1].stream


def test_official_sdk_reads_the_stream(ws: str, dialectic: DialecticModel, sdk: Honcho) -> None:
    """The SDK's peer.chat(stream=True) yields the chunks and get_final_response() their sum."""
    dialectic.reply = Reply.stream("Alice ", "lives ", "in Lisbon.")
    response = sdk.peer("alice").chat(QUESTION, stream=True)
    assert isinstance(response, DialecticStreamResponse)
    assert list(response) == ["Alice ", "lives ", "in Lisbon."]
    assert response.is_complete
    assert response.get_final_response() == {"content": "Alice lives in Lisbon."}


def test_chat_creates_only_the_observer_and_validates_the_query(
    api: httpx.Client, ws: str, dialectic: DialecticModel
) -> None:
    """Chat creates only the observer, ignores unknown keys and 422s a bad query."""
    r = _chat(api, ws, "charlie", target="ghost", session_id="nowhere", reasoning_level="high")
    assert r.status_code == 200, r.text
    peers = api.post(f"/v2/workspaces/{ws}/peers/list", json={}).json()["items"]
    assert [p["id"] for p in peers] == ["charlie"]
    assert api.post(f"/v2/workspaces/{ws}/sessions/list", json={}).json()["items"] == []
    for body in ({"query": ""}, {"query": "x" * 10_001}, {}, {"query": "q", "stream": "maybe"}):
        r = api.post(f"/v2/workspaces/{ws}/peers/charlie/chat", json=body)
        assert r.status_code == 422, (body, r.text)


# --- failures and usage -------------------------------------------------------------------------


def test_model_failure_is_502_with_a_string_detail(
    api: httpx.Client, ws: str, dialectic: DialecticModel
) -> None:
    """A model failure is 502 with a string detail, recorded as a failed dialectic call."""
    dialectic.reply = Reply.error(400, message="the model refused")
    r = _chat(api, ws, "alice")
    assert r.status_code == 502, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail
    usage = status(api, ws)["llm_usage"]["dialectic"]
    assert usage["calls"] == 1 and usage["errors"] == 1


def test_stream_failure_ends_without_a_done_frame(
    api: httpx.Client, ws: str, dialectic: DialecticModel, sdk: Honcho
) -> None:
    """A model failure mid-stream ends the stream without a done frame, recorded."""
    dialectic.reply = Reply.error(400, message="the model refused")
    with api.stream(
        "POST", f"/v2/workspaces/{ws}/peers/alice/chat", json={"query": QUESTION, "stream": True}
    ) as r:
        raw = r.read().decode()
    assert not any(e.get("done") for e in (_sse_events(raw) if raw else []))
    assert list(sdk.peer("alice").chat(QUESTION, stream=True)) == []
    assert status(api, ws)["llm_usage"]["dialectic"]["errors"] == 2


def test_usage_is_recorded(api: httpx.Client, ws: str, dialectic: DialecticModel) -> None:
    """Each chat, streamed or not, is one dialectic call with tokens in status llm_usage."""
    dialectic.reply = Reply.stream("Alice ", "lives in ", "Lisbon.")
    assert _chat(api, ws, "alice").status_code == 200
    assert _chat(api, ws, "alice", stream=True).status_code == 200
    usage = status(api, ws)["llm_usage"]["dialectic"]
    assert usage["calls"] == 2 and usage["errors"] == 0
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


# --- what the model is shown --------------------------------------------------------------------


def _put_card(
    api: httpx.Client, ws: str, peer: str, card: list[str], target: str | None = None
) -> None:
    params = {"target": target} if target else {}
    r = api.put(f"/v2/workspaces/{ws}/peers/{peer}/card", params=params, json={"peer_card": card})
    assert r.status_code == 200, r.text


def test_prompt_holds_the_observers_card_and_its_card_of_the_target(
    api: httpx.Client, ws: str, dialectic: DialecticModel
) -> None:
    """The prompt holds the observer's own card and its card of the target, once each."""
    r = api.post(
        f"/v2/workspaces/{ws}/sessions", json={"id": "main", "peers": {"alice": {}, "charlie": {}}}
    )
    assert r.status_code == 200, r.text
    _put_card(api, ws, "charlie", ["Charlie plays France"])
    _put_card(api, ws, "charlie", ["Alice plays England"], target="alice")
    _put_card(api, ws, "alice", ["Alice secretly allied with Germany"])

    assert _chat(api, ws, "charlie", target="alice").status_code == 200
    prompt = dialectic.last_prompt
    assert prompt.count("Charlie plays France") == 1
    assert prompt.count("Alice plays England") == 1
    assert "secretly allied" not in prompt

    assert _chat(api, ws, "alice").status_code == 200
    prompt = dialectic.last_prompt
    assert prompt.count("Alice secretly allied with Germany") == 1
    assert "Alice plays England" not in prompt and "Charlie plays France" not in prompt


MAIN = [
    ("alice", "I will support Charlie's fleet into the North Sea."),
    ("bob", "I will hold my army in Munich."),
    ("charlie", "Thanks Alice, I trust you."),
]
SIDE = [
    ("alice", "Secretly, I will betray Charlie in the spring."),
    ("bob", "Agreed, and we split Belgium afterwards."),
]
SIDE_WORDS = ("betray", "Belgium", "Secretly")


def test_diplomacy_charlie_only_knows_the_main_chat(
    api: httpx.Client, ws: str, dialectic: DialecticModel, deriver: DeriverFactory
) -> None:
    """Diplomacy: charlie asking about alice in main sees main-chat facts, none of the side chat."""
    sessions = f"/v2/workspaces/{ws}/sessions"
    r = api.post(
        sessions,
        json={"id": "main", "peers": {"alice": {}, "bob": {}, "charlie": {"observe_others": True}}},
    )
    assert r.status_code == 200, r.text
    r = api.post(sessions, json={"id": "side", "peers": {"alice": {}, "bob": {}}})
    assert r.status_code == 200, r.text
    send(api, ws, "main", *MAIN)
    send(api, ws, "side", *SIDE)
    deriver()
    done = wait_drained(api, ws)
    assert done["failed_work_units"] == 0, done
    assert observations(api, ws, "charlie", "alice") == [f"alice said: {MAIN[0][1]}"]

    r = _chat(
        api, ws, "charlie", target="alice", session_id="main", query="What is Alice planning?"
    )
    assert r.status_code == 200, r.text
    prompt = dialectic.last_prompt
    assert f"alice said: {MAIN[0][1]}" in prompt  # charlie's observation of alice
    assert f"alice: {MAIN[0][1]}" in prompt  # the main session's conversation
    assert f"charlie: {MAIN[2][1]}" in prompt
    for word in SIDE_WORDS:
        assert word not in prompt, word

    r = _chat(api, ws, "charlie", target="alice", query="What is Alice planning?")
    assert r.status_code == 200, r.text
    for word in SIDE_WORDS:
        assert word not in dialectic.last_prompt, word

    r = _chat(api, ws, "alice", query="What is Alice planning?")
    assert r.status_code == 200, r.text
    assert "betray Charlie" in dialectic.last_prompt  # the global view does know


def test_directional_chat_never_shows_a_session_the_observer_was_not_in(
    api: httpx.Client, ws: str, dialectic: DialecticModel
) -> None:
    """Naming a session the observer never joined shows the model none of it."""
    sessions = f"/v2/workspaces/{ws}/sessions"
    r = api.post(
        sessions,
        json={"id": "main", "peers": {"alice": {}, "bob": {}, "charlie": {"observe_others": True}}},
    )
    assert r.status_code == 200, r.text
    r = api.post(sessions, json={"id": "side", "peers": {"alice": {}, "bob": {}}})
    assert r.status_code == 200, r.text
    send(api, ws, "side", *SIDE)
    r = _chat(api, ws, "charlie", target="alice", session_id="side", query="Any plans?")
    assert r.status_code == 200, r.text
    for word in SIDE_WORDS:
        assert word not in dialectic.last_prompt, word
