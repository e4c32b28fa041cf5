"""The schema as SQLAlchemy Core tables. Alembic migrations create it; a test keeps the two equal.

Resources are keyed by their user-chosen names inside a workspace (names are immutable), so the
hot write path (message batches) never has to look up surrogate ids. Every child row cascades
from its parent: deleting a workspace or a session removes everything derived from it.
"""

from __future__ import annotations

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

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
    # Parsed once at write time, so search ranks without re-parsing every matching message.
    Column(
        "content_tsv",
        TSVECTOR,
        Computed("to_tsvector('english'::regconfig, content)", persisted=True),
        nullable=True,
    ),
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
    # Covering: session context walks it newest-first reading only ids and token counts.
    Index(
        "ix_messages_session_tokens",
        "workspace_name",
        "session_name",
        "id",
        postgresql_include=["token_count"],
    ),
    Index(None, "workspace_name", "peer_name", "id"),
    Index(None, "workspace_name", "created_at"),
    Index("ix_messages_content_tsv", "content_tsv", postgresql_using="gin"),
)

# Where a workspace's events are POSTed (spec §6.7). At most WEBHOOK_MAX_WORKSPACE_LIMIT each.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Text, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("url", Text, nullable=False),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("workspace_name", "url"),
    ForeignKeyConstraint(["workspace_name"], ["workspaces.name"], ondelete="CASCADE"),
    CheckConstraint("length(url) <= 2048", name="url_length"),
)

# -- derived memory --------------------------------------------------------------------------

honcho_meta = Table(
    "honcho_meta",
    metadata,
    Column("key", Text, nullable=False),
    Column("value", JSONB, nullable=False),
    PrimaryKeyConstraint("key"),
)

# One row per message (or summary trigger) awaiting derivation. Enqueued in the transaction that
# writes the message; `observers`/`witnesses` freeze who was in the session at that moment.
# Webhook deliveries are rows too (one per event and endpoint, no session): they share the
# retries, backoff, job re-creation and retention, and go with their endpoint when it is deleted.
deriver_queue = Table(
    "deriver_queue",
    metadata,
    Column("id", BigInteger, Identity(always=False), nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("session_name", Text, nullable=True),
    Column("work_unit_key", Text, nullable=False),
    Column("task_type", Text, nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("sender", Text, nullable=True),
    # Peers whose view of `sender` this message feeds: the sender itself (the global view) when
    # it is observed, and members with observe_others (local views).
    Column("observers", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # Every active member when the message was written: who witnessed it.
    Column("witnesses", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("payload", JSONB, nullable=False, server_default=_EMPTY_JSON),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", Text, nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    _now(),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    Column("endpoint_id", Text, nullable=True),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(
        ["workspace_name", "session_name"],
        ["sessions.workspace_name", "sessions.name"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"], ondelete="CASCADE"),
    CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
    CheckConstraint(
        "task_type IN ('representation', 'summary', 'embed', 'webhook')", name="task_type"
    ),
    CheckConstraint(
        "(task_type = 'webhook') = (endpoint_id IS NOT NULL) "
        "AND (task_type = 'webhook' OR session_name IS NOT NULL)",
        name="webhook_shape",
    ),
    Index(
        "ix_deriver_queue_pending",
        "work_unit_key",
        "id",
        postgresql_where=text("status = 'pending'"),
    ),
    Index(None, "workspace_name", "status"),
    Index(None, "message_id"),
    Index(
        "ix_deriver_queue_endpoint_id",
        "endpoint_id",
        postgresql_where=text("endpoint_id IS NOT NULL"),
    ),
)

# Observations: what `observer` knows about `observed`. observer == observed is the global view.
documents = Table(
    "documents",
    metadata,
    Column("id", Text, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("observer", Text, nullable=False),
    Column("observed", Text, nullable=False),
    Column("session_name", Text, nullable=True),
    Column("level", Text, nullable=False, server_default=text("'explicit'")),
    Column("content", Text, nullable=False),
    Column("premises", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("message_ids", ARRAY(BigInteger), nullable=False, server_default=text("'{}'")),
    Column("times_derived", Integer, nullable=False, server_default=text("1")),
    # vector(N) with N = LLM_EMBEDDING_DIMENSIONS when the schema was built (see honcho_meta).
    Column("embedding", Vector(), nullable=True),
    Column("message_created_at", DateTime(timezone=True), nullable=True),
    _now(),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(
        ["workspace_name", "observer"], ["peers.workspace_name", "peers.name"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["workspace_name", "observed"], ["peers.workspace_name", "peers.name"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["workspace_name", "session_name"],
        ["sessions.workspace_name", "sessions.name"],
        ondelete="CASCADE",
    ),
    CheckConstraint("level IN ('explicit', 'deductive')", name="level"),
    CheckConstraint("length(content) <= 65535", name="content_length"),
    Index(None, "workspace_name", "observer", "observed", "created_at"),
    Index(None, "workspace_name", "session_name"),
    Index(
        "ix_documents_embedding",
        "embedding",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    ),
)

peer_cards = Table(
    "peer_cards",
    metadata,
    Column("workspace_name", Text, nullable=False),
    Column("observer", Text, nullable=False),
    Column("observed", Text, nullable=False),
    Column("card", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("workspace_name", "observer", "observed"),
    ForeignKeyConstraint(
        ["workspace_name", "observer"], ["peers.workspace_name", "peers.name"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["workspace_name", "observed"], ["peers.workspace_name", "peers.name"], ondelete="CASCADE"
    ),
)

session_summaries = Table(
    "session_summaries",
    metadata,
    Column("workspace_name", Text, nullable=False),
    Column("session_name", Text, nullable=False),
    Column("summary_type", Text, nullable=False),
    Column("content", Text, nullable=False),
    # The summary covers the session's messages up to and including this one.
    Column("message_id", BigInteger, nullable=False),
    Column("message_public_id", Text, nullable=False),
    Column("message_seq", BigInteger, nullable=False),
    Column("token_count", Integer, nullable=False),
    _now(),
    PrimaryKeyConstraint("workspace_name", "session_name", "summary_type"),
    ForeignKeyConstraint(
        ["workspace_name", "session_name"],
        ["sessions.workspace_name", "sessions.name"],
        ondelete="CASCADE",
    ),
    CheckConstraint("summary_type IN ('short', 'long')", name="summary_type"),
)

# Every LLM call the server makes, for cost reporting. Kept when the data it served is deleted.
llm_calls = Table(
    "llm_calls",
    metadata,
    Column("id", BigInteger, Identity(always=False), nullable=False),
    Column("workspace_name", Text, nullable=True),
    Column("session_name", Text, nullable=True),
    Column("component", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("input_tokens", Integer, nullable=False, server_default=text("0")),
    Column("output_tokens", Integer, nullable=False, server_default=text("0")),
    Column("messages", Integer, nullable=False, server_default=text("0")),
    Column("duration_ms", Integer, nullable=False, server_default=text("0")),
    Column("ok", Boolean, nullable=False),
    Column("error", Text, nullable=True),
    _now(),
    PrimaryKeyConstraint("id"),
    Index(None, "workspace_name", "created_at"),
)

# Vectors of message text for semantic search; a message longer than the embedding model's limit
# has several chunks. Computed by the deriver queue (or in the write path when configured).
message_embeddings = Table(
    "message_embeddings",
    metadata,
    Column("id", Text, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("workspace_name", Text, nullable=False),
    Column("session_name", Text, nullable=False),
    Column("chunk_index", Integer, nullable=False, server_default=text("0")),
    Column("content", Text, nullable=False),
    Column("embedding", Vector(), nullable=True),
    _now(),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("message_id", "chunk_index"),
    ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
    Index(None, "workspace_name", "session_name"),
    Index(
        "ix_message_embeddings_embedding",
        "embedding",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    ),
)
