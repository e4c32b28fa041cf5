"""`Honcho`: configuration, the workspace's metadata and configuration, listing, deleting,
searching and updating messages."""

from __future__ import annotations

import httpx
import pytest

from honcho import AsyncHoncho, Honcho, Message, NotFoundError, Workspace
from tests.conftest import MakeHoncho, Recorder, unique


def test_construction_gets_or_creates_the_workspace(make_honcho: MakeHoncho) -> None:
    honcho = make_honcho()
    assert honcho.get_workspaces(filters={"id": honcho.workspace_id}) == [honcho.workspace_id]
    assert honcho.metadata == {} and honcho.configuration == {}
    honcho.set_metadata({"owner": "alice"})

    again = make_honcho(workspace_id=honcho.workspace_id)
    assert again.metadata == {"owner": "alice"}  # read at construction, no extra request


def test_settings_from_environment(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = unique("env")
    monkeypatch.setenv("HONCHO_BASE_URL", base_url + "/")
    monkeypatch.setenv("HONCHO_WORKSPACE_ID", workspace)
    with Honcho() as honcho:
        assert honcho.base_url == base_url and honcho.workspace_id == workspace
        assert workspace in honcho.get_workspaces(filters={"id": workspace})
    # Arguments win over the environment.
    with Honcho(base_url=base_url, workspace_id="other-" + workspace) as honcho:
        assert honcho.workspace_id == "other-" + workspace


async def test_default_base_url_and_environments() -> None:
    """Without arguments or HONCHO_BASE_URL the client talks to http://localhost:8000. (Checked
    on AsyncHoncho, whose constructor sends nothing: no server listens on these addresses.)"""
    assert AsyncHoncho().base_url == "http://localhost:8000"
    assert AsyncHoncho().workspace_id == "default"
    assert AsyncHoncho(environment="production").base_url == "https://api.honcho.dev"
    assert AsyncHoncho(environment="local").base_url == "http://localhost:8000"
    assert AsyncHoncho(base_url="http://h:1/prefix/").base_url == "http://h:1/prefix"
    with pytest.raises(ValueError, match="unknown environment"):
        Honcho(environment="demo")
    with pytest.raises(ValueError, match="http"):
        Honcho(base_url="localhost:8000")


def test_metadata_and_config_round_trip(make_honcho: MakeHoncho) -> None:
    honcho = make_honcho()
    honcho.set_metadata({"plan": "pro", "limits": {"seats": 3}})
    assert honcho.metadata == {"plan": "pro", "limits": {"seats": 3}}
    honcho.set_config({"deriver": {"enabled": False}, "custom": {"x": 1}})
    other = make_honcho(workspace_id=honcho.workspace_id)
    assert other.get_metadata() == {"plan": "pro", "limits": {"seats": 3}}
    assert other.get_config() == {"deriver": {"enabled": False}, "custom": {"x": 1}}

    honcho.set_metadata({"plan": "free"})
    honcho.set_config({"summary": {"enabled": False}})
    other.refresh()
    assert other.metadata == {"plan": "free"}
    assert other.configuration == {
        "deriver": {"enabled": False},
        "custom": {"x": 1},
        "summary": {"enabled": False},
    }


def test_get_and_delete_workspaces(make_honcho: MakeHoncho) -> None:
    marker = unique("marker")
    created = [make_honcho() for _ in range(3)]
    for client in created:
        client.set_metadata({"marker": marker})
    admin = created[0]
    listed = admin.get_workspaces(filters={"metadata": {"marker": marker}})
    assert listed == [c.workspace_id for c in created]

    deleted = admin.delete_workspace(created[1].workspace_id)
    assert isinstance(deleted, Workspace) and deleted.metadata == {"marker": marker}
    assert admin.get_workspaces(filters={"metadata": {"marker": marker}}) == [
        created[0].workspace_id,
        created[2].workspace_id,
    ]
    with pytest.raises(NotFoundError) as caught:
        admin.delete_workspace(created[1].workspace_id)
    assert caught.value.status_code == 404 and "not found" in caught.value.message.lower()


def test_search_at_every_level(honcho: Honcho) -> None:
    alice, bob = honcho.peer("alice"), honcho.peer("bob")
    one, two = honcho.session("one"), honcho.session("two")
    one.add_messages(alice.message("I love pancakes"), bob.message("Pancakes are great"))
    two.add_messages(alice.message("pancakes again"), bob.message("something else"))

    assert {m.content for m in honcho.search("pancakes")} == {
        "I love pancakes",
        "Pancakes are great",
        "pancakes again",
    }
    assert {m.content for m in alice.search("pancakes")} == {"I love pancakes", "pancakes again"}
    assert [m.content for m in two.search("pancakes")] == ["pancakes again"]
    assert len(honcho.search("pancakes", limit=1)) == 1
    hits = honcho.search("pancakes", filters={"session_id": "one", "peer_id": "bob"})
    assert [m.content for m in hits] == ["Pancakes are great"]
    assert all(isinstance(m, Message) for m in hits)


def test_update_message(honcho: Honcho) -> None:
    session = honcho.session("chat")
    (message,) = session.add_messages(honcho.peer("alice").message("hi", metadata={"a": 1}))
    updated = honcho.update_message(message, {"reviewed": True})
    assert updated.id == message.id and updated.metadata == {"reviewed": True}
    again = honcho.update_message(message.id, {"reviewed": False}, session=session)
    assert again.metadata == {"reviewed": False}
    assert session.get_message(message.id).metadata == {"reviewed": False}
    with pytest.raises(ValueError, match="session is required"):
        honcho.update_message(message.id, {})


def test_deriver_status_without_a_model(honcho: Honcho) -> None:
    """A server without a model enqueues nothing: polling returns at once, and says why."""
    session = honcho.session("chat")
    session.add_messages(honcho.peer("alice").message("hello"))
    status = honcho.poll_deriver_status(timeout=5)
    assert status.pending_work_units == 0 and status.in_progress_work_units == 0
    assert status.derivation is not None and status.derivation.enabled is False
    assert (
        session.poll_deriver_status(observer="alice", sender="alice", timeout=5).total_work_units
        == 0
    )


def test_close_and_context_manager(base_url: str, recorder: Recorder) -> None:
    with httpx.Client(event_hooks={"request": [recorder]}) as http:
        with Honcho(base_url=base_url, workspace_id=unique("cm"), http_client=http) as honcho:
            honcho.peer("alice").get_metadata()
        assert not http.is_closed  # a client passed in stays the caller's to close
    owned = Honcho(base_url=base_url, workspace_id=unique("cm"))
    owned.close()
    assert recorder.paths()[0] == "POST /v2/workspaces"
