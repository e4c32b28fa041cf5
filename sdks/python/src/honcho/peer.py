"""`Peer`: a participant (user, agent, anything) of a workspace."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from . import _ops as ops
from ._args import (
    PeerLike,
    SessionLike,
    build_message,
    optional_peer,
    optional_session,
    peer_id,
)
from .base import PeerBase
from .models import Message, MessageCreate
from .observations import ObservationScope
from .pagination import SyncPage
from .representation import PeerContext, Representation
from .streaming import DialecticStreamResponse

if TYPE_CHECKING:
    from ._context import SyncContext
    from .session import Session

__all__ = ["Peer"]


class Peer(PeerBase):
    """A peer of the client's workspace. Get one with `honcho.peer("alice")`.

    `metadata` and `configuration` are cached copies (None until known): the `get_*` methods and
    `refresh()` read them from the server.
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
        ctx.memberships.remember(id, configuration)

    @classmethod
    def _from_data(cls, ctx: SyncContext, data: ops.PeerData) -> Peer:
        return cls(data.id, ctx, metadata=data.metadata, configuration=data.configuration)

    def _cache(self, data: ops.PeerData) -> None:
        self._metadata, self._configuration = data.metadata, data.configuration
        self._ctx.memberships.remember(self.id, data.configuration)

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The cached metadata (None until fetched or set).

        Example:
            >>> honcho.peer("alice", metadata={"role": "user"}).metadata
            {'role': 'user'}
        """
        return self._metadata

    @property
    def configuration(self) -> dict[str, Any] | None:
        """The cached peer configuration (None until fetched or set).

        Example:
            >>> honcho.peer("bob", config={"observe_me": False}).configuration
            {'observe_me': False}
        """
        return self._configuration

    @overload
    def chat(
        self,
        query: str,
        *,
        stream: Literal[False] = False,
        target: PeerLike | None = None,
        session: SessionLike | None = None,
    ) -> str | None: ...

    @overload
    def chat(
        self,
        query: str,
        *,
        stream: Literal[True],
        target: PeerLike | None = None,
        session: SessionLike | None = None,
    ) -> DialecticStreamResponse: ...

    @overload
    def chat(
        self,
        query: str,
        *,
        stream: bool,
        target: PeerLike | None = None,
        session: SessionLike | None = None,
    ) -> str | DialecticStreamResponse | None: ...

    def chat(
        self,
        query: str,
        *,
        stream: bool = False,
        target: PeerLike | None = None,
        session: SessionLike | None = None,
    ) -> str | DialecticStreamResponse | None:
        """Ask the server's model a question about this peer (or, with `target`, about what this
        peer knows of `target`), optionally within one session. Returns the answer (None when
        empty), or with `stream=True` an iterator of text chunks.

        Example:
            >>> alice.chat("What did Bob have for breakfast today?", target=bob)
            >>> for chunk in alice.chat("Summarise Bob", target="bob", stream=True):
            ...     print(chunk, end="")
        """
        ws, target_id, session_id = (
            self.workspace_id,
            optional_peer(target),
            optional_session(session),
        )
        if stream:
            request = ops.chat_request(ws, self.id, query, target_id, session_id, True)
            lines, close = self._ctx.http.stream_lines(request)
            return DialecticStreamResponse(lines, close)
        return self._ctx.http.call(ops.chat(ws, self.id, query, target_id, session_id))

    def get_sessions(self, filters: Mapping[str, Any] | None = None) -> SyncPage[Session]:
        """The sessions this peer is (or was) a member of, optionally filtered.

        Example:
            >>> for session in alice.get_sessions(filters={"metadata": {"channel": "web"}}):
            ...     print(session.id)
        """
        from .session import Session

        call = ops.peer_sessions(self.workspace_id, self.id, filters)
        return SyncPage._first(self._ctx.http, call, lambda s: Session._from_data(self._ctx, s))

    def message(
        self,
        content: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        created_at: datetime | str | None = None,
    ) -> MessageCreate:
        """A message by this peer, to pass to `session.add_messages` (no request is made).

        Example:
            >>> session.add_messages(alice.message("Hello!", metadata={"mood": "happy"}))
        """
        return build_message(self.id, content, metadata, config, created_at)

    def get_metadata(self) -> dict[str, Any]:
        """Read the peer's metadata from the server (creating the peer if needed).

        Example:
            >>> alice.get_metadata()
            {}
        """
        self.refresh()
        return self._metadata or {}

    def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Replace the peer's metadata.

        Example:
            >>> alice.set_metadata({"name": "Alice", "langs": ["en", "pt"]})
        """
        self._cache(
            self._ctx.http.call(
                ops.update_peer(self.workspace_id, self.id, metadata=dict(metadata))
            )
        )

    def get_config(self) -> dict[str, Any]:
        """Read the peer's configuration from the server (creating the peer if needed).

        Example:
            >>> bob.get_config()
            {'observe_others': True}
        """
        self.refresh()
        return self._configuration or {}

    def set_config(self, config: Mapping[str, Any]) -> None:
        """Replace the peer's configuration. The server reads `observe_me` (false: nobody forms
        representations of this peer); this SDK also reads `observe_others` (a default for the
        peer's session memberships, see the README).

        Example:
            >>> bob.set_config({"observe_me": True, "observe_others": True})
        """
        call = ops.update_peer(self.workspace_id, self.id, configuration=dict(config))
        self._cache(self._ctx.http.call(call))

    def get_peer_config(self) -> dict[str, Any]:
        """Deprecated alias of `get_config()`.

        Example:
            >>> alice.get_peer_config() == alice.get_config()
            True
        """
        return self.get_config()

    def set_peer_config(self, config: Mapping[str, Any]) -> None:
        """Deprecated alias of `set_config()`.

        Example:
            >>> alice.set_peer_config({"observe_me": False})
        """
        self.set_config(config)

    def refresh(self) -> None:
        """Re-read metadata and configuration from the server in one request.

        Example:
            >>> alice.refresh(); print(alice.metadata, alice.configuration)
        """
        self._cache(self._ctx.http.call(ops.get_or_create_peer(self.workspace_id, self.id)))

    def search(
        self, query: str, filters: Mapping[str, Any] | None = None, limit: int = 10
    ) -> list[Message]:
        """Messages written by this peer that match `query` (by words and by meaning).

        Example:
            >>> alice.search("breakfast", limit=5)
        """
        return self._ctx.http.call(
            ops.search_peer(self.workspace_id, self.id, query, filters, limit)
        )

    def card(self, target: PeerLike | None = None) -> str:
        """This peer's card of `target` (of itself by default): stable facts, one per line; ""
        when there is none.

        Example:
            >>> print(alice.card())
            >>> print(alice.card(target=bob))
        """
        return "\n".join(self.get_card(target) or [])

    def get_card(self, target: PeerLike | None = None) -> list[str] | None:
        """The card as a list of lines (None when there is none).

        Example:
            >>> alice.get_card()
            ['Name: Alice', 'Lives in Lisbon']
        """
        return self._ctx.http.call(ops.get_card(self.workspace_id, self.id, optional_peer(target)))

    def set_card(self, card: list[str], target: PeerLike | None = None) -> list[str] | None:
        """Replace this peer's card of `target` (of itself by default); returns the stored card.

        Example:
            >>> alice.set_card(["Name: Alice", "Lives in Lisbon"])
        """
        call = ops.set_card(self.workspace_id, self.id, list(card), optional_peer(target))
        return self._ctx.http.call(call)

    def working_rep(
        self,
        session: SessionLike | None = None,
        target: PeerLike | None = None,
        search_query: str | None = None,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> Representation:
        """What this peer knows about `target` (about itself by default): the most recent
        observations (in `session` when given), plus those matching `search_query`.

        Example:
            >>> print(alice.working_rep())
            >>> bob.working_rep(target=alice, search_query="food", search_top_k=5)
        """
        call = ops.representation(
            self.workspace_id,
            self.id,
            session=optional_session(session),
            target=optional_peer(target),
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return self._ctx.http.call(call)

    def get_context(
        self,
        target: PeerLike | None = None,
        search_query: str | None = None,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> PeerContext:
        """This peer's representation of `target` (itself by default) and its card, in one call.

        Example:
            >>> context = alice.get_context(target=bob)
            >>> print(context.representation, context.peer_card)
        """
        call = ops.peer_context(
            self.workspace_id,
            self.id,
            target=optional_peer(target),
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return self._ctx.http.call(call)

    @property
    def observations(self) -> ObservationScope:
        """This peer's observations of itself (list, query, create, delete).

        Example:
            >>> alice.observations.list()
        """
        return ObservationScope(self._ctx, self.id, self.id)

    def observations_of(self, target: PeerLike) -> ObservationScope:
        """This peer's observations of `target`.

        Example:
            >>> bob.observations_of(alice).query("breakfast")
        """
        return ObservationScope(self._ctx, self.id, peer_id(target))
