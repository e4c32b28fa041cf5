"""The official SDK against a live server: file uploads."""

from __future__ import annotations

import io
import json

from honcho import Honcho
from honcho_core.types.workspaces.sessions.message import Message

from tests.conformance.helpers import (
    MAX_MESSAGE_SIZE,
    WHEN,
    check_split,
    contents,
    ids,
    long_text,
)


def test_upload_text_file(honcho: Honcho) -> None:
    """upload_file turns a text file into one message with the given peer, metadata and time."""
    session = honcho.session("docs")
    text = "Notes from Zoë.\nSecond line."
    messages = session.upload_file(
        ("notes.md", text.encode(), "text/markdown"),
        peer="alice",
        metadata={"source": "upload"},
        created_at=WHEN,
    )
    assert len(messages) == 1
    (message,) = messages
    assert isinstance(message, Message)
    assert message.content == text and message.peer_id == "alice"
    assert message.metadata == {"source": "upload"} and message.created_at == WHEN
    assert message.session_id == "docs" and message.token_count > 0
    assert ids(session.get_messages()) == [message.id]
    assert ids(session.get_peers()) == ["alice"]


def test_upload_file_object(honcho: Honcho) -> None:
    """upload_file accepts a named binary file object and a Peer; the type comes from the name."""
    session = honcho.session("docs")
    handle = io.BytesIO(b"plain text body")
    handle.name = "body.txt"
    (message,) = session.upload_file(handle, peer=honcho.peer("bob"))
    assert message.content == "plain text body" and message.peer_id == "bob"
    assert message.metadata == {}


def test_upload_empty_text_file(honcho: Honcho) -> None:
    """upload_file of an empty text file creates exactly one empty message."""
    session = honcho.session("docs")
    (message,) = session.upload_file(("empty.txt", b"", "text/plain"), peer="alice")
    assert message.content == "" and message.token_count == 0
    assert ids(session.get_messages()) == [message.id]


def test_upload_json_file(honcho: Honcho) -> None:
    """upload_file stores a JSON file as its re-serialized text."""
    session = honcho.session("docs")
    data = {"name": "Zoë", "items": [1, 2, {"nested": True}], "none": None}
    (message,) = session.upload_file(
        ("data.json", json.dumps(data, separators=(",", ":")).encode(), "application/json"),
        peer="alice",
    )
    assert message.content == json.dumps(data, ensure_ascii=False)
    assert json.loads(message.content) == data


def test_upload_large_text_is_split(honcho: Honcho) -> None:
    """upload_file splits a text longer than 25,000 characters into several ordered messages."""
    session = honcho.session("docs")
    text = long_text()
    messages = session.upload_file(
        ("long.txt", text.encode(), "text/plain"), peer="alice", metadata={"part": "all"}
    )
    check_split(contents(messages), text)
    assert all(m.peer_id == "alice" and m.metadata == {"part": "all"} for m in messages)
    assert ids(session.get_messages()) == ids(messages)


def test_upload_long_single_line_is_split_at_word_breaks(honcho: Honcho) -> None:
    """upload_file splits a long text without line breaks after spaces, losing nothing."""
    session = honcho.session("docs")
    text = " ".join(f"token{i}" for i in range(9_000))
    assert len(text) > 2 * MAX_MESSAGE_SIZE and "\n" not in text and ". " not in text
    messages = session.upload_file(("line.txt", text.encode(), "text/plain"), peer="alice")
    check_split(contents(messages), text, cut_after=" ")
