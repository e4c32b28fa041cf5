"""Observations one peer holds about another, managed by hand (spec §6.6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _ops as ops
from ._args import SessionLike, observation_bodies, optional_session
from .models import Observation
from .representation import Representation

if TYPE_CHECKING:
    from ._context import AsyncContext, SyncContext

__all__ = ["AsyncObservationScope", "Observation", "ObservationScope"]

# (The scopes have a method named `list`, which hides the builtin inside their bodies.)
Observations = list[Observation]


class _ScopeBase:
    def __init__(self, workspace_id: str, observer: str, observed: str) -> None:
        self.workspace_id = workspace_id
        self.observer = observer
        self.observed = observed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(workspace_id={self.workspace_id!r}, "
            f"observer={self.observer!r}, observed={self.observed!r})"
        )


class ObservationScope(_ScopeBase):
    """The observations `observer` holds about `observed` (`peer.observations` for a peer's own,
    `peer.observations_of(other)` for what it knows about another peer)."""

    def __init__(self, ctx: SyncContext, observer: str, observed: str) -> None:
        super().__init__(ctx.workspace_id, observer, observed)
        self._ctx = ctx

    def list(
        self, page: int = 1, size: int = 50, session: SessionLike | None = None
    ) -> Observations:
        """One page of observations, newest first, optionally from one session only.

        Example:
            >>> for observation in alice.observations.list(size=10):
            ...     print(observation.content)
        """
        call = ops.list_observations(
            self.workspace_id, self.observer, self.observed, optional_session(session), page, size
        )
        return self._ctx.http.call(call)

    def query(self, query: str, top_k: int = 10, distance: float | None = None) -> Observations:
        """The observations closest in meaning to `query` (cosine distance below `distance`).

        Example:
            >>> alice.observations_of("bob").query("breakfast", top_k=3)
        """
        call = ops.query_observations(
            self.workspace_id, self.observer, self.observed, query, top_k, distance
        )
        return self._ctx.http.call(call)

    def create(self, observations: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Observations:
        """Store observations by hand: each `{"content": ..., "session_id": id or Session}`.

        Example:
            >>> alice.observations.create({"content": "Alice likes tea", "session_id": "chat"})
        """
        bodies = observation_bodies(observations, self.observer, self.observed)
        return self._ctx.http.call(ops.create_observations(self.workspace_id, bodies))

    def delete(self, observation_id: str) -> None:
        """Delete one observation by id.

        Example:
            >>> alice.observations.delete(observation.id)
        """
        self._ctx.http.call(ops.delete_observation(self.workspace_id, observation_id))

    def get_representation(
        self,
        search_query: str | None = None,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> Representation:
        """The working representation built from this scope's observations.

        Example:
            >>> print(alice.observations_of("bob").get_representation())
        """
        call = ops.representation(
            self.workspace_id,
            self.observer,
            session=None,
            target=self.observed,
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return self._ctx.http.call(call)


class AsyncObservationScope(_ScopeBase):
    """The async twin of `ObservationScope`."""

    def __init__(self, ctx: AsyncContext, observer: str, observed: str) -> None:
        super().__init__(ctx.workspace_id, observer, observed)
        self._ctx = ctx

    async def list(
        self, page: int = 1, size: int = 50, session: SessionLike | None = None
    ) -> Observations:
        """One page of observations, newest first, optionally from one session only.

        Example:
            >>> observations = await alice.observations.list(size=10)
        """
        call = ops.list_observations(
            self.workspace_id, self.observer, self.observed, optional_session(session), page, size
        )
        return await self._ctx.http.call(call)

    async def query(
        self, query: str, top_k: int = 10, distance: float | None = None
    ) -> Observations:
        """The observations closest in meaning to `query`.

        Example:
            >>> await alice.observations_of("bob").query("breakfast", top_k=3)
        """
        call = ops.query_observations(
            self.workspace_id, self.observer, self.observed, query, top_k, distance
        )
        return await self._ctx.http.call(call)

    async def create(
        self, observations: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> Observations:
        """Store observations by hand: each `{"content": ..., "session_id": id or Session}`.

        Example:
            >>> await alice.observations.create({"content": "Alice likes tea", "session_id": "c"})
        """
        bodies = observation_bodies(observations, self.observer, self.observed)
        return await self._ctx.http.call(ops.create_observations(self.workspace_id, bodies))

    async def delete(self, observation_id: str) -> None:
        """Delete one observation by id.

        Example:
            >>> await alice.observations.delete(observation.id)
        """
        await self._ctx.http.call(ops.delete_observation(self.workspace_id, observation_id))

    async def get_representation(
        self,
        search_query: str | None = None,
        search_top_k: int | None = None,
        search_max_distance: float | None = None,
        include_most_derived: bool | None = None,
        max_observations: int | None = None,
    ) -> Representation:
        """The working representation built from this scope's observations.

        Example:
            >>> print(await alice.observations_of("bob").get_representation())
        """
        call = ops.representation(
            self.workspace_id,
            self.observer,
            session=None,
            target=self.observed,
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        return await self._ctx.http.call(call)
