"""deriver queue and derived memory

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

The deriver's item queue, observations (documents) with embeddings, peer cards, session summaries,
LLM usage records, and procrastinate's job tables. The embedding column is vector(N) with N the
configured LLM_EMBEDDING_DIMENSIONS, recorded in honcho_meta so a server configured for another
size refuses to start (and `honcho reembed` rebuilds it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import pgvector.sqlalchemy
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

from src.config import get_settings

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dimensions = get_settings().llm.EMBEDDING_DIMENSIONS
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(SchemaManager.get_schema())
    op.create_table('honcho_meta',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_honcho_meta'))
    )
    op.create_table('llm_calls',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=True),
    sa.Column('session_name', sa.Text(), nullable=True),
    sa.Column('component', sa.Text(), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('model', sa.Text(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('output_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('messages', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('duration_ms', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_calls'))
    )
    op.create_index(op.f('ix_llm_calls_workspace_name_created_at'), 'llm_calls', ['workspace_name', 'created_at'], unique=False)
    op.create_table('documents',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('observer', sa.Text(), nullable=False),
    sa.Column('observed', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=True),
    sa.Column('level', sa.Text(), server_default=sa.text("'explicit'"), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('premises', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('message_ids', postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('times_derived', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('embedding', pgvector.sqlalchemy.Vector(dimensions), nullable=True),
    sa.Column('message_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("level IN ('explicit', 'deductive')", name=op.f('ck_documents_level')),
    sa.CheckConstraint('length(content) <= 65535', name=op.f('ck_documents_content_length')),
    sa.ForeignKeyConstraint(['workspace_name', 'observed'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_documents_workspace_name_observed_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'observer'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_documents_workspace_name_observer_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'session_name'], ['sessions.workspace_name', 'sessions.name'], name=op.f('fk_documents_workspace_name_session_name_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    op.create_index(op.f('ix_documents_workspace_name_observer_observed_created_at'), 'documents', ['workspace_name', 'observer', 'observed', 'created_at'], unique=False)
    op.create_index(op.f('ix_documents_workspace_name_session_name'), 'documents', ['workspace_name', 'session_name'], unique=False)
    op.create_index('ix_documents_embedding', 'documents', ['embedding'], postgresql_using='hnsw', postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.create_table('peer_cards',
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('observer', sa.Text(), nullable=False),
    sa.Column('observed', sa.Text(), nullable=False),
    sa.Column('card', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['workspace_name', 'observed'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_peer_cards_workspace_name_observed_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'observer'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_peer_cards_workspace_name_observer_peers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_name', 'observer', 'observed', name=op.f('pk_peer_cards'))
    )
    op.create_table('session_summaries',
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=False),
    sa.Column('summary_type', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('message_public_id', sa.Text(), nullable=False),
    sa.Column('message_seq', sa.BigInteger(), nullable=False),
    sa.Column('token_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("summary_type IN ('short', 'long')", name=op.f('ck_session_summaries_summary_type')),
    sa.ForeignKeyConstraint(['workspace_name', 'session_name'], ['sessions.workspace_name', 'sessions.name'], name=op.f('fk_session_summaries_workspace_name_session_name_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_name', 'session_name', 'summary_type', name=op.f('pk_session_summaries'))
    )
    op.create_table('deriver_queue',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=False),
    sa.Column('work_unit_key', sa.Text(), nullable=False),
    sa.Column('task_type', sa.Text(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('sender', sa.Text(), nullable=True),
    sa.Column('observers', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('witnesses', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name=op.f('ck_deriver_queue_status')),
    sa.CheckConstraint("task_type IN ('representation', 'summary')", name=op.f('ck_deriver_queue_task_type')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_deriver_queue_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'session_name'], ['sessions.workspace_name', 'sessions.name'], name=op.f('fk_deriver_queue_workspace_name_session_name_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deriver_queue'))
    )
    op.create_index(op.f('ix_deriver_queue_message_id'), 'deriver_queue', ['message_id'], unique=False)
    op.create_index('ix_deriver_queue_pending', 'deriver_queue', ['work_unit_key', 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index(op.f('ix_deriver_queue_workspace_name_status'), 'deriver_queue', ['workspace_name', 'status'], unique=False)
    op.execute(
        sa.text("INSERT INTO honcho_meta (key, value) VALUES ('embedding_dimensions', :v)").bindparams(
            sa.bindparam("v", value=dimensions, type_=postgresql.JSONB)
        )
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_deriver_queue_workspace_name_status'), table_name='deriver_queue')
    op.drop_index('ix_deriver_queue_pending', table_name='deriver_queue', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_deriver_queue_message_id'), table_name='deriver_queue')
    op.drop_table('deriver_queue')
    op.drop_table('session_summaries')
    op.drop_table('peer_cards')
    op.drop_index(op.f('ix_documents_workspace_name_session_name'), table_name='documents')
    op.drop_index(op.f('ix_documents_workspace_name_observer_observed_created_at'), table_name='documents')
    op.drop_index('ix_documents_embedding', table_name='documents')
    op.drop_table('documents')
    op.drop_index(op.f('ix_llm_calls_workspace_name_created_at'), table_name='llm_calls')
    op.drop_table('llm_calls')
    op.drop_table('honcho_meta')
    # procrastinate's objects: its tables, then every function and type named procrastinate_*.
    op.execute("DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers CASCADE")
    op.execute(
        """
        DO $$
        DECLARE obj record;
        BEGIN
          FOR obj IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.proname LIKE 'procrastinate%' AND n.nspname = current_schema() LOOP
            EXECUTE 'DROP FUNCTION ' || obj.sig || ' CASCADE';
          END LOOP;
          FOR obj IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c')
                       AND n.nspname = current_schema() LOOP
            EXECUTE 'DROP TYPE ' || quote_ident(obj.typname) || ' CASCADE';
          END LOOP;
        END $$;
        """
    )
