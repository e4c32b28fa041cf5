"""What every peer and session handle has: an id and the workspace it lives in.

Methods that take a peer or a session accept either an id string or any handle (sync or async).
"""

from __future__ import annotations

__all__ = ["PeerBase", "SessionBase"]


class _Handle:
    __slots__ = ("id", "workspace_id")

    def __init__(self, id: str, workspace_id: str) -> None:
        if not id:
            raise ValueError(f"{type(self).__name__} id must be a non-empty string")
        self.id = id
        self.workspace_id = workspace_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Handle) or self._kind() != other._kind():
            return NotImplemented
        return (self.workspace_id, self.id) == (other.workspace_id, other.id)

    def __hash__(self) -> int:
        return hash((self._kind(), self.workspace_id, self.id))

    def _kind(self) -> str:
        return "peer" if isinstance(self, PeerBase) else "session"

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"


class PeerBase(_Handle):
    """A peer handle: `id` and `workspace_id` (base of `Peer` and `AsyncPeer`)."""

    __slots__ = ()


class SessionBase(_Handle):
    """A session handle: `id` and `workspace_id` (base of `Session` and `AsyncSession`)."""

    __slots__ = ()
