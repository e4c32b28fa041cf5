"""Every HTTP operation of the v2 API the SDK uses (spec §6), as a `Call`: method, path, body,
whether it is safe to repeat, and how to parse the answer. Sync and async classes share these."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from ._http import Call, Request
from .models import (
    DeriverStatus,
    Message,
    Observation,
    SessionPeerConfig,
    WebhookEndpoint,
    Workspace,
)
from .representation import PeerContext, Representation
from .session_context import SessionContext, SessionSummaries, Summary

M = TypeVar("M", bound=BaseModel)
W = TypeVar("W")

Filters = Mapping[str, Any] | None
JSON = dict[str, Any]


def _seg(value: str) -> str:
    return quote(value, safe="")


def _ws(workspace: str) -> str:
    return f"/v2/workspaces/{_seg(workspace)}"


def _peer(workspace: str, peer: str) -> str:
    return f"{_ws(workspace)}/peers/{_seg(peer)}"


def _session(workspace: str, session: str) -> str:
    return f"{_ws(workspace)}/sessions/{_seg(session)}"


def _model(cls: type[M]) -> Callable[[Any], M]:
    return cls.model_validate


def _models(cls: type[M]) -> Callable[[Any], list[M]]:
    adapter = TypeAdapter(list[cls])  # type: ignore[valid-type]

    def parse(data: Any) -> list[M]:
        result: list[M] = adapter.validate_python(data or [])
        return result

    return parse


def _json(data: Any) -> JSON:
    return data if isinstance(data, dict) else {}


def _nothing(_: Any) -> None:
    return None


def _without_none(**fields: Any) -> JSON:
    return {k: v for k, v in fields.items() if v is not None}


# -- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCall(Generic[W]):
    """A paginated list route: the same request re-sent with `page=n`."""

    method: str
    path: str
    parse_item: Callable[[Any], W]
    body: Any = None
    params: Mapping[str, Any] | None = None
    send_body: bool = True

    def request(self, page: int) -> Request:
        params = {**(self.params or {}), "page": page}
        if self.send_body:
            return Request(self.method, self.path, params, json=self.body, repeatable=True)
        return Request(self.method, self.path, params, repeatable=True)


def _filters_body(filters: Filters) -> JSON:
    return {"filters": dict(filters) if filters is not None else None}


# -- workspaces -------------------------------------------------------------------------------


def get_or_create_workspace(
    workspace: str, metadata: JSON | None = None, configuration: JSON | None = None
) -> Call[Workspace]:
    body = _without_none(id=workspace, metadata=metadata, configuration=configuration)
    return Call(Request("POST", "/v2/workspaces", json=body, repeatable=True), _model(Workspace))


def list_workspaces(filters: Filters) -> PageCall[Workspace]:
    return PageCall("POST", "/v2/workspaces/list", _model(Workspace), _filters_body(filters))


def update_workspace(
    workspace: str, *, metadata: JSON | None = None, configuration: JSON | None = None
) -> Call[Workspace]:
    body = _without_none(metadata=metadata, configuration=configuration)
    return Call(Request("PUT", _ws(workspace), json=body, repeatable=True), _model(Workspace))


def delete_workspace(workspace: str) -> Call[Workspace]:
    return Call(Request("DELETE", _ws(workspace)), _model(Workspace))


def search(path: str, query: str, filters: Filters, limit: int) -> Call[list[Message]]:
    body: JSON = {"query": query, "filters": dict(filters) if filters is not None else None}
    body["limit"] = limit
    return Call(Request("POST", f"{path}/search", json=body, repeatable=True), _models(Message))


def search_workspace(
    workspace: str, query: str, filters: Filters, limit: int
) -> Call[list[Message]]:
    return search(_ws(workspace), query, filters, limit)


def deriver_status(
    workspace: str, observer: str | None, sender: str | None, session: str | None
) -> Call[DeriverStatus]:
    params = _without_none(observer_id=observer, sender_id=sender, session_id=session)
    request = Request("GET", f"{_ws(workspace)}/deriver/status", params, repeatable=True)
    return Call(request, _model(DeriverStatus))


# -- peers ------------------------------------------------------------------------------------


class PeerData(BaseModel):
    id: str
    workspace_id: str
    metadata: dict[str, Any] = {}
    configuration: dict[str, Any] = {}


class SessionData(BaseModel):
    id: str
    workspace_id: str
    is_active: bool = True
    metadata: dict[str, Any] = {}
    configuration: dict[str, Any] = {}


def list_peers(workspace: str, filters: Filters) -> PageCall[PeerData]:
    return PageCall(
        "POST", f"{_ws(workspace)}/peers/list", _model(PeerData), _filters_body(filters)
    )


def get_or_create_peer(
    workspace: str, peer: str, metadata: JSON | None = None, configuration: JSON | None = None
) -> Call[PeerData]:
    body = _without_none(id=peer, metadata=metadata, configuration=configuration)
    request = Request("POST", f"{_ws(workspace)}/peers", json=body, repeatable=True)
    return Call(request, _model(PeerData))


def update_peer(
    workspace: str, peer: str, *, metadata: JSON | None = None, configuration: JSON | None = None
) -> Call[PeerData]:
    body = _without_none(metadata=metadata, configuration=configuration)
    request = Request("PUT", _peer(workspace, peer), json=body, repeatable=True)
    return Call(request, _model(PeerData))


def peer_sessions(workspace: str, peer: str, filters: Filters) -> PageCall[SessionData]:
    path = f"{_peer(workspace, peer)}/sessions"
    return PageCall("POST", path, _model(SessionData), _filters_body(filters))


def chat_request(
    workspace: str, peer: str, query: str, target: str | None, session: str | None, stream: bool
) -> Request:
    # Never repeated: each answer costs a model call.
    body = {"query": query, "target": target, "session_id": session, "stream": stream}
    return Request("POST", f"{_peer(workspace, peer)}/chat", json=body)


def chat(
    workspace: str, peer: str, query: str, target: str | None, session: str | None
) -> Call[str | None]:
    def parse(data: Any) -> str | None:
        content = _json(data).get("content")
        return content if isinstance(content, str) and content else None

    return Call(chat_request(workspace, peer, query, target, session, False), parse)


def _representation(data: Any) -> Representation:
    body = _json(data)
    wrapped = body.get("representation")
    return Representation.from_dict(wrapped if isinstance(wrapped, dict) else body)


def representation(
    workspace: str,
    peer: str,
    *,
    session: str | None,
    target: str | None,
    search_query: str | None,
    search_top_k: int | None,
    search_max_distance: float | None,
    include_most_derived: bool | None,
    max_observations: int | None,
) -> Call[Representation]:
    body = {"session_id": session, "target": target}
    body.update(
        _without_none(
            search_query=search_query,
            search_top_k=search_top_k,
            search_max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
    )
    request = Request(
        "POST", f"{_peer(workspace, peer)}/representation", json=body, repeatable=True
    )
    return Call(request, _representation)


def _card(data: Any) -> list[str] | None:
    card = _json(data).get("peer_card")
    return [str(line) for line in card] if isinstance(card, list) else None


def get_card(workspace: str, peer: str, target: str | None) -> Call[list[str] | None]:
    params = _without_none(target=target)
    return Call(Request("GET", f"{_peer(workspace, peer)}/card", params, repeatable=True), _card)


def set_card(
    workspace: str, peer: str, card: list[str], target: str | None
) -> Call[list[str] | None]:
    request = Request(
        "PUT",
        f"{_peer(workspace, peer)}/card",
        _without_none(target=target),
        json={"peer_card": card},
        repeatable=True,
    )
    return Call(request, _card)


def peer_context(
    workspace: str,
    peer: str,
    *,
    target: str | None,
    search_query: str | None,
    search_top_k: int | None,
    search_max_distance: float | None,
    include_most_derived: bool | None,
    max_observations: int | None,
) -> Call[PeerContext]:
    params = _without_none(
        target=target,
        search_query=search_query,
        search_top_k=search_top_k,
        search_max_distance=search_max_distance,
        include_most_derived=include_most_derived,
        max_observations=max_observations,
    )
    request = Request("GET", f"{_peer(workspace, peer)}/context", params, repeatable=True)
    return Call(request, _model(PeerContext))


def search_peer(
    workspace: str, peer: str, query: str, filters: Filters, limit: int
) -> Call[list[Message]]:
    return search(_peer(workspace, peer), query, filters, limit)


# -- sessions ---------------------------------------------------------------------------------


def list_sessions(workspace: str, filters: Filters) -> PageCall[SessionData]:
    path = f"{_ws(workspace)}/sessions/list"
    return PageCall("POST", path, _model(SessionData), _filters_body(filters))


def get_or_create_session(
    workspace: str,
    session: str,
    metadata: JSON | None = None,
    configuration: JSON | None = None,
    peers: Mapping[str, JSON] | None = None,
) -> Call[SessionData]:
    body = _without_none(id=session, metadata=metadata, configuration=configuration, peers=peers)
    request = Request("POST", f"{_ws(workspace)}/sessions", json=body, repeatable=True)
    return Call(request, _model(SessionData))


def update_session(
    workspace: str, session: str, *, metadata: JSON | None = None, configuration: JSON | None = None
) -> Call[SessionData]:
    body = _without_none(metadata=metadata, configuration=configuration)
    request = Request("PUT", _session(workspace, session), json=body, repeatable=True)
    return Call(request, _model(SessionData))


def delete_session(workspace: str, session: str) -> Call[None]:
    # Not repeated: a repeat after a lost answer would report 404 for a delete that worked.
    return Call(Request("DELETE", _session(workspace, session)), _nothing)


def clone_session(workspace: str, session: str, message_id: str | None) -> Call[SessionData]:
    params = _without_none(message_id=message_id)
    request = Request("GET", f"{_session(workspace, session)}/clone", params)  # creates: once
    return Call(request, _model(SessionData))


def add_session_peers(workspace: str, session: str, peers: Mapping[str, JSON]) -> Call[SessionData]:
    path = f"{_session(workspace, session)}/peers"
    request = Request("POST", path, json=dict(peers), repeatable=True)
    return Call(request, _model(SessionData))


def set_session_peers(workspace: str, session: str, peers: Mapping[str, JSON]) -> Call[SessionData]:
    path = f"{_session(workspace, session)}/peers"
    return Call(Request("PUT", path, json=dict(peers), repeatable=True), _model(SessionData))


def remove_session_peers(workspace: str, session: str, peers: list[str]) -> Call[SessionData]:
    path = f"{_session(workspace, session)}/peers"
    return Call(Request("DELETE", path, json=peers, repeatable=True), _model(SessionData))


def session_peers(workspace: str, session: str) -> PageCall[PeerData]:
    path = f"{_session(workspace, session)}/peers"
    return PageCall("GET", path, _model(PeerData), send_body=False)


def get_session_peer_config(workspace: str, session: str, peer: str) -> Call[SessionPeerConfig]:
    path = f"{_session(workspace, session)}/peers/{_seg(peer)}/config"
    return Call(Request("GET", path, repeatable=True), _model(SessionPeerConfig))


def set_session_peer_config(
    workspace: str, session: str, peer: str, config: SessionPeerConfig
) -> Call[None]:
    path = f"{_session(workspace, session)}/peers/{_seg(peer)}/config"
    body = config.model_dump(exclude_none=True)
    return Call(Request("POST", path, json=body, repeatable=True), _nothing)


def session_context(
    workspace: str,
    session: str,
    *,
    summary: bool,
    tokens: int | None,
    last_message: str | None,
    peer_target: str | None,
    peer_perspective: str | None,
    limit_to_session: bool,
    search_top_k: int | None,
    search_max_distance: float | None,
    include_most_derived: bool | None,
    max_observations: int | None,
) -> Call[SessionContext]:
    params = _without_none(
        summary=summary,
        tokens=tokens,
        last_message=last_message,
        peer_target=peer_target,
        peer_perspective=peer_perspective,
        limit_to_session=limit_to_session,
        search_top_k=search_top_k,
        search_max_distance=search_max_distance,
        include_most_derived=include_most_derived,
        max_observations=max_observations,
    )
    request = Request("GET", f"{_session(workspace, session)}/context", params, repeatable=True)
    return Call(request, lambda data: SessionContext.from_response(session, data))


def summaries(workspace: str, session: str) -> Call[SessionSummaries]:
    def parse(data: Any) -> SessionSummaries:
        body = _json(data)
        return SessionSummaries(
            id=str(body.get("id") or session),
            short_summary=_summary(body.get("short_summary")),
            long_summary=_summary(body.get("long_summary")),
        )

    request = Request("GET", f"{_session(workspace, session)}/summaries", repeatable=True)
    return Call(request, parse)


def _summary(data: Any) -> Summary | None:
    return Summary.model_validate(data) if isinstance(data, dict) else None


def search_session(
    workspace: str, session: str, query: str, filters: Filters, limit: int
) -> Call[list[Message]]:
    return search(_session(workspace, session), query, filters, limit)


# -- messages ---------------------------------------------------------------------------------


def create_messages(workspace: str, session: str, messages: list[JSON]) -> Call[list[Message]]:
    # The trailing slash is the route's canonical form (spec §2.7). Never repeated.
    path = f"{_session(workspace, session)}/messages/"
    return Call(Request("POST", path, json={"messages": messages}), _models(Message))


def upload(
    workspace: str,
    session: str,
    file: tuple[str, bytes, str],
    peer: str,
    metadata: JSON | None,
    configuration: JSON | None,
    created_at: str | None,
) -> Call[list[Message]]:
    form = {"peer_id": peer}
    if metadata is not None:
        form["metadata"] = json.dumps(metadata)
    if configuration is not None:
        form["configuration"] = json.dumps(configuration)
    if created_at is not None:
        form["created_at"] = created_at
    path = f"{_session(workspace, session)}/messages/upload"
    return Call(Request("POST", path, files={"file": file}, data=form), _models(Message))


def list_messages(
    workspace: str, session: str, filters: Filters, reverse: bool
) -> PageCall[Message]:
    path = f"{_session(workspace, session)}/messages/list"
    params = {"reverse": True} if reverse else None
    return PageCall("POST", path, _model(Message), _filters_body(filters), params)


def get_message(workspace: str, session: str, message: str) -> Call[Message]:
    path = f"{_session(workspace, session)}/messages/{_seg(message)}"
    return Call(Request("GET", path, repeatable=True), _model(Message))


def update_message(workspace: str, session: str, message: str, metadata: JSON) -> Call[Message]:
    path = f"{_session(workspace, session)}/messages/{_seg(message)}"
    request = Request("PUT", path, json={"metadata": metadata}, repeatable=True)
    return Call(request, _model(Message))


# -- observations -----------------------------------------------------------------------------


def _observation_filters(observer: str, observed: str, session: str | None) -> JSON:
    return _without_none(observer=observer, observed=observed, session_id=session)


def list_observations(
    workspace: str, observer: str, observed: str, session: str | None, page: int, size: int
) -> Call[list[Observation]]:
    def parse(data: Any) -> list[Observation]:
        return _models(Observation)(_json(data).get("items"))

    request = Request(
        "POST",
        f"{_ws(workspace)}/observations/list",
        {"page": page, "size": size},
        json={"filters": _observation_filters(observer, observed, session)},
        repeatable=True,
    )
    return Call(request, parse)


def query_observations(
    workspace: str, observer: str, observed: str, query: str, top_k: int, distance: float | None
) -> Call[list[Observation]]:
    body = {
        "query": query,
        "top_k": top_k,
        "distance": distance,
        "filters": _observation_filters(observer, observed, None),
    }
    request = Request("POST", f"{_ws(workspace)}/observations/query", json=body, repeatable=True)
    return Call(request, _models(Observation))


def create_observations(workspace: str, observations: list[JSON]) -> Call[list[Observation]]:
    body = {"observations": observations}
    return Call(Request("POST", f"{_ws(workspace)}/observations", json=body), _models(Observation))


def delete_observation(workspace: str, observation: str) -> Call[None]:
    path = f"{_ws(workspace)}/observations/{_seg(observation)}"
    return Call(Request("DELETE", path), _nothing)


# -- webhooks and keys ------------------------------------------------------------------------


def create_webhook(workspace: str, url: str) -> Call[WebhookEndpoint]:
    # Get-or-create by URL on the server: safe to repeat.
    request = Request("POST", f"{_ws(workspace)}/webhooks", json={"url": url}, repeatable=True)
    return Call(request, _model(WebhookEndpoint))


def list_webhooks(workspace: str) -> PageCall[WebhookEndpoint]:
    return PageCall("GET", f"{_ws(workspace)}/webhooks", _model(WebhookEndpoint), send_body=False)


def delete_webhook(workspace: str, endpoint: str) -> Call[None]:
    return Call(Request("DELETE", f"{_ws(workspace)}/webhooks/{_seg(endpoint)}"), _nothing)


def test_webhook(workspace: str) -> Call[None]:
    return Call(Request("GET", f"{_ws(workspace)}/webhooks/test"), _nothing)  # sends an event


def create_key(
    workspace: str | None, peer: str | None, session: str | None, expires_at: datetime | None
) -> Call[str]:
    params = _without_none(
        workspace_id=workspace,
        peer_id=peer,
        session_id=session,
        expires_at=expires_at.isoformat() if expires_at is not None else None,
    )

    def parse(data: Any) -> str:
        return str(_json(data)["key"])

    return Call(Request("POST", "/v2/keys", params), parse)
