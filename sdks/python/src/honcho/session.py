"""`Session`: a conversation between any number of peers."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import _ops as ops
from ._args import (
    FileArg,
    MessagesArg,
    PeerConfigLike,
    PeerLike,
    PeersArg,
    flatten_messages,
    last_message_text,
    optional_peer,
    peer_config,
    peer_configs,
    peer_id,
    peer_ids,
    read_file,
    timestamp,
)
from ._poll import PollTimer
from .base import SessionBase
from .errors import NotFoundError
from .models import DeriverStatus, Message, SessionPeerConfig
from .pagination import SyncPage
from .representation import Representation
from .session_context import SessionContext, SessionSummaries

if TYPE_CHECKING:
    from ._context import SyncContext
    from .peer import Peer

__all__ = ["Session", "SessionPeerConfig"]

MAX_BATCH = 100  # messages per request (the server's limit)


class Session(SessionBase):
    """A session of the client's workspace. Get one with `honcho.session("chat")`.

    `metadata` and `configuration` are cached copies (None until known).
    """

    def __init__(
        self,
        id: str,
        ctx: SyncContext,
        *,
        metadata: dict[str, Any] | None = None,
        configuration: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(id, ctx.workspace_id)
        self._ctx = ctx
        self._metadata = metadata
        self._configuration = configuration

    @classmethod
    def _from_data(cls, ctx: SyncContext, data: ops.SessionData) -> Session:
        return cls(data.id, ctx, metadata=data.metadata, configuration=data.configuration)

    def _cache(self, data: ops.SessionData) -> None:
        self._metadata, self._configuration = data.metadata, data.configuration

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The cached metadata (None until fetched or set).

        Example:
            >>> honcho.session("chat", metadata={"channel": "web"}).metadata
            {'channel': 'web'}
        """
        return self._metadata

    @property
    def configuration(self) -> dict[str, Any] | None:
        """The cached session configuration (None until fetched or set).

        Example:
            >>> honcho.session("chat", config={"summary": {"enabled": False}}).configuration
            {'summary': {'enabled': False}}
        """
        return self._configuration

    # -- membership ---------------------------------------------------------------------------

    def add_peers(self, peers: PeersArg) -> None:
        """Add peers: ids, `Peer`s, or `(peer, SessionPeerConfig)` pairs, alone or in a list. A
        peer given without a configuration gets its `observe_others` default, if it has one.
        Members already in the session keep their configuration.

        Example:
            >>> session.add_peers([alice, ("bob", SessionPeerConfig(observe_others=True))])
        """
        body = peer_configs(peers, self._ctx.memberships)
        self._cache(self._ctx.http.call(ops.add_session_peers(self.workspace_id, self.id, body)))
        self._ctx.memberships.configured.update((self.id, p) for p in body)

    def set_peers(self, peers: PeersArg) -> None:
        """Make exactly these peers the members (others leave), with these configurations.

        Example:
            >>> session.set_peers(["alice", ("bob", SessionPeerConfig(observe_me=False))])
        """
        body = peer_configs(peers, self._ctx.memberships)
        self._cache(self._ctx.http.call(ops.set_session_peers(self.workspace_id, self.id, body)))
        configured = self._ctx.memberships.configured
        configured.difference_update({m for m in configured if m[0] == self.id})
        configured.update((self.id, p) for p in body)

    def remove_peers(self, peers: PeerLike | Sequence[PeerLike]) -> None:
        """Remove peers from the session (their messages stay).

        Example:
            >>> session.remove_peers(["bob", carol])
        """
        names = peer_ids(peers)
        self._cache(
            self._ctx.http.call(ops.remove_session_peers(self.workspace_id, self.id, names))
        )
        self._ctx.memberships.configured.difference_update((self.id, p) for p in names)

    def get_peers(self) -> list[Peer]:
        """All current members (every page).

        Example:
            >>> [peer.id for peer in session.get_peers()]
            ['alice', 'bob']
        """
        from .peer import Peer

        call = ops.session_peers(self.workspace_id, self.id)
        return list(SyncPage._first(self._ctx.http, call, lambda p: Peer._from_data(self._ctx, p)))

    def get_peer_config(self, peer: PeerLike) -> SessionPeerConfig:
        """A member's configuration in this session.

        Example:
            >>> session.get_peer_config(bob).observe_others
            True
        """
        call = ops.get_session_peer_config(self.workspace_id, self.id, peer_id(peer))
        return self._ctx.http.call(call)

    def set_peer_config(self, peer: PeerLike, config: PeerConfigLike) -> None:
        """Change a peer's configuration in this session (fields left None are kept); adds the
        peer to the session if it is not a member.

        Example:
            >>> session.set_peer_config(alice, SessionPeerConfig(observe_others=True))
        """
        name = peer_id(peer)
        call = ops.set_session_peer_config(self.workspace_id, self.id, name, peer_config(config))
        self._ctx.http.call(call)
        self._ctx.memberships.configured.add((self.id, name))

    # -- messages -----------------------------------------------------------------------------

    def add_messages(
        self, *items: MessagesArg, messages: MessagesArg | None = None
    ) -> list[Message]:
        """Add messages, given one by one or as lists: `add_messages(m1, m2)` or
        `add_messages([m1, m2])` (or `messages=[m1, m2]`). Authors become members. More than 100
        messages are sent in batches of 100 (each batch is stored atomically, in order).

        Example:
            >>> session.add_messages(alice.message("Hi Bob!"), bob.message("Hi Alice!"))
            >>> session.add_messages([alice.message(f"line {i}") for i in range(3)])
        """
        bodies = flatten_messages([*items, *([messages] if messages is not None else [])])
        if not bodies:
            return []
        self._apply_membership_defaults([b["peer_id"] for b in bodies])
        stored: list[Message] = []
        for start in range(0, len(bodies), MAX_BATCH):
            batch = bodies[start : start + MAX_BATCH]
            call = ops.create_messages(self.workspace_id, self.id, batch)
            added: list[Message] = self._ctx.http.call(call)
            stored.extend(added)
        return stored

    def _apply_membership_defaults(self, authors: list[str]) -> None:
        memberships = self._ctx.memberships
        for author, default in memberships.pending(self.id, authors):
            try:
                call = ops.set_session_peer_config(self.workspace_id, self.id, author, default)
                self._ctx.http.call(call)
            except NotFoundError:  # no such session (or peer) yet: this creates both
                body = {author: default.model_dump(exclude_none=True)}
                self._ctx.http.call(ops.add_session_peers(self.workspace_id, self.id, body))
            memberships.configured.add((self.id, author))

    def get_messages(
        self, filters: Mapping[str, Any] | None = None, *, reverse: bool = False
    ) -> SyncPage[Message]:
        """The session's messages in order (newest first with `reverse=True`), optionally
        filtered; iterate for all of them, page by page.

        Example:
            >>> for message in session.get_messages(filters={"peer_id": "alice"}):
            ...     print(message.content)
        """
        call = ops.list_messages(self.workspace_id, self.id, filters, reverse)
        return SyncPage._first(self._ctx.http, call, lambda m: m)

    def get_message(self, message_id: str) -> Message:
        """One message by id.

        Example:
            >>> session.get_message(message.id).content
        """
        return self._ctx.http.call(ops.get_message(self.workspace_id, self.id, message_id))

    def update_message(self, message: Message | str, metadata: Mapping[str, Any]) -> Message:
        """Replace a message's metadata (content cannot change).

        Example:
            >>> session.update_message(message, {"reviewed": True})
        """
        message_id = message.id if isinstance(message, Message) else message
        call = ops.update_message(self.workspace_id, self.id, message_id, dict(metadata))
        return self._ctx.http.call(call)

    def upload_file(
        self,
        file: FileArg,
        peer: PeerLike,
        metadata: Mapping[str, Any] | None = None,
        configuration: Mapping[str, Any] | None = None,
        created_at: datetime | str | None = None,
    ) -> list[Message]:
        """Turn a PDF, text or JSON file into messages by `peer` (long files become several).
        `file` is a path, a binary file object, or `(filename, bytes or file, content_type)`.

        Example:
            >>> session.upload_file(Path("notes.txt"), peer=alice)
            >>> session.upload_file(("data.json", b'{"a": 1}', "application/json"), peer="bob")
        """
        call = ops.upload(
            self.workspace_id,
            self.id,
            read_file(file),
            peer_id(peer),
            dict(metadata) if metadata is not None else None,
            dict(configuration) if configuration is not None else None,
            timestamp(created_at),
        )
        return self._ctx.http.call(call)

    def search(
        self, query: str, filters: Mapping[str, Any] | None = None, limit: int = 10
    ) -> list[Message]:
        """Messages of this session that match `query` (by words and by meaning).

        Example:
            >>> session.search("eggs", limit=3)
        """
        call = ops.search_session(self.workspace_id, self.id, query, filters, limit)
        return self._ctx.http.call(call)

    # -- metadata and configuration -----------------------------------------------------------

    def get_metadata(self) -> dict[str, Any]:
        """Read the session's metadata (creating the session if needed).

        Example:
            >>> session.get_metadata()
            {}
        """
        self.refresh()
        return self._metadata or {}

    def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Replace the session's metadata.

        Example:
            >>> session.set_metadata({"channel": "web"})
        """
        call = ops.update_session(self.workspace_id, self.id, metadata=dict(metadata))
        self._cache(self._ctx.http.call(call))

    def get_config(self) -> dict[str, Any]:
        """Read the session's configuration (creating the session if needed).

        Example:
            >>> session.get_config()
            {}
        """
        self.refresh()
        return self._configuration or {}

    def set_config(self, configuration: Mapping[str, Any]) -> None:
        """Update the session's configuration; the server merges top-level keys into what is
        stored (a nested object such as `summary` is replaced as a whole).

        Example:
            >>> session.set_config({"summary": {"enabled": False}})
        """
        call = ops.update_session(self.workspace_id, self.id, configuration=dict(configuration))
        self._cache(self._ctx.http.call(call))

    def refresh(self) -> None:
        """Re-read metadata and configuration in one request.

        Example:
            >>> session.refresh(); print(session.metadata)
        """
        self._cache(self._ctx.http.call(ops.get_or_create_session(self.workspace_id, self.id)))

    # -- lifecycle ----------------------------------------------------------------------------

    def delete(self) -> None:
        """Delete the session with its messages and everything derived from them.

        Example:
            >>> honcho.session("scratch").delete()
        """
        self._ctx.http.call(ops.delete_session(self.workspace_id, self.id))
        configured = self._ctx.memberships.configured
        configured.difference_update({m for m in configured if m[0] == self.id})

    def clone(self, message_id: str | None = None) -> Session:
        """A copy of this session (messages up to and including `message_id` when given) under a
        new generated id.

        Example:
            >>> branch = session.clone(message_id=messages[1].id)
        """
        data = self._ctx.http.call(ops.clone_session(self.workspace_id, self.id, message_id))
        return Session._from_data(self._ctx, data)

    # -- context and memory -------------------------------------------------------------------

    def get_context(
        self,
        summary: bool = True,
        tokens: int | None = None,
        peer_target: PeerLike | None = None,
        last_user_message: str | Message | None = None,
        peer_perspective: PeerLike | None = None,
        limit_to_session: bool = False,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> SessionContext:
        """The newest messages that fit in `tokens` with the summary of what came before, and,
        with `peer_target`, that peer's representation and card (as seen by `peer_perspective`
        when given), searched with the text of `last_user_message`.

        Example:
            >>> context = session.get_context(summary=True, tokens=1500)
            >>> openai_messages = context.to_openai(assistant=alice)
            >>> session.get_context(peer_target=bob, last_user_message="What's for lunch?")
        """
        if peer_target is None and peer_perspective is not None:
            raise ValueError("peer_perspective needs a peer_target")
        if peer_target is None and last_user_message is not None:
            raise ValueError("last_user_message needs a peer_target")
        call = ops.session_context(
            self.workspace_id,
            self.id,
            summary=summary,
            tokens=tokens,
            last_message=last_message_text(last_user_message),
            peer_target=optional_peer(peer_target),
            peer_perspective=optional_peer(peer_perspective),
            limit_to_session=limit_to_session,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return self._ctx.http.call(call)

    def get_summaries(self) -> SessionSummaries:
        """The session's short and long summaries (None until the deriver writes them).

        Example:
            >>> summaries = session.get_summaries()
            >>> print(summaries.short_summary.content if summaries.short_summary else "none yet")
        """
        return self._ctx.http.call(ops.summaries(self.workspace_id, self.id))

    def working_rep(
        self,
        peer: PeerLike,
        *,
        target: PeerLike | None = None,
        search_query: str | None = None,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> Representation:
        """What `peer` knows about `target` (about itself by default), its most recent
        observations taken from this session.

        Example:
            >>> print(session.working_rep(alice))
            >>> session.working_rep(bob, target=alice)
        """
        call = ops.representation(
            self.workspace_id,
            peer_id(peer),
            session=self.id,
            target=optional_peer(target),
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return self._ctx.http.call(call)

    def get_deriver_status(
        self, observer: PeerLike | None = None, sender: PeerLike | None = None
    ) -> DeriverStatus:
        """The deriver's queue for this session (optionally one observer's or sender's work).

        Example:
            >>> session.get_deriver_status().pending_work_units
            0
        """
        call = ops.deriver_status(
            self.workspace_id, optional_peer(observer), optional_peer(sender), self.id
        )
        return self._ctx.http.call(call)

    def poll_deriver_status(
        self,
        observer: PeerLike | None = None,
        sender: PeerLike | None = None,
        timeout: float = 300.0,
    ) -> DeriverStatus:
        """Wait until nothing is pending or in progress for this session; raises TimeoutError
        after `timeout` seconds.

        Example:
            >>> session.add_messages(alice.message("I moved to Lisbon"))
            >>> session.poll_deriver_status(timeout=60)
        """
        timer = PollTimer(timeout)
        while True:
            status = self.get_deriver_status(observer, sender)
            if status.pending_work_units == 0 and status.in_progress_work_units == 0:
                return status
            time.sleep(timer.next_sleep(status))
