"""`AsyncHoncho`: the asynchronous client, scoped to one workspace."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from .. import _ops as ops
from .._args import PeerLike, SessionLike, optional_peer, optional_session, session_id
from .._config import resolve_options, resolve_workspace
from .._context import AsyncContext
from .._http import AsyncHTTP
from .._poll import PollTimer
from ..models import DeriverStatus, Message, WebhookEndpoint, Workspace
from ..pagination import AsyncPage
from .peer import AsyncPeer
from .session import AsyncSession

__all__ = ["AsyncHoncho"]


class AsyncHoncho:
    """The client. Every peer and session it hands out lives in its workspace.

    Settings come from the arguments, else the environment (`HONCHO_BASE_URL`,
    `HONCHO_API_KEY`, `HONCHO_WORKSPACE_ID`), else the defaults (http://localhost:8000, no key,
    workspace "default"). The workspace is got or created by the client's first request
    (a constructor cannot await). Methods are coroutines, `peer()` and `session()` included.

    Example:
        >>> honcho = AsyncHoncho(base_url="http://localhost:8000", workspace_id="demo")
        >>> alice = await honcho.peer("alice")
    """

    def __init__(
        self,
        api_key: str | None = None,
        environment: str | None = None,
        base_url: str | None = None,
        workspace_id: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: httpx.AsyncClient | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        options = resolve_options(
            api_key=api_key,
            environment=environment,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
        )
        client = async_http_client or http_client
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise TypeError("AsyncHoncho needs an httpx.AsyncClient (async_http_client=...)")
        http = AsyncHTTP(options, client, prelude=self._create_workspace)
        self._ctx = AsyncContext(resolve_workspace(workspace_id), http)
        self._metadata: dict[str, Any] | None = None
        self._configuration: dict[str, Any] | None = None

    async def _create_workspace(self, http: AsyncHTTP) -> None:
        self._cache(await http.call_direct(ops.get_or_create_workspace(self.workspace_id)))

    # -- properties ---------------------------------------------------------------------------

    @property
    def workspace_id(self) -> str:
        """The workspace this client works in.

        Example:
            >>> AsyncHoncho(workspace_id="demo").workspace_id
            'demo'
        """
        return self._ctx.workspace_id

    @property
    def base_url(self) -> str:
        """The server's root URL.

        Example:
            >>> AsyncHoncho(base_url="http://localhost:8000/").base_url
            'http://localhost:8000'
        """
        return self._ctx.http.options.base_url

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The workspace's cached metadata (as of construction or the last get/set/refresh).

        Example:
            >>> await honcho.refresh(); honcho.metadata
            {}
        """
        return self._metadata

    @property
    def configuration(self) -> dict[str, Any] | None:
        """The workspace's cached configuration.

        Example:
            >>> await honcho.refresh(); honcho.configuration
            {}
        """
        return self._configuration

    # -- peers and sessions -------------------------------------------------------------------

    async def peer(
        self,
        id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> AsyncPeer:
        """A handle on peer `id`. No request is made unless `metadata` or `config` is given, in
        which case the peer is created or updated with them. `config={"observe_others": True}`
        also makes the peer an observer in every session this client adds it to (see README).

        Example:
            >>> alice = await honcho.peer("alice")
            >>> bob = await honcho.peer("bob", config={"observe_others": True})
        """
        if metadata is None and config is None:
            return AsyncPeer(id, self._ctx)
        call = ops.get_or_create_peer(
            self.workspace_id,
            id,
            dict(metadata) if metadata is not None else None,
            dict(config) if config is not None else None,
        )
        return AsyncPeer._from_data(self._ctx, await self._ctx.http.call(call))

    async def get_peers(self, filters: Mapping[str, Any] | None = None) -> AsyncPage[AsyncPeer]:
        """The workspace's peers (optionally filtered), page by page as you iterate.

        Example:
            >>> [peer.id async for peer in await honcho.get_peers()]
            ['alice', 'bob']
            >>> await honcho.get_peers(filters={"metadata": {"role": "user"}})
        """
        call = ops.list_peers(self.workspace_id, filters)
        return await AsyncPage._first(
            self._ctx.http, call, lambda p: AsyncPeer._from_data(self._ctx, p)
        )

    async def session(
        self,
        id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> AsyncSession:
        """A handle on session `id`. No request is made unless `metadata` or `config` is given.

        Example:
            >>> session = await honcho.session("group_chat")
            >>> quiet = await honcho.session("quiet", config={"summary": {"enabled": False}})
        """
        if metadata is None and config is None:
            return AsyncSession(id, self._ctx)
        call = ops.get_or_create_session(
            self.workspace_id,
            id,
            dict(metadata) if metadata is not None else None,
            dict(config) if config is not None else None,
        )
        return AsyncSession._from_data(self._ctx, await self._ctx.http.call(call))

    async def get_sessions(
        self, filters: Mapping[str, Any] | None = None
    ) -> AsyncPage[AsyncSession]:
        """The workspace's active sessions (optionally filtered), page by page as you iterate.

        Example:
            >>> [session.id async for session in await honcho.get_sessions()]
            ['group_chat']
        """
        call = ops.list_sessions(self.workspace_id, filters)
        return await AsyncPage._first(
            self._ctx.http, call, lambda s: AsyncSession._from_data(self._ctx, s)
        )

    # -- the workspace ------------------------------------------------------------------------

    async def get_metadata(self) -> dict[str, Any]:
        """Read the workspace's metadata.

        Example:
            >>> await honcho.get_metadata()
            {}
        """
        await self.refresh()
        return self._metadata or {}

    async def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Replace the workspace's metadata.

        Example:
            >>> await honcho.set_metadata({"plan": "pro"})
        """
        self._cache(
            await self._ctx.http.call(
                ops.update_workspace(self.workspace_id, metadata=dict(metadata))
            )
        )

    async def get_config(self) -> dict[str, Any]:
        """Read the workspace's configuration.

        Example:
            >>> await honcho.get_config()
            {}
        """
        await self.refresh()
        return self._configuration or {}

    async def set_config(self, configuration: Mapping[str, Any]) -> None:
        """Update the workspace's configuration (the server merges top-level keys).

        Example:
            >>> await honcho.set_config({"deriver": {"enabled": False}})
        """
        call = ops.update_workspace(self.workspace_id, configuration=dict(configuration))
        self._cache(await self._ctx.http.call(call))

    async def refresh(self) -> None:
        """Re-read the workspace's metadata and configuration (creating it if needed).

        Example:
            >>> await honcho.refresh(); print(honcho.metadata)
        """
        http = self._ctx.http
        self._cache(await http.call_direct(ops.get_or_create_workspace(self.workspace_id)))
        http.prelude_done()

    def _cache(self, workspace: Workspace) -> None:
        self._metadata, self._configuration = workspace.metadata, workspace.configuration

    async def get_workspaces(self, filters: Mapping[str, Any] | None = None) -> list[str]:
        """The ids of all workspaces (admin keys only when auth is on), every page.

        Example:
            >>> "demo" in await honcho.get_workspaces()
            True
        """
        call = ops.list_workspaces(filters)
        return [w.id async for w in await AsyncPage._first(self._ctx.http, call, lambda w: w)]

    async def delete_workspace(self, workspace_id: str) -> Workspace:
        """Delete a workspace and everything in it; returns it as it was.

        Example:
            >>> await honcho.delete_workspace("old-demo")
        """
        return await self._ctx.http.call(ops.delete_workspace(workspace_id))

    async def search(
        self, query: str, filters: Mapping[str, Any] | None = None, limit: int = 10
    ) -> list[Message]:
        """Messages anywhere in the workspace that match `query` (by words and by meaning).

        Example:
            >>> await honcho.search("breakfast", filters={"peer_id": "bob"}, limit=5)
        """
        return await self._ctx.http.call(
            ops.search_workspace(self.workspace_id, query, filters, limit)
        )

    async def update_message(
        self,
        message: Message | str,
        metadata: Mapping[str, Any],
        session: SessionLike | None = None,
    ) -> Message:
        """Replace a message's metadata. `session` is needed when `message` is an id.

        Example:
            >>> await honcho.update_message(message, {"reviewed": True})
            >>> await honcho.update_message("Vb3c...", {"reviewed": True}, session="chat")
        """
        if isinstance(message, Message):
            message_id, in_session = message.id, message.session_id
        elif session is None:
            raise ValueError("session is required when message is an id")
        else:
            message_id, in_session = message, session_id(session)
        call = ops.update_message(self.workspace_id, in_session, message_id, dict(metadata))
        return await self._ctx.http.call(call)

    # -- the deriver --------------------------------------------------------------------------

    async def get_deriver_status(
        self,
        observer: PeerLike | None = None,
        sender: PeerLike | None = None,
        session: SessionLike | None = None,
    ) -> DeriverStatus:
        """What the deriver still has to do (optionally for one observer, sender or session).

        Example:
            >>> status = await honcho.get_deriver_status(session="group_chat")
            >>> status.pending_work_units, status.in_progress_work_units
            (0, 0)
        """
        call = ops.deriver_status(
            self.workspace_id,
            optional_peer(observer),
            optional_peer(sender),
            optional_session(session),
        )
        return await self._ctx.http.call(call)

    async def poll_deriver_status(
        self,
        observer: PeerLike | None = None,
        sender: PeerLike | None = None,
        session: SessionLike | None = None,
        timeout: float = 300.0,  # noqa: ASYNC109 (the official SDK's signature)
    ) -> DeriverStatus:
        """Wait until nothing is pending or in progress; raises TimeoutError after `timeout`
        seconds. Call it before `chat` when the newest messages must be taken into account.

        Example:
            >>> await honcho.poll_deriver_status(timeout=60)
        """
        timer = PollTimer(timeout)
        while True:
            status = await self.get_deriver_status(observer, sender, session)
            if status.pending_work_units == 0 and status.in_progress_work_units == 0:
                return status
            await asyncio.sleep(timer.next_sleep(status))

    # -- webhooks and keys --------------------------------------------------------------------

    async def create_webhook(self, url: str) -> WebhookEndpoint:
        """Register `url` to receive the workspace's events (returns the existing endpoint when
        the URL is already registered).

        Example:
            >>> endpoint = await honcho.create_webhook("https://example.com/honcho-events")
        """
        return await self._ctx.http.call(ops.create_webhook(self.workspace_id, url))

    async def get_webhooks(self) -> AsyncPage[WebhookEndpoint]:
        """The workspace's webhook endpoints.

        Example:
            >>> [endpoint.url async for endpoint in await honcho.get_webhooks()]
        """
        call = ops.list_webhooks(self.workspace_id)
        return await AsyncPage._first(self._ctx.http, call, lambda w: w)

    async def delete_webhook(self, endpoint: WebhookEndpoint | str) -> None:
        """Remove a webhook endpoint (object or id).

        Example:
            >>> await honcho.delete_webhook(endpoint)
        """
        endpoint_id = endpoint.id if isinstance(endpoint, WebhookEndpoint) else endpoint
        await self._ctx.http.call(ops.delete_webhook(self.workspace_id, endpoint_id))

    async def test_webhook(self) -> None:
        """Ask the server to send a test event to the workspace's endpoints.

        Example:
            >>> await honcho.test_webhook()
        """
        await self._ctx.http.call(ops.test_webhook(self.workspace_id))

    async def create_key(
        self,
        *,
        peer: PeerLike | None = None,
        session: SessionLike | None = None,
        expires_at: datetime | None = None,
        workspace_id: str | None = None,
    ) -> str:
        """Mint an API key (needs an admin key): for the whole workspace (this one unless
        `workspace_id` is given), or only one peer's or one session's routes; optionally expiring.

        Example:
            >>> key = await admin.create_key(peer="alice", expires_at=tomorrow)
            >>> alice_client = AsyncHoncho(api_key=key, workspace_id=admin.workspace_id)
        """
        call = ops.create_key(
            workspace_id or self.workspace_id,
            optional_peer(peer),
            optional_session(session),
            expires_at,
        )
        return await self._ctx.http.call(call)

    # -- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the HTTP connections (not an `http_client` you passed in).

        Example:
            >>> await honcho.close()
        """
        await self._ctx.http.close()

    async def __aenter__(self) -> AsyncHoncho:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncHoncho(workspace_id={self.workspace_id!r}, base_url={self.base_url!r})"
