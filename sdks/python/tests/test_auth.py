"""API keys on the server with auth on: sending them, minting scoped keys, and the errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from honcho import (
    AsyncHoncho,
    AuthenticationError,
    Honcho,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from tests.conftest import unique


def test_missing_or_forged_key(auth_base_url: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Honcho(base_url=auth_base_url, workspace_id=unique("auth"))
    assert caught.value.status_code == 401
    with pytest.raises(AuthenticationError):
        Honcho(base_url=auth_base_url, workspace_id=unique("auth"), api_key="not-a-jwt")


def test_key_from_environment(
    auth_base_url: str, admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HONCHO_API_KEY", admin_key)
    with Honcho(base_url=auth_base_url, workspace_id=unique("auth")) as admin:
        assert admin.workspace_id in admin.get_workspaces(filters={"id": admin.workspace_id})


def test_scoped_keys(auth_base_url: str, admin_key: str) -> None:
    workspace = unique("auth")
    admin = Honcho(base_url=auth_base_url, workspace_id=workspace, api_key=admin_key)
    admin.session("chat").add_messages(admin.peer("alice").message("hi"))

    workspace_key = admin.create_key()
    with Honcho(base_url=auth_base_url, workspace_id=workspace, api_key=workspace_key) as scoped:
        assert [p.id for p in scoped.get_peers()] == ["alice"]
    with pytest.raises(PermissionDeniedError) as caught:
        Honcho(base_url=auth_base_url, workspace_id=unique("other"), api_key=workspace_key)
    assert caught.value.status_code == 403

    alice_key = admin.create_key(peer="alice", expires_at=datetime.now(UTC) + timedelta(hours=1))
    alice_client = Honcho(base_url=auth_base_url, workspace_id=workspace, api_key=alice_key)
    alice = alice_client.peer("alice")
    alice.set_metadata({"me": True})
    assert alice.get_metadata() == {"me": True}
    with pytest.raises(PermissionDeniedError):
        alice_client.peer("bob").set_metadata({"not": "mine"})

    chat_key = admin.create_key(session=admin.session("chat"))
    chat_client = Honcho(base_url=auth_base_url, workspace_id=workspace, api_key=chat_key)
    assert [m.content for m in chat_client.session("chat").get_messages()] == ["hi"]
    with pytest.raises(PermissionDeniedError):
        chat_client.session("elsewhere").get_messages()

    with pytest.raises(UnprocessableEntityError, match="future"):
        admin.create_key(expires_at=datetime.now(UTC) - timedelta(hours=1))
    admin.close()


async def test_async_keys(auth_base_url: str, admin_key: str) -> None:
    workspace = unique("auth-async")
    async with AsyncHoncho(base_url=auth_base_url, workspace_id=workspace, api_key=admin_key) as a:
        key = await a.create_key(peer="alice")
    async with AsyncHoncho(base_url=auth_base_url, workspace_id=workspace, api_key=key) as alice:
        peer = await alice.peer("alice", metadata={"async": True})
        assert peer.metadata == {"async": True}
        with pytest.raises(PermissionDeniedError):
            await (await alice.peer("bob")).get_metadata()
