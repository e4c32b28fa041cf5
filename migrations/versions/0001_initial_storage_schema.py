"""initial storage schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21

Workspaces, peers, sessions, memberships and messages, keyed by name inside a workspace.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('workspaces',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('internal_metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('configuration', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(name) <= 512', name=op.f('ck_workspaces_name_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    sa.UniqueConstraint('name', name=op.f('uq_workspaces_name'))
    )
    op.create_table('peers',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('internal_metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('configuration', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(name) <= 512', name=op.f('ck_peers_name_length')),
    sa.ForeignKeyConstraint(['workspace_name'], ['workspaces.name'], name=op.f('fk_peers_workspace_name_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peers')),
    sa.UniqueConstraint('workspace_name', 'name', name=op.f('uq_peers_workspace_name_name'))
    )
    op.create_index(op.f('ix_peers_workspace_name_created_at'), 'peers', ['workspace_name', 'created_at'], unique=False)
    op.create_table('sessions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('internal_metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('configuration', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(name) <= 512', name=op.f('ck_sessions_name_length')),
    sa.ForeignKeyConstraint(['workspace_name'], ['workspaces.name'], name=op.f('fk_sessions_workspace_name_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('workspace_name', 'name', name=op.f('uq_sessions_workspace_name_name'))
    )
    op.create_index(op.f('ix_sessions_workspace_name_created_at'), 'sessions', ['workspace_name', 'created_at'], unique=False)
    op.create_table('messages',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('public_id', sa.Text(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=False),
    sa.Column('peer_name', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('internal_metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('token_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('seq_in_session', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(content) <= 65535', name=op.f('ck_messages_content_length')),
    sa.ForeignKeyConstraint(['workspace_name', 'peer_name'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_messages_workspace_name_peer_name_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'session_name'], ['sessions.workspace_name', 'sessions.name'], name=op.f('fk_messages_workspace_name_session_name_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('public_id', name=op.f('uq_messages_public_id')),
    sa.UniqueConstraint('workspace_name', 'session_name', 'seq_in_session', name=op.f('uq_messages_workspace_name_session_name_seq_in_session'))
    )
    op.create_index(op.f('ix_messages_workspace_name_created_at'), 'messages', ['workspace_name', 'created_at'], unique=False)
    op.create_index(op.f('ix_messages_workspace_name_peer_name_id'), 'messages', ['workspace_name', 'peer_name', 'id'], unique=False)
    op.create_index(op.f('ix_messages_workspace_name_session_name_id'), 'messages', ['workspace_name', 'session_name', 'id'], unique=False)
    op.create_table('session_peers',
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('session_name', sa.Text(), nullable=False),
    sa.Column('peer_name', sa.Text(), nullable=False),
    sa.Column('configuration', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_name', 'peer_name'], ['peers.workspace_name', 'peers.name'], name=op.f('fk_session_peers_workspace_name_peer_name_peers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_name', 'session_name'], ['sessions.workspace_name', 'sessions.name'], name=op.f('fk_session_peers_workspace_name_session_name_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_name', 'session_name', 'peer_name', name=op.f('pk_session_peers'))
    )
    op.create_index(op.f('ix_session_peers_workspace_name_peer_name'), 'session_peers', ['workspace_name', 'peer_name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_session_peers_workspace_name_peer_name'), table_name='session_peers')
    op.drop_table('session_peers')
    op.drop_index(op.f('ix_messages_workspace_name_session_name_id'), table_name='messages')
    op.drop_index(op.f('ix_messages_workspace_name_peer_name_id'), table_name='messages')
    op.drop_index(op.f('ix_messages_workspace_name_created_at'), table_name='messages')
    op.drop_table('messages')
    op.drop_index(op.f('ix_sessions_workspace_name_created_at'), table_name='sessions')
    op.drop_table('sessions')
    op.drop_index(op.f('ix_peers_workspace_name_created_at'), table_name='peers')
    op.drop_table('peers')
    op.drop_table('workspaces')
