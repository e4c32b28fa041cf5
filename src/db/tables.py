"""The schema as SQLAlchemy Core tables. Alembic migrations create it; a test keeps the two equal.

Resources are keyed by their user-chosen names inside a workspace (names are immutable), so the
hot write path (message batches) never has to look up surrogate ids. Every child row cascades
from its parent: deleting a workspace or a session removes everything derived from it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

_EMPTY_JSON = text("'{}'::jsonb")


def _now() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("internal_metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("configuration", JSONB, nullable=False, server_default=_EMPTY_JSON),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("name"),
    CheckConstraint("length(name) <= 512", name="name_length"),
)

peers = Table(
    "peers",
    metadata,
    Column("id", Text, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("internal_metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("configuration", JSONB, nullable=False, server_default=_EMPTY_JSON),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("workspace_name", "name"),
    ForeignKeyConstraint(["workspace_name"], ["workspaces.name"], ondelete="CASCADE"),
    CheckConstraint("length(name) <= 512", name="name_length"),
    Index(None, "workspace_name", "created_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("internal_metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("configuration", JSONB, nullable=False, server_default=_EMPTY_JSON),
    # Highest seq_in_session handed out. Bumped with UPDATE ... RETURNING, which row-locks the
    # session: writers to one session serialise on it (and only on it), so sequence numbers are
    # gap-free and ordered, and membership upserts that follow cannot deadlock.
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("workspace_name", "name"),
    ForeignKeyConstraint(["workspace_name"], ["workspaces.name"], ondelete="CASCADE"),
    CheckConstraint("length(name) <= 512", name="name_length"),
    Index(None, "workspace_name", "created_at"),
)

session_peers = Table(
    "session_peers",
    metadata,
    Column("workspace_name", Text, nullable=False),
    Column("session_name", Text, nullable=False),
    Column("peer_name", Text, nullable=False),
    Column("configuration", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("joined_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("left_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("workspace_name", "session_name", "peer_name"),
    ForeignKeyConstraint(
        ["workspace_name", "session_name"],
        ["sessions.workspace_name", "sessions.name"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["workspace_name", "peer_name"],
        ["peers.workspace_name", "peers.name"],
        ondelete="CASCADE",
    ),
    Index(None, "workspace_name", "peer_name"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigInteger, Identity(always=False), nullable=False),
    Column("public_id", Text, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("session_name", Text, nullable=False),
    Column("peer_name", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("internal_metadata", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("token_count", Integer, nullable=False, server_default=text("0")),
    Column("seq_in_session", BigInteger, nullable=False),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("public_id"),
    UniqueConstraint("workspace_name", "session_name", "seq_in_session"),
    ForeignKeyConstraint(
        ["workspace_name", "session_name"],
        ["sessions.workspace_name", "sessions.name"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["workspace_name", "peer_name"],
        ["peers.workspace_name", "peers.name"],
        ondelete="CASCADE",
    ),
    CheckConstraint("length(content) <= 65535", name="content_length"),
    Index(None, "workspace_name", "session_name", "id"),
    Index(None, "workspace_name", "peer_name", "id"),
    Index(None, "workspace_name", "created_at"),
)
