"""webhooks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Webhook endpoints, and webhook deliveries as deriver_queue rows: task type `webhook`, no session,
the endpoint they go to (deleted with it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHAPE = (
    "(task_type = 'webhook') = (endpoint_id IS NOT NULL) "
    "AND (task_type = 'webhook' OR session_name IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('workspace_name', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(url) <= 2048', name=op.f('ck_webhook_endpoints_url_length')),
    sa.ForeignKeyConstraint(['workspace_name'], ['workspaces.name'], name=op.f('fk_webhook_endpoints_workspace_name_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    sa.UniqueConstraint('workspace_name', 'url', name=op.f('uq_webhook_endpoints_workspace_name_url'))
    )
    op.add_column('deriver_queue', sa.Column('endpoint_id', sa.Text(), nullable=True))
    op.alter_column('deriver_queue', 'session_name', existing_type=sa.Text(), nullable=True)
    op.create_foreign_key(
        op.f('fk_deriver_queue_endpoint_id_webhook_endpoints'), 'deriver_queue', 'webhook_endpoints',
        ['endpoint_id'], ['id'], ondelete='CASCADE',
    )
    op.create_index('ix_deriver_queue_endpoint_id', 'deriver_queue', ['endpoint_id'], unique=False, postgresql_where=sa.text('endpoint_id IS NOT NULL'))
    op.drop_constraint(op.f('ck_deriver_queue_task_type'), 'deriver_queue', type_='check')
    op.create_check_constraint(
        op.f('ck_deriver_queue_task_type'), 'deriver_queue',
        "task_type IN ('representation', 'summary', 'embed', 'webhook')",
    )
    op.create_check_constraint(op.f('ck_deriver_queue_webhook_shape'), 'deriver_queue', _SHAPE)


def downgrade() -> None:
    op.execute("DELETE FROM deriver_queue WHERE task_type = 'webhook'")
    op.drop_constraint(op.f('ck_deriver_queue_webhook_shape'), 'deriver_queue', type_='check')
    op.drop_constraint(op.f('ck_deriver_queue_task_type'), 'deriver_queue', type_='check')
    op.create_check_constraint(
        op.f('ck_deriver_queue_task_type'), 'deriver_queue',
        "task_type IN ('representation', 'summary', 'embed')",
    )
    op.drop_index('ix_deriver_queue_endpoint_id', table_name='deriver_queue', postgresql_where=sa.text('endpoint_id IS NOT NULL'))
    op.drop_constraint(op.f('fk_deriver_queue_endpoint_id_webhook_endpoints'), 'deriver_queue', type_='foreignkey')
    op.alter_column('deriver_queue', 'session_name', existing_type=sa.Text(), nullable=False)
    op.drop_column('deriver_queue', 'endpoint_id')
    op.drop_table('webhook_endpoints')
