"""HS256 JWTs carrying the scope claims of the v2 API: `ad` (admin), `w`, `p`, `s`, `exp`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt


@dataclass(frozen=True)
class Principal:
    """Who is calling. With auth disabled every caller is an admin."""

    admin: bool = False
    workspace: str | None = None
    peer: str | None = None
    session: str | None = None

    @property
    def is_workspace_key(self) -> bool:
        return self.workspace is not None and self.peer is None and self.session is None

    def may_workspace(self, workspace: str) -> bool:
        return self.admin or (self.is_workspace_key and self.workspace == workspace)

    def may_peer(self, workspace: str, peer: str) -> bool:
        return self.may_workspace(workspace) or (self.workspace == workspace and self.peer == peer)

    def may_session(self, workspace: str, session: str) -> bool:
        return self.may_workspace(workspace) or (
            self.workspace == workspace and self.session == session
        )

    def belongs_to(self, workspace: str) -> bool:
        """Any key of this workspace: the SDK get-or-creates its workspace at construction."""
        return self.admin or self.workspace == workspace


ADMIN = Principal(admin=True)


def encode(
    secret: str,
    *,
    admin: bool = False,
    workspace: str | None = None,
    peer: str | None = None,
    session: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    claims: dict[str, Any] = {"t": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if admin:
        claims["ad"] = True
    if workspace is not None:
        claims["w"] = workspace
    if peer is not None:
        claims["p"] = peer
    if session is not None:
        claims["s"] = session
    if expires_at is not None:
        # A registered NumericDate, so PyJWT enforces it (the reference server wrote a string
        # here, which made every expiring key unusable).
        claims["exp"] = int(expires_at.timestamp())
    return jwt.encode(claims, secret, algorithm="HS256")


class InvalidToken(Exception):
    pass


def decode(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": []})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("Invalid token") from exc

    def _claim(key: str) -> str | None:
        value = claims.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidToken(f"Invalid token: claim '{key}' must be a string")
        return value

    admin = claims.get("ad", False)
    if not isinstance(admin, bool):
        raise InvalidToken("Invalid token: claim 'ad' must be a boolean")
    return Principal(
        admin=admin,
        workspace=_claim("w"),
        peer=_claim("p"),
        session=_claim("s"),
    )
