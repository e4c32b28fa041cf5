"""Route guards. Every route depends on exactly one of these; tests/auth/test_scopes.py holds the
expected scope of every route in the OpenAPI document and fails on any route it does not know.

They are `async def` on purpose: FastAPI runs plain `def` dependencies in its threadpool.

401: no token, or a token that is malformed, forged or expired. 403: a valid token whose scope does
not cover the resource the route names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from src.auth.tokens import ADMIN, InvalidToken, Principal, decode
from src.common.validation import PeerPath, SessionPath, WorkspacePath
from src.config import Settings
from src.errors import AuthenticationError, ForbiddenError


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_principal(request: Request) -> Principal:
    settings = _settings(request)
    if not settings.auth.USE_AUTH:
        return ADMIN
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationError("No access token provided")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization header must be 'Bearer <token>'")
    assert settings.auth.JWT_SECRET is not None  # enforced by the settings validator
    try:
        return decode(settings.auth.JWT_SECRET, token.strip())
    except InvalidToken as exc:
        raise AuthenticationError(str(exc)) from exc


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.admin:
        raise ForbiddenError("Resource requires admin privileges")
    return principal


async def require_authenticated(principal: CurrentPrincipal) -> Principal:
    """For routes whose scope depends on the body; the service checks it with the helpers below."""
    return principal


async def require_workspace(workspace_id: WorkspacePath, principal: CurrentPrincipal) -> Principal:
    if not principal.may_workspace(workspace_id):
        raise ForbiddenError(f"This token is not permitted to access workspace '{workspace_id}'")
    return principal


async def require_peer(
    workspace_id: WorkspacePath, peer_id: PeerPath, principal: CurrentPrincipal
) -> Principal:
    ensure_peer(principal, workspace_id, peer_id)
    return principal


async def require_session(
    workspace_id: WorkspacePath, session_id: SessionPath, principal: CurrentPrincipal
) -> Principal:
    ensure_session(principal, workspace_id, session_id)
    return principal


def ensure_peer(principal: Principal, workspace: str, peer: str) -> None:
    if not principal.may_peer(workspace, peer):
        raise ForbiddenError(f"This token is not permitted to access peer '{peer}'")


def ensure_session(principal: Principal, workspace: str, session: str) -> None:
    if not principal.may_session(workspace, session):
        raise ForbiddenError(f"This token is not permitted to access session '{session}'")


AdminAuth = Annotated[Principal, Depends(require_admin)]
AnyAuth = Annotated[Principal, Depends(require_authenticated)]
WorkspaceAuth = Annotated[Principal, Depends(require_workspace)]
PeerAuth = Annotated[Principal, Depends(require_peer)]
SessionAuth = Annotated[Principal, Depends(require_session)]
