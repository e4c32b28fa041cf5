"""search and context indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

Messages keep their parsed text (a stored tsvector) so full-text ranking stops re-parsing every
match, and session context reads ids and token counts from a covering index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE messages ADD COLUMN content_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED"
    )
    op.execute("CREATE INDEX ix_messages_content_tsv ON messages USING gin (content_tsv)")
    op.drop_index("ix_messages_content_fts", table_name="messages")
    op.execute(
        "CREATE INDEX ix_messages_session_tokens ON messages "
        "(workspace_name, session_name, id) INCLUDE (token_count)"
    )
    op.drop_index("ix_messages_workspace_name_session_name_id", table_name="messages")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_messages_workspace_name_session_name_id ON messages "
        "(workspace_name, session_name, id)"
    )
    op.drop_index("ix_messages_session_tokens", table_name="messages")
    op.execute(
        "CREATE INDEX ix_messages_content_fts ON messages USING gin (to_tsvector('english', content))"
    )
    op.drop_index("ix_messages_content_tsv", table_name="messages")
    op.drop_column("messages", "content_tsv")
