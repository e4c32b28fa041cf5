"""message search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Full-text index on message content, message embeddings (vector size as recorded in honcho_meta
by 0002), and the deriver's `embed` task type that computes them.
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dimensions() -> int:
    value = op.get_bind().execute(
        sa.text("SELECT value FROM honcho_meta WHERE key = 'embedding_dimensions'")
    ).scalar_one()
    return int(value)


def upgrade() -> None:
    op.create_table('message_embeddings',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=False),
    sa.Column('chunk_index', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('embedding', pgvector.sqlalchemy.Vector(_dimensions()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_embeddings_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_embeddings')),
    sa.UniqueConstraint('message_id', 'chunk_index', name=op.f('uq_message_embeddings_message_id_chunk_index'))
    )
    op.create_index('ix_message_embeddings_embedding', 'message_embeddings', ['embedding'], unique=False, postgresql_using='hnsw', postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.create_index(op.f('ix_message_embeddings_workspace_name_session_name'), 'message_embeddings', ['workspace_name', 'session_name'], unique=False)
    op.create_index('ix_messages_content_fts', 'messages', [sa.literal_column("to_tsvector('english', content)")], unique=False, postgresql_using='gin')
    op.drop_constraint(op.f('ck_deriver_queue_task_type'), 'deriver_queue', type_='check')
    op.create_check_constraint(
        op.f('ck_deriver_queue_task_type'), 'deriver_queue', "task_type IN ('representation', 'summary', 'embed')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM deriver_queue WHERE task_type = 'embed'")
    op.drop_constraint(op.f('ck_deriver_queue_task_type'), 'deriver_queue', type_='check')
    op.create_check_constraint(
        op.f('ck_deriver_queue_task_type'), 'deriver_queue', "task_type IN ('representation', 'summary')"
    )
    op.drop_index('ix_messages_content_fts', table_name='messages', postgresql_using='gin')
    op.drop_index(op.f('ix_message_embeddings_workspace_name_session_name'), table_name='message_embeddings')
    op.drop_index('ix_message_embeddings_embedding', table_name='message_embeddings', postgresql_using='hnsw', postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.drop_table('message_embeddings')
