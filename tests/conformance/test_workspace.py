"""The official SDK against a live server: the workspace (Honcho) methods."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from honcho import Honcho
from honcho_core import NotFoundError

from tests.conformance.helpers import (
    ids,
)
from tests.support import unique

# -- workspace (Honcho) -------------------------------------------------------------------------


def test_construction_gets_or_creates_workspace(
    honcho: Honcho, make_honcho: Callable[[str], Honcho]
) -> None:
    """Constructing Honcho creates the workspace, and constructing it again leaves it untouched."""
    assert honcho.get_workspaces(filters={"id": honcho.workspace_id}) == [honcho.workspace_id]
    assert honcho.get_metadata() == {} and honcho.get_config() == {}
    honcho.set_metadata({"owner": "alice"})
    honcho.peer("alice").get_metadata()

    again = make_honcho(honcho.workspace_id)
    assert again.get_metadata() == {"owner": "alice"}
    assert ids(again.get_peers()) == ["alice"]


def test_workspace_metadata_round_trip(
    honcho: Honcho, make_honcho: Callable[[str], Honcho]
) -> None:
    """Workspace set_metadata stores nested JSON that get_metadata returns; a new set replaces."""
    metadata: dict[str, object] = {"plan": "pro", "limits": {"seats": 3, "tags": ["a", "b"]}}
    honcho.set_metadata(metadata)
    assert honcho.metadata == metadata
    other = make_honcho(honcho.workspace_id)
    assert other.get_metadata() == metadata

    honcho.set_metadata({"plan": "free"})
    assert other.get_metadata() == {"plan": "free"}
    assert other.metadata == {"plan": "free"}


def test_workspace_config_round_trip(honcho: Honcho, make_honcho: Callable[[str], Honcho]) -> None:
    """Workspace set_config stores typed and unknown top-level keys that get_config returns."""
    honcho.set_config({"deriver": {"enabled": False}, "custom": {"x": 1}})
    other = make_honcho(honcho.workspace_id)
    config = other.get_config()
    assert config["deriver"] == {"enabled": False}
    assert config["custom"] == {"x": 1}
    assert other.configuration == config

    honcho.set_config({"summary": {"enabled": True, "messages_per_short_summary": 15}})
    assert other.get_config()["summary"] == {"enabled": True, "messages_per_short_summary": 15}


def test_workspace_refresh(honcho: Honcho, make_honcho: Callable[[str], Honcho]) -> None:
    """Workspace refresh() reloads metadata and configuration changed by another client."""
    assert honcho.metadata is None and honcho.configuration is None
    other = make_honcho(honcho.workspace_id)
    other.set_metadata({"v": 2})
    other.set_config({"dream": {"enabled": False}})
    honcho.refresh()
    assert honcho.metadata == {"v": 2}
    assert honcho.configuration is not None
    assert honcho.configuration["dream"] == {"enabled": False}


def test_get_workspaces_lists_and_filters(
    honcho: Honcho, make_honcho: Callable[[str], Honcho]
) -> None:
    """get_workspaces returns every workspace id, in creation order when filtered by metadata."""
    marker = unique("marker")
    created = [make_honcho(unique("sdk-ws")) for _ in range(3)]
    for client in created:
        client.set_metadata({"marker": marker})
    names = [c.workspace_id for c in created]

    assert honcho.get_workspaces(filters={"metadata": {"marker": marker}}) == names
    everything = honcho.get_workspaces()
    assert set(names) | {honcho.workspace_id} <= set(everything)
    assert len(everything) == len(set(everything))
    assert honcho.get_workspaces(filters={"id": {"in": names[:2]}}) == names[:2]


def test_delete_workspace(honcho: Honcho, make_honcho: Callable[[str], Honcho]) -> None:
    """delete_workspace returns the deleted workspace and removes everything in it."""
    doomed = make_honcho(unique("sdk-doomed"))
    doomed.set_metadata({"k": "v"})
    session = doomed.session("chat")
    session.add_messages([doomed.peer("alice").message("hello")])

    deleted = honcho.delete_workspace(doomed.workspace_id)
    assert deleted.id == doomed.workspace_id
    assert deleted.metadata == {"k": "v"}
    assert honcho.get_workspaces(filters={"id": doomed.workspace_id}) == []
    with pytest.raises(NotFoundError):
        honcho.delete_workspace(doomed.workspace_id)

    reborn = make_honcho(doomed.workspace_id)
    assert reborn.get_metadata() == {}
    assert ids(reborn.get_peers()) == []
    assert ids(reborn.get_sessions()) == []


def test_update_message(honcho: Honcho) -> None:
    """update_message replaces a message's metadata given a Message, or an id plus its session."""
    session = honcho.session("chat")
    alice = honcho.peer("alice")
    first, second = session.add_messages(
        [alice.message("one", metadata={"old": True}), alice.message("two")]
    )

    updated = honcho.update_message(first, {"rating": 5})
    assert updated.id == first.id and updated.content == "one"
    assert updated.metadata == {"rating": 5}
    assert honcho.update_message(second.id, {"by": "id"}, session="chat").metadata == {"by": "id"}
    assert honcho.update_message(second.id, {"by": "obj"}, session=session).metadata == {
        "by": "obj"
    }

    stored = list(session.get_messages())
    assert [(m.content, m.metadata) for m in stored] == [
        ("one", {"rating": 5}),
        ("two", {"by": "obj"}),
    ]
    with pytest.raises(NotFoundError):
        honcho.update_message("no-such-message", {"x": 1}, session="chat")
