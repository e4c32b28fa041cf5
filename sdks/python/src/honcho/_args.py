"""Argument handling shared by the sync and async classes: ids from handles, peer lists with
configurations, messages, files, and the client-side memory of peers' session defaults."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import IOBase
from pathlib import Path
from typing import IO, Any, TypeAlias

from .base import PeerBase, SessionBase
from .models import Message, MessageCreate, SessionPeerConfig

JSON = dict[str, Any]

PeerLike: TypeAlias = str | PeerBase
SessionLike: TypeAlias = str | SessionBase
PeerConfigLike: TypeAlias = SessionPeerConfig | Mapping[str, Any]
PeerSpec: TypeAlias = PeerLike | tuple[PeerLike, PeerConfigLike]
PeersArg: TypeAlias = PeerSpec | Sequence[PeerSpec]
MessagesArg: TypeAlias = (
    MessageCreate | Mapping[str, Any] | Sequence[MessageCreate | Mapping[str, Any]]
)
FileArg: TypeAlias = (
    tuple[str, bytes, str] | tuple[str, IO[bytes], str] | IO[bytes] | IOBase | os.PathLike[str]
)


def peer_id(peer: PeerLike) -> str:
    value = peer.id if isinstance(peer, PeerBase) else peer
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a peer id or a Peer, got {peer!r}")
    return value


def session_id(session: SessionLike) -> str:
    value = session.id if isinstance(session, SessionBase) else session
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a session id or a Session, got {session!r}")
    return value


def optional_peer(peer: PeerLike | None) -> str | None:
    return None if peer is None else peer_id(peer)


def optional_session(session: SessionLike | None) -> str | None:
    return None if session is None else session_id(session)


def peer_config(config: PeerConfigLike) -> SessionPeerConfig:
    if isinstance(config, SessionPeerConfig):
        return config
    return SessionPeerConfig.model_validate(dict(config))


@dataclass
class Memberships:
    """What this client knows about session memberships it should configure.

    `defaults`: peers whose own configuration carries `observe_others` (e.g.
    `honcho.peer("bob", config={"observe_others": True})`), applied to each session they are
    added to. `configured`: (session, peer) memberships this client already configured, so the
    default costs one request per membership at most.
    """

    defaults: dict[str, SessionPeerConfig] = field(default_factory=dict)
    configured: set[tuple[str, str]] = field(default_factory=set)

    def remember(self, peer: str, configuration: Mapping[str, Any] | None) -> None:
        if configuration is None:
            return
        value = configuration.get("observe_others")
        if isinstance(value, bool):
            self.defaults[peer] = SessionPeerConfig(observe_others=value)
        else:
            self.defaults.pop(peer, None)

    def pending(self, session: str, peers: Sequence[str]) -> list[tuple[str, SessionPeerConfig]]:
        """Peers with a default not yet applied to their membership of `session`."""
        found = []
        for peer in dict.fromkeys(peers):
            default = self.defaults.get(peer)
            if default is not None and (session, peer) not in self.configured:
                found.append((peer, default))
        return found


def _is_spec_tuple(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str | PeerBase)
        and isinstance(value[1], SessionPeerConfig | Mapping)
    )


def peer_configs(peers: PeersArg, memberships: Memberships) -> dict[str, JSON]:
    """`{peer: config}` bodies for the membership routes. A peer given without a configuration
    gets its remembered default (see `Memberships`), else an empty one."""
    specs: Sequence[Any]
    if isinstance(peers, str | PeerBase) or _is_spec_tuple(peers):
        specs = [peers]
    elif isinstance(peers, Sequence):
        specs = peers
    else:
        raise TypeError(f"expected peers (ids, Peers or (peer, config) pairs), got {peers!r}")
    body: dict[str, JSON] = {}
    for spec in specs:
        if isinstance(spec, tuple) and _is_spec_tuple(spec):
            who, given = spec
            name, config = peer_id(who), peer_config(given)
        elif isinstance(spec, str | PeerBase):
            name = peer_id(spec)
            config = memberships.defaults.get(name, SessionPeerConfig())
        else:
            raise TypeError(f"expected a peer id, a Peer or a (peer, config) pair, got {spec!r}")
        body[name] = config.model_dump(exclude_none=True)
    return body


def peer_ids(peers: PeerLike | Sequence[PeerLike]) -> list[str]:
    if isinstance(peers, str | PeerBase):
        return [peer_id(peers)]
    return [peer_id(p) for p in peers]


def flatten_messages(messages: Sequence[MessagesArg]) -> list[JSON]:
    """Messages given one by one, as lists, or both, as request bodies."""
    flat: list[JSON] = []
    for item in messages:
        if isinstance(item, Mapping):
            flat.append(message_body(item))
        elif isinstance(item, Sequence) and not isinstance(item, str | bytes):
            flat.extend(message_body(m) for m in item)
        else:
            raise TypeError(f"expected a message (peer.message(...)) or a list of them: {item!r}")
    return flat


def message_body(message: Mapping[str, Any]) -> JSON:
    if not isinstance(message, Mapping):
        raise TypeError(f"expected a message (peer.message(...)), got {message!r}")
    peer, content = message.get("peer_id"), message.get("content")
    if not isinstance(peer, str) or not isinstance(content, str):
        raise ValueError(f"a message needs a string peer_id and content: {message!r}")
    body: JSON = {"peer_id": peer, "content": content}
    for key in ("metadata", "configuration"):
        if message.get(key) is not None:
            body[key] = message[key]
    created_at = message.get("created_at")
    if created_at is not None:
        body["created_at"] = (
            created_at.isoformat() if isinstance(created_at, datetime) else str(created_at)
        )
    return body


def build_message(
    peer: str,
    content: str,
    metadata: Mapping[str, Any] | None,
    config: Mapping[str, Any] | None,
    created_at: datetime | str | None,
) -> MessageCreate:
    if not isinstance(content, str):
        raise TypeError(f"message content must be a string, got {type(content).__name__}")
    message: MessageCreate = {"peer_id": peer, "content": content}
    if metadata is not None:
        message["metadata"] = dict(metadata)
    if config is not None:
        message["configuration"] = dict(config)
    if created_at is not None:
        message["created_at"] = (
            created_at.isoformat() if isinstance(created_at, datetime) else created_at
        )
    return message


def last_message_text(last: str | Message | None) -> str | None:
    """The semantic query for `get_context`: a message's text, never its id."""
    return last.content if isinstance(last, Message) else last


def timestamp(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def read_file(file: FileArg) -> tuple[str, bytes, str]:
    """(filename, content, content type) of a path, a binary file object or a tuple of either."""
    if isinstance(file, tuple):
        if len(file) != 3:
            raise ValueError("a file tuple is (filename, bytes or file object, content_type)")
        name, content, content_type = file
        data = content if isinstance(content, bytes) else _read(content)
        return str(name), data, str(content_type)
    if isinstance(file, os.PathLike):
        local = Path(file)
        return local.name, local.read_bytes(), _guess(local.name)
    path = getattr(file, "name", None)
    if not isinstance(path, str) or not path:
        raise ValueError("a file object needs a .name (or pass (filename, data, content_type))")
    return os.path.basename(path), _read(file), _guess(path)


def _read(file: Any) -> bytes:
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    if isinstance(data, str):
        raise TypeError("open the file in binary mode ('rb')")
    return bytes(data)


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def observation_bodies(
    observations: Mapping[str, Any] | Sequence[Mapping[str, Any]], observer: str, observed: str
) -> list[JSON]:
    items = [observations] if isinstance(observations, Mapping) else list(observations)
    return [
        {
            "content": item["content"],
            "session_id": session_id(item["session_id"]),
            "observer_id": observer,
            "observed_id": observed,
        }
        for item in items
    ]
