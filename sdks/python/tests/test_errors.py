"""Errors and retries. Status codes map to one small exception tree carrying the server's message
(checked against the live server). Retries, timeouts and connection failures need a server that
misbehaves on demand: a tiny scripted HTTP server in this process (`Flaky`) plays that part."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from honcho import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncHoncho,
    BadRequestError,
    Honcho,
    HonchoError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)

# -- against the live server -----------------------------------------------------------------


def test_not_found_carries_the_server_message(honcho: Honcho) -> None:
    session = honcho.session("chat")
    session.add_peers("alice")
    with pytest.raises(NotFoundError) as caught:
        session.get_message("no-such-message")
    error = caught.value
    assert isinstance(error, APIStatusError) and isinstance(error, HonchoError)
    assert error.status_code == 404
    assert error.message == "Message with ID no-such-message not found"
    assert error.body == {"detail": error.message}
    assert str(error) == f"404 {error.message}"


def test_validation_errors_are_one_readable_message(honcho: Honcho) -> None:
    session = honcho.session("chat")
    with pytest.raises(UnprocessableEntityError) as caught:
        session.add_messages(honcho.peer("not a valid name!").message("x"))
    assert caught.value.status_code == 422
    assert caught.value.message.startswith("messages.0.peer_id: String should match pattern")
    assert isinstance(caught.value.body, dict) and isinstance(caught.value.body["detail"], list)
    with pytest.raises(UnprocessableEntityError, match="messages_per_short_summary"):
        honcho.set_config({"summary": {"messages_per_short_summary": 5}})


def test_other_statuses(honcho: Honcho) -> None:
    """405 (keys without auth) has no class of its own: APIStatusError."""
    with pytest.raises(APIStatusError) as caught:
        honcho.create_key()
    assert type(caught.value) is APIStatusError and caught.value.status_code == 405
    assert caught.value.message == "Feature is disabled"


def test_observer_limit_is_a_bad_request(honcho: Honcho) -> None:
    from honcho import SessionPeerConfig

    observers = [(f"o{i}", SessionPeerConfig(observe_others=True)) for i in range(11)]
    with pytest.raises(BadRequestError, match="observers"):
        honcho.session("crowded").add_peers(observers)


def test_connection_refused(unused_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as caught:
        Honcho(base_url=f"http://127.0.0.1:{unused_port}", max_retries=0)
    assert not isinstance(caught.value, APITimeoutError)
    assert "POST /v2/workspaces" in str(caught.value)
    assert time.monotonic() - started < 2


# -- against a misbehaving server ------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Flaky:
    """Answers each request with the next scripted `Answer` for its path (200 when none left),
    and records "METHOD /path" of everything it receives."""

    url: str
    script: dict[str, list[Answer]]
    seen: list[str]

    def queue(self, path: str, *answers: Answer) -> None:
        self.script.setdefault(path, []).extend(answers)

    def count(self, method: str, path: str) -> int:
        return self.seen.count(f"{method} {path}")


WORKSPACE = {"id": "w", "metadata": {}, "configuration": {}, "created_at": "2025-01-01T00:00:00Z"}
MESSAGE = {
    "id": "m" * 21,
    "content": "hi",
    "peer_id": "alice",
    "session_id": "s",
    "workspace_id": "w",
    "metadata": {},
    "created_at": "2025-01-01T00:00:00Z",
    "token_count": 1,
}
MESSAGES = "/v2/workspaces/w/sessions/s/messages/"
PEER = "/v2/workspaces/w/peers"
CARD = "/v2/workspaces/w/peers/alice/card"


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    script: dict[str, list[Answer]] = {}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            seen.append(f"{self.command} {path}")
            queued = script.get(path) or []
            answer = queued.pop(0) if queued else Answer(200, self._default(path))
            time.sleep(answer.delay)
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                for key, value in {"content-type": "application/json", **answer.headers}.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def _default(self, path: str) -> Any:
            if path == MESSAGES:
                return [MESSAGE]
            if path == CARD:
                return {"peer_card": ["ok"]}
            return WORKSPACE

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield Flaky(f"http://127.0.0.1:{server.server_address[1]}", script, seen)
    server.shutdown()
    server.server_close()


def client(flaky: Flaky, **kwargs: Any) -> Honcho:
    return Honcho(base_url=flaky.url, workspace_id="w", **kwargs)


def fail(status: int, **headers: str) -> Answer:
    return Answer(status, {"detail": f"scripted {status}"}, headers)


def test_reads_are_retried_on_503(flaky: Flaky) -> None:
    honcho = client(flaky)
    flaky.queue(CARD, fail(503), fail(502))
    assert honcho.peer("alice").get_card() == ["ok"]
    assert flaky.count("GET", CARD) == 3


def test_retries_stop_after_max_retries(flaky: Flaky) -> None:
    honcho = client(flaky, max_retries=1)
    flaky.queue(CARD, fail(504), fail(504), fail(504))
    with pytest.raises(InternalServerError) as caught:
        honcho.peer("alice").get_card()
    assert caught.value.status_code == 504 and caught.value.message == "scripted 504"
    assert flaky.count("GET", CARD) == 2


def test_writes_are_not_repeated_after_an_ambiguous_failure(flaky: Flaky) -> None:
    """A 502 after posting messages may mean they were stored: never sent twice."""
    honcho = client(flaky)
    session = honcho.session("s")
    flaky.queue(MESSAGES, fail(502))
    with pytest.raises(InternalServerError):
        session.add_messages(honcho.peer("alice").message("hi"))
    assert flaky.count("POST", MESSAGES) == 1


def test_writes_are_retried_when_the_server_says_nothing_happened(flaky: Flaky) -> None:
    """429, and 503 with Retry-After (our server's answer when it rolled back under contention)."""
    honcho = client(flaky)
    session = honcho.session("s")
    flaky.queue(MESSAGES, fail(503, **{"retry-after": "0"}), fail(429, **{"retry-after": "0"}))
    (stored,) = session.add_messages(honcho.peer("alice").message("hi"))
    assert stored.content == "hi" and flaky.count("POST", MESSAGES) == 3

    flaky.queue(MESSAGES, *[fail(429, **{"retry-after": "0"})] * 3)
    with pytest.raises(RateLimitError):
        session.add_messages(honcho.peer("alice").message("hi"))


def test_server_retry_hint_wins(flaky: Flaky) -> None:
    honcho = client(flaky)
    flaky.queue(CARD, fail(503, **{"x-should-retry": "false"}))
    with pytest.raises(InternalServerError):
        honcho.peer("alice").get_card()
    assert flaky.count("GET", CARD) == 1
    flaky.queue(MESSAGES, fail(500, **{"x-should-retry": "true"}))
    honcho.session("s").add_messages(honcho.peer("alice").message("hi"))
    assert flaky.count("POST", MESSAGES) == 2


def test_errors_are_not_retried(flaky: Flaky) -> None:
    honcho = client(flaky)
    flaky.queue(PEER, fail(404), fail(422))
    with pytest.raises(NotFoundError):
        honcho.peer("alice").get_metadata()
    with pytest.raises(UnprocessableEntityError):
        honcho.peer("alice").get_metadata()
    assert flaky.count("POST", PEER) == 2


def test_timeouts(flaky: Flaky) -> None:
    """`timeout` is configurable; a read that times out is retried, a write is not."""
    honcho = client(flaky, timeout=0.3, max_retries=1)
    flaky.queue(CARD, Answer(200, {"peer_card": ["slow"]}, delay=1.0))
    assert honcho.peer("alice").get_card() == ["ok"]  # the retry got the fast answer
    assert flaky.count("GET", CARD) == 2

    flaky.queue(MESSAGES, Answer(200, [MESSAGE], delay=1.0))
    with pytest.raises(APITimeoutError):
        honcho.session("s").add_messages(honcho.peer("alice").message("hi"))
    assert flaky.count("POST", MESSAGES) == 1


def test_api_key_from_the_environment(flaky: Flaky, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    seen: list[httpx.Request] = []
    monkeypatch.setenv("HONCHO_API_KEY", "from-env")
    with httpx.Client(event_hooks={"request": [seen.append]}) as http:
        Honcho(base_url=flaky.url, http_client=http)
        monkeypatch.delenv("HONCHO_API_KEY")
        Honcho(base_url=flaky.url, http_client=http)
    assert seen[0].headers["authorization"] == "Bearer from-env"
    assert "authorization" not in seen[1].headers


def test_headers_and_default_query(flaky: Flaky) -> None:
    import httpx

    seen: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [seen.append]}) as http:
        honcho = Honcho(
            base_url=flaky.url + "/",
            workspace_id="w",
            api_key="secret",
            default_headers={"X-Team": "a"},
            default_query={"trace": "1"},
            http_client=http,
        )
        honcho.peer("alice").get_card()
    request = seen[-1]
    assert request.headers["authorization"] == "Bearer secret"
    assert request.headers["x-team"] == "a" and request.url.params["trace"] == "1"
    assert request.headers["user-agent"].startswith("honcho-sdk-python/")


async def test_async_retries_and_lazy_workspace(flaky: Flaky) -> None:
    """AsyncHoncho creates its workspace before its first request (once), and retries alike."""
    honcho = AsyncHoncho(base_url=flaky.url, workspace_id="w")
    assert flaky.seen == []
    flaky.queue(CARD, fail(503))
    peer = await honcho.peer("alice")
    assert await peer.get_card() == ["ok"]
    await peer.get_card()
    assert flaky.seen == ["POST /v2/workspaces", f"GET {CARD}", f"GET {CARD}", f"GET {CARD}"]
    flaky.queue(MESSAGES, fail(502))
    session = await honcho.session("s")
    with pytest.raises(InternalServerError):
        await session.add_messages(peer.message("hi"))
    assert flaky.count("POST", MESSAGES) == 1
    await honcho.close()
