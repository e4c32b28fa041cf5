"""Session context (spec §9, §6.4.7): the token budget is never exceeded, the newest messages
that fit are returned, the summary is chosen per §9.1 and messages start after its boundary,
`peer_target`/`peer_perspective` pick the right view, and the official SDK converts the result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from honcho import Honcho

from src.common.tokens import count_tokens
from src.observations.representation import Representation
from tests.support import LiveServer, unique

Msg = dict[str, Any]

# Sizes chosen so budgets fall between them: a large message sits behind small newer ones.
LADDER = [
    "hello",
    "a fairly ordinary sentence about the weather today",
    "ok",
    "word " * 40,
    "short reply here",
    "another one",
    "x",
    "the quick brown fox jumps over the lazy dog " * 3,
    "sure",
    "fine, thanks",
    "numbers 1 2 3 4 5 6 7 8 9 10",
    "bye",
]


@pytest.fixture(scope="module")
def http(api_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url, timeout=30.0) as c:
        yield c


def _write(http: httpx.Client, ws: str, session: str, *messages: tuple[str, str]) -> list[Msg]:
    r = http.post(
        f"/v2/workspaces/{ws}/sessions/{session}/messages/",
        json={"messages": [{"peer_id": p, "content": c} for p, c in messages]},
    )
    assert r.status_code == 200, r.text
    written: list[Msg] = r.json()
    return written


def _context(http: httpx.Client, ws: str, session: str, **params: Any) -> Msg:
    r = http.get(f"/v2/workspaces/{ws}/sessions/{session}/context", params=params)
    assert r.status_code == 200, r.text
    body: Msg = r.json()
    return body


def _ids(messages: list[Msg]) -> list[str]:
    return [m["id"] for m in messages]


def _tokens(messages: list[Msg]) -> int:
    return sum(m["token_count"] for m in messages)


def newest_that_fit(messages: list[Msg], budget: int) -> list[Msg]:
    """The oracle of §9.1 step 5: newest first, stop at the first message that does not fit."""
    chosen: list[Msg] = []
    used = 0
    for message in reversed(messages):
        if used + message["token_count"] > budget:
            break
        used += message["token_count"]
        chosen.append(message)
    return chosen[::-1]


@pytest.fixture(scope="module")
def ladder(http: httpx.Client) -> tuple[str, list[Msg]]:
    ws = unique("ctx")
    written = _write(
        http, ws, "ladder", *[("alice" if i % 2 else "bob", c) for i, c in enumerate(LADDER)]
    )
    sizes = [m["token_count"] for m in written]
    assert len(set(sizes)) > 5 and max(sizes) > 3 * sorted(sizes)[len(sizes) // 2]
    return ws, written


# --- the budget ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tokens", [-1000, -1, 0])
def test_zero_or_negative_budget_is_empty(
    http: httpx.Client, ladder: tuple[str, list[Msg]], tokens: int
) -> None:
    """tokens <= 0 returns no messages and no summary (200, not 422)."""
    ws, _ = ladder
    body = _context(http, ws, "ladder", tokens=tokens)
    assert body == {
        "id": "ladder",
        "messages": [],
        "summary": None,
        "peer_representation": None,
        "peer_card": None,
    }


def test_every_budget_returns_the_newest_messages_that_fit(
    http: httpx.Client, ladder: tuple[str, list[Msg]]
) -> None:
    """For every budget: sum <= tokens and the messages are exactly the newest that fit."""
    ws, written = ladder
    total = _tokens(written)
    for tokens in range(1, total + 3):
        got = _context(http, ws, "ladder", tokens=tokens)["messages"]
        assert _tokens(got) <= tokens, tokens
        assert _ids(got) == _ids(newest_that_fit(written, tokens)), tokens
        assert got == [m for m in written if m["id"] in set(_ids(got))]  # full Message objects


def test_stops_at_the_first_message_that_does_not_fit(
    http: httpx.Client, ladder: tuple[str, list[Msg]]
) -> None:
    """Selection stops at the first message that does not fit, even if older ones would."""
    ws, written = ladder
    big = max(range(len(written)), key=lambda i: written[i]["token_count"])
    after_big = written[big + 1 :]
    budget = _tokens(after_big) + written[big]["token_count"] - 1
    assert written[big - 1]["token_count"] <= written[big]["token_count"] - 1
    got = _context(http, ws, "ladder", tokens=budget)["messages"]
    assert _ids(got) == _ids(after_big)


def test_default_and_maximum_budget(http: httpx.Client, ladder: tuple[str, list[Msg]]) -> None:
    """No tokens means GET_CONTEXT_MAX_TOKENS (100000); 100000 is allowed, 100001 is 422."""
    ws, written = ladder
    assert _ids(_context(http, ws, "ladder")["messages"]) == _ids(written)
    assert _ids(_context(http, ws, "ladder", tokens=100_000)["messages"]) == _ids(written)
    r = http.get(f"/v2/workspaces/{ws}/sessions/ladder/context", params={"tokens": 100_001})
    assert r.status_code == 422, r.text
    assert "100000" in str(r.json()["detail"])


def test_unknown_session_is_an_empty_context(
    http: httpx.Client, ladder: tuple[str, list[Msg]]
) -> None:
    """An unknown session (or workspace) gives 200 with no messages and no summary."""
    ws, _ = ladder
    assert _context(http, ws, "no-such-session", tokens=500) == {
        "id": "no-such-session",
        "messages": [],
        "summary": None,
        "peer_representation": None,
        "peer_card": None,
    }
    assert _context(http, unique("nows"), "nothing")["messages"] == []


# --- summaries (§9.1) ---------------------------------------------------------------------------


def _seed_summary(
    database_url: str, ws: str, session: str, kind: str, boundary: Msg, token_count: int
) -> str:
    """Store a summary covering the session up to and including `boundary`; returns its text."""
    content = f"{kind} summary up to {boundary['content']!r}"
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        conn.execute(
            """
            INSERT INTO session_summaries (workspace_name, session_name, summary_type, content,
                                           message_id, message_public_id, message_seq, token_count)
            SELECT workspace_name, session_name, %s, %s, id, public_id, seq_in_session, %s
            FROM messages WHERE public_id = %s
            ON CONFLICT (workspace_name, session_name, summary_type) DO UPDATE
              SET content = EXCLUDED.content, message_id = EXCLUDED.message_id,
                  message_public_id = EXCLUDED.message_public_id,
                  message_seq = EXCLUDED.message_seq, token_count = EXCLUDED.token_count
            """,
            (kind, content, token_count, boundary["id"]),
        )
    return content


@pytest.fixture
def chat(http: httpx.Client) -> tuple[str, list[Msg]]:
    """A fresh session of ten short messages (m1..m10)."""
    ws = unique("sum")
    written = _write(
        http,
        ws,
        "chat",
        *[("alice" if i % 2 else "bob", f"message number {i}") for i in range(1, 11)],
    )
    return ws, written


def _expected(
    written: list[Msg], summaries: dict[str, tuple[int, int]], tokens: int, summary: bool = True
) -> tuple[str | None, list[Msg]]:
    """§9.1 as an oracle. `summaries`: kind -> (boundary index, token_count)."""
    if tokens <= 0:
        return None, []
    chosen: str | None = None
    if summary:
        limit = (tokens * 2) // 5
        short, long = summaries.get("short"), summaries.get("long")
        if long and long[1] <= limit and (short is None or long[1] > short[1]):
            chosen = "long"
        elif short and 0 < short[1] <= limit:
            chosen = "short"
    if chosen is None:
        return None, newest_that_fit(written, tokens)
    boundary, cost = summaries[chosen]
    return chosen, newest_that_fit(written[boundary + 1 :], tokens - cost)


SUMMARY_TYPES = {"short": "honcho_chat_summary_short", "long": "honcho_chat_summary_long"}


def _check(
    http: httpx.Client,
    ws: str,
    written: list[Msg],
    summaries: dict[str, tuple[int, int]],
    tokens: int,
    summary: bool = True,
) -> Msg:
    body = _context(http, ws, "chat", tokens=tokens, summary=str(summary).lower())
    kind, messages = _expected(written, summaries, tokens, summary)
    got_summary = body["summary"]
    assert (SUMMARY_TYPES[kind] if kind else None) == (
        got_summary["summary_type"] if got_summary else None
    ), (tokens, got_summary)
    assert _ids(body["messages"]) == _ids(messages), tokens
    used = _tokens(body["messages"]) + (got_summary["token_count"] if got_summary else 0)
    assert used <= max(tokens, 0), tokens
    return body


def test_long_summary_when_it_fits_and_says_more(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """The long summary wins when it fits 40% and is longer; messages start after its boundary."""
    ws, written = chat
    text = _seed_summary(database_url, ws, "chat", "long", written[5], 30)
    _seed_summary(database_url, ws, "chat", "short", written[7], 10)
    body = _check(http, ws, written, {"long": (5, 30), "short": (7, 10)}, 100)
    assert body["summary"]["content"] == text
    assert body["summary"]["message_id"] == written[5]["id"]
    assert body["summary"]["token_count"] == 30
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["summary"]["created_at"])
    assert _ids(body["messages"]) == _ids(written[6:])
    assert written[5]["id"] not in _ids(body["messages"])


def test_short_summary_when_the_long_one_does_not_fit(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """The short summary is used when the long one exceeds 40%; messages follow its boundary."""
    ws, written = chat
    _seed_summary(database_url, ws, "chat", "long", written[5], 30)
    _seed_summary(database_url, ws, "chat", "short", written[7], 10)
    body = _check(http, ws, written, {"long": (5, 30), "short": (7, 10)}, 60)
    assert body["summary"]["message_id"] == written[7]["id"]
    assert _ids(body["messages"]) == _ids(written[8:])


def test_no_summary_when_neither_fits(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """No summary when neither fits 40%; then every message competes for the whole budget."""
    ws, written = chat
    _seed_summary(database_url, ws, "chat", "long", written[5], 900)
    _seed_summary(database_url, ws, "chat", "short", written[7], 500)
    body = _check(http, ws, written, {"long": (5, 900), "short": (7, 500)}, 1000)
    assert body["summary"] is None
    assert _ids(body["messages"]) == _ids(written)


def test_short_summary_when_the_long_one_is_not_longer(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """A long summary that is not longer than the short one is passed over for the short one."""
    ws, written = chat
    for long_size in (20, 25):
        _seed_summary(database_url, ws, "chat", "long", written[5], long_size)
        _seed_summary(database_url, ws, "chat", "short", written[7], 25)
        body = _check(http, ws, written, {"long": (5, long_size), "short": (7, 25)}, 100)
        assert body["summary"]["summary_type"] == SUMMARY_TYPES["short"]


def test_single_summary_and_the_exact_40_percent_line(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """A summary fits at exactly floor(0.4 x tokens), not one token over; size 0 never counts."""
    ws, written = chat
    _seed_summary(database_url, ws, "chat", "long", written[3], 40)
    assert _check(http, ws, written, {"long": (3, 40)}, 100)["summary"] is not None
    assert _check(http, ws, written, {"long": (3, 40)}, 99)["summary"] is None
    other = unique("sum0")
    zero = _write(http, other, "chat", ("alice", "one"), ("bob", "two"), ("alice", "three"))
    _seed_summary(database_url, other, "chat", "short", zero[0], 0)
    assert _check(http, other, zero, {"short": (0, 0)}, 1000)["summary"] is None


def test_summary_false_leaves_the_summary_out(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """summary=false omits a summary that fits, and all messages are considered."""
    ws, written = chat
    _seed_summary(database_url, ws, "chat", "long", written[5], 30)
    _seed_summary(database_url, ws, "chat", "short", written[7], 10)
    body = _check(http, ws, written, {"long": (5, 30), "short": (7, 10)}, 100, summary=False)
    assert body["summary"] is None
    assert _ids(body["messages"]) == _ids(written)


def test_every_budget_with_summaries(
    http: httpx.Client, chat: tuple[str, list[Msg]], database_url: str
) -> None:
    """For budgets -2..130 the summary choice and messages follow §9.1, within the budget."""
    ws, written = chat
    seeded = {"long": (4, 17), "short": (6, 6)}
    for kind, (boundary, size) in seeded.items():
        _seed_summary(database_url, ws, "chat", kind, written[boundary], size)
    for tokens in range(-2, 131):
        _check(http, ws, written, seeded, tokens)


# --- peer_target / peer_perspective (§9.2) ------------------------------------------------------


@pytest.fixture(scope="module")
def views(http: httpx.Client) -> tuple[str, list[Msg]]:
    """alice's global view, bob's view of alice and alice's view of bob (one observation each,
    plus one of alice's global view in another session); alice's own card and bob's card of
    alice; a session of alternating messages."""
    ws = unique("views")
    sessions = f"/v2/workspaces/{ws}/sessions"
    for name in ("views", "elsewhere"):
        r = http.post(sessions, json={"id": name, "peers": {"alice": {}, "bob": {}}})
        assert r.status_code == 200, r.text
    observations = [
        ("Alice once lived in Oslo", "alice", "alice", "elsewhere"),
        ("Alice lives in Lisbon", "alice", "alice", "views"),
        ("Alice seems nervous around Bob", "bob", "alice", "views"),
        ("Bob is loud", "alice", "bob", "views"),
    ]
    for content, observer, observed, session in observations:  # one by one: distinct times
        r = http.post(
            f"/v2/workspaces/{ws}/observations",
            json={
                "observations": [
                    {
                        "content": content,
                        "observer_id": observer,
                        "observed_id": observed,
                        "session_id": session,
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
    cards = [("alice", None, ["Name: Alice", "Lives in Lisbon"]), ("bob", "alice", ["Rival"])]
    for peer, target, card in cards:
        params = {"target": target} if target else {}
        r = http.put(
            f"/v2/workspaces/{ws}/peers/{peer}/card", params=params, json={"peer_card": card}
        )
        assert r.status_code == 200, r.text
    written = _write(
        http, ws, "views", *[("alice" if i % 2 else "bob", c) for i, c in enumerate(LADDER)]
    )
    return ws, written


def _explicit(body: Msg) -> list[str]:
    return [e["content"] for e in body["peer_representation"]["explicit"]]


@pytest.mark.parametrize(
    ("params", "explicit", "card"),
    [
        (
            {"peer_target": "alice"},
            ["Alice once lived in Oslo", "Alice lives in Lisbon"],
            ["Name: Alice", "Lives in Lisbon"],
        ),
        (
            {"peer_target": "alice", "peer_perspective": "alice"},
            ["Alice once lived in Oslo", "Alice lives in Lisbon"],
            ["Name: Alice", "Lives in Lisbon"],
        ),
        (
            {"peer_target": "alice", "limit_to_session": "true"},
            ["Alice lives in Lisbon"],
            ["Name: Alice", "Lives in Lisbon"],
        ),
        (
            {"peer_target": "alice", "peer_perspective": "bob"},
            ["Alice seems nervous around Bob"],
            ["Rival"],
        ),
        ({"peer_target": "bob", "peer_perspective": "alice"}, ["Bob is loud"], None),
        ({"peer_target": "bob"}, [], None),
        ({"peer_target": "nobody"}, [], None),
    ],
)
def test_peer_target_returns_that_views_representation_and_card(
    http: httpx.Client,
    views: tuple[str, list[Msg]],
    params: dict[str, str],
    explicit: list[str],
    card: list[str] | None,
) -> None:
    """peer_target/peer_perspective pick the view's representation and card (limit_to_session)."""
    ws, _ = views
    body = _context(http, ws, "views", **params)
    assert sorted(_explicit(body)) == sorted(explicit)  # same-second items tie on created_at
    assert body["peer_representation"]["deductive"] == []
    assert body["peer_card"] == card
    for item in body["peer_representation"]["explicit"]:
        assert sorted(item) == ["content", "created_at", "message_ids", "session_name"]


def test_without_peer_target_there_is_no_representation(
    http: httpx.Client, views: tuple[str, list[Msg]]
) -> None:
    """Without peer_target, peer_representation and peer_card are null."""
    ws, _ = views
    body = _context(http, ws, "views", tokens=1000)
    assert body["peer_representation"] is None and body["peer_card"] is None


def test_perspective_without_target_is_422(
    http: httpx.Client, views: tuple[str, list[Msg]]
) -> None:
    """peer_perspective without peer_target is 422 saying peer_target is required."""
    ws, _ = views
    r = http.get(f"/v2/workspaces/{ws}/sessions/views/context", params={"peer_perspective": "bob"})
    assert r.status_code == 422, r.text
    assert "peer_target must be provided" in str(r.json()["detail"])


def _estimate(body: Msg) -> int:
    """What the representation and the card cost against the budget (§9.2)."""
    rep = Representation.model_validate(body["peer_representation"])
    return count_tokens(rep.render()) + count_tokens("\n".join(body["peer_card"] or []))


@pytest.mark.parametrize("perspective", [None, "bob"])
def test_every_budget_with_a_peer_target(
    http: httpx.Client, views: tuple[str, list[Msg]], perspective: str | None
) -> None:
    """With peer_target, messages + representation/card estimates never exceed tokens."""
    ws, written = views
    params: dict[str, Any] = {"peer_target": "alice"}
    if perspective:
        params["peer_perspective"] = perspective
    first = _context(http, ws, "views", tokens=10, **params)
    cost = _estimate(first)
    assert cost > 0
    for tokens in range(-1, cost + _tokens(written) + 3):
        body = _context(http, ws, "views", tokens=tokens, **params)
        assert _estimate(body) == cost
        messages = body["messages"]
        if messages:
            assert _tokens(messages) + cost <= tokens, tokens
        assert _ids(messages) == _ids(newest_that_fit(written, tokens - cost)), tokens
        assert body["peer_representation"] is not None


# --- official SDK -------------------------------------------------------------------------------


def test_official_sdk_get_context_to_openai(
    api_server: LiveServer, http: httpx.Client, database_url: str
) -> None:
    """The SDK's session.get_context(...).to_openai(assistant=...) gets system parts, then roles."""
    honcho = Honcho(base_url=api_server.base_url, workspace_id=unique("sdk-ctx"))
    try:
        ws = honcho.workspace_id
        alice, bob = honcho.peer("alice"), honcho.peer("bob")
        session = honcho.session("chat")
        written = session.add_messages(
            [
                alice.message(f"alice line {i}") if i % 2 else bob.message(f"bob line {i}")
                for i in range(6)
            ]
        )
        as_dicts = [{"id": m.id, "content": m.content} for m in written]
        summary_text = _seed_summary(database_url, ws, "chat", "short", as_dicts[1], 5)
        r = http.post(
            f"/v2/workspaces/{ws}/observations",
            json={
                "observations": [
                    {
                        "content": "Alice lives in Lisbon",
                        "observer_id": "alice",
                        "observed_id": "alice",
                        "session_id": "chat",
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
        alice_card = http.put(
            f"/v2/workspaces/{ws}/peers/alice/card", json={"peer_card": ["Name: Alice"]}
        )
        assert alice_card.status_code == 200

        context = session.get_context(tokens=2000, peer_target="alice")
        assert [m.id for m in context.messages] == [m.id for m in written[2:]]
        assert context.summary is not None and context.summary.message_id == written[1].id
        assert context.summary.content == summary_text
        assert len(context) == len(written) - 2 + 1
        assert context.peer_card == ["Name: Alice"]
        assert (
            context.peer_representation and "Alice lives in Lisbon" in context.peer_representation
        )

        openai = context.to_openai(assistant="bob")
        assert [m["role"] for m in openai[:3]] == ["system"] * 3
        assert openai[0]["content"].startswith("<peer_representation>")
        assert "Alice lives in Lisbon" in openai[0]["content"]
        assert (
            openai[1]["content"].startswith("<peer_card>") and "Name: Alice" in openai[1]["content"]
        )
        assert openai[2]["content"] == f"<summary>{summary_text}</summary>"
        assert [(m["role"], m["content"]) for m in openai[3:]] == [
            ("assistant" if m.peer_id == "bob" else "user", m.content) for m in written[2:]
        ]
        plain = session.get_context(tokens=2000, summary=False).to_openai(assistant=bob)
        assert [m["content"] for m in plain] == [m.content for m in written]
    finally:
        honcho.core.close()
