"""`AsyncHoncho`: the same methods as `Honcho`, awaited, against the live servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from honcho import (
    APIConnectionError,
    AsyncDialecticStreamResponse,
    AsyncHoncho,
    AsyncPage,
    AsyncPeer,
    AsyncSession,
    NotFoundError,
    SessionPeerConfig,
)
from tests.conftest import Recorder, unique


@pytest.fixture
async def arecorded(base_url: str, recorder: Recorder) -> AsyncIterator[AsyncHoncho]:
    async with httpx.AsyncClient(event_hooks={"request": [recorder.record_async]}) as http:
        client = AsyncHoncho(base_url=base_url, workspace_id=unique("sdk-async"), http_client=http)
        yield client


async def test_workspace_round_trip(ahoncho: AsyncHoncho, base_url: str) -> None:
    assert ahoncho.metadata is None  # nothing sent before the first request
    assert await ahoncho.get_workspaces(filters={"id": ahoncho.workspace_id}) == [
        ahoncho.workspace_id
    ]
    assert ahoncho.metadata == {}
    await ahoncho.set_metadata({"plan": "pro"})
    await ahoncho.set_config({"deriver": {"enabled": False}})
    async with AsyncHoncho(base_url=base_url, workspace_id=ahoncho.workspace_id) as other:
        assert await other.get_metadata() == {"plan": "pro"}
        assert await other.get_config() == {"deriver": {"enabled": False}}
    assert [s.id async for s in await ahoncho.get_sessions()] == []


async def test_peers_and_lazy_pages(arecorded: AsyncHoncho, recorder: Recorder) -> None:
    alice = await arecorded.peer("alice")
    assert isinstance(alice, AsyncPeer) and recorder.requests == []
    bob = await arecorded.peer("bob", metadata={"role": "user"})
    assert bob.metadata == {"role": "user"}
    assert recorder.paths() == [
        "POST /v2/workspaces",
        f"POST /v2/workspaces/{bob.workspace_id}/peers",
    ]

    session = await arecorded.session("crowd")
    await session.add_messages([alice.message(f"m{i}") for i in range(55)])
    await session.add_messages(
        *[(await arecorded.peer(f"p{i:02}")).message("hi") for i in range(55)]
    )
    recorder.clear()
    page = await arecorded.get_peers()
    assert isinstance(page, AsyncPage) and len(page) == 50 and page.total == 57
    everyone = [p async for p in page]
    assert len(everyone) == 57 and len(recorder.requests) == 2
    assert {p.id: p.metadata for p in everyone}["bob"] == {"role": "user"}
    second = await page.get_next_page()
    assert second is not None and await second.get_next_page() is None

    messages = await session.get_messages(reverse=True)
    assert messages[0].content == "hi"
    assert len([m async for m in messages]) == 110


async def test_sessions(ahoncho: AsyncHoncho) -> None:
    session = await ahoncho.session("chat", metadata={"k": "v"})
    assert isinstance(session, AsyncSession) and session.metadata == {"k": "v"}
    alice = await ahoncho.peer("alice")
    bob = await ahoncho.peer("bob", config={"observe_others": True})
    await session.add_peers([alice, ("carol", SessionPeerConfig(observe_me=False))])
    sent = await session.add_messages(alice.message("hi"), bob.message("hello"))
    assert [m.content for m in sent] == ["hi", "hello"]
    assert (await session.get_peer_config(bob)).observe_others is True
    assert sorted(p.id for p in await session.get_peers()) == ["alice", "bob", "carol"]
    await session.set_peer_config("carol", {"observe_me": True})
    assert await session.get_peer_config("carol") == SessionPeerConfig(observe_me=True)
    await session.remove_peers("carol")
    await session.set_peers([alice, bob])
    assert sorted(p.id for p in await session.get_peers()) == ["alice", "bob"]

    context = await session.get_context(tokens=1500, peer_target="alice", last_user_message=sent[0])
    assert [m.content for m in context.messages] == ["hi", "hello"]
    assert context.to_openai(assistant=alice)[-1]["role"] == "user"
    assert [m.content for m in await session.search("hello")] == ["hello"]
    (upload,) = await session.upload_file(("a.txt", b"uploaded", "text/plain"), peer=alice)
    assert upload.content == "uploaded"
    assert (await session.update_message(upload, {"r": 1})).metadata == {"r": 1}
    assert (await ahoncho.update_message(upload.id, {"r": 2}, session="chat")).metadata == {"r": 2}

    clone = await session.clone()
    assert [m.content async for m in await clone.get_messages()] == ["hi", "hello", "uploaded"]
    await clone.delete()
    with pytest.raises(NotFoundError):
        await clone.delete()
    assert (await ahoncho.poll_deriver_status(timeout=5)).pending_work_units == 0
    assert (await session.get_summaries()).short_summary is None


async def test_chat_and_memory(chat_ahoncho: AsyncHoncho) -> None:
    alice = await chat_ahoncho.peer("alice")
    bob = await chat_ahoncho.peer("bob", config={"observe_others": True})
    session = await chat_ahoncho.session("group_chat")
    await session.add_messages(alice.message("Hello from Alice!"), bob.message("I ate eggs today."))
    await session.poll_deriver_status(timeout=60)

    answer = await bob.chat("What did Alice say?", target=alice, session=session)
    assert answer is not None and "alice said: Hello from Alice!" in answer
    stream = await bob.chat("What did I eat?", stream=True)
    assert isinstance(stream, AsyncDialecticStreamResponse)
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 3 and stream.is_complete
    assert "bob said: I ate eggs today." in stream.get_final_response()["content"]

    cut = await bob.chat("[cut] more", stream=True)
    with pytest.raises(APIConnectionError, match="incomplete"):
        async for _ in cut:
            pass
    assert cut.get_final_response()["content"] == "partial answer " and not cut.is_complete

    rep = await session.working_rep(bob, target=alice)
    assert [o.content for o in rep.explicit] == ["alice said: Hello from Alice!"]
    context = await bob.get_context()
    assert context.representation is not None and not context.representation.is_empty()
    assert "bob said: I ate eggs today." in str(context.representation)
    observations = await bob.observations_of(alice).list()
    assert [o.content for o in observations] == ["alice said: Hello from Alice!"]
    created = await alice.observations.create({"content": "Alice likes tea", "session_id": session})
    assert [o.content for o in await alice.observations.query("tea", top_k=1)] == [
        "Alice likes tea"
    ]
    await alice.observations.delete(created[0].id)
    assert "tea" not in str(await alice.observations.get_representation())
