"""flow_draft: where a person stands in a guided flow, kept across restarts and processes

Revision ID: d1a7f3c9e2b5
Revises: c5d2e8a41f07
Create Date: 2026-12-04 22:40:00

Guided flows kept their state in the process's memory: a restart between two steps made
the next tap "expired", and with several processes the next update could reach one that
knew nothing of the flow. One row per person now holds the flow, its step and its draft.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'd1a7f3c9e2b5'
down_revision: str | None = 'c5d2e8a41f07'


def upgrade() -> None:
    op.create_table(
        'flow_draft',
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
        sa.Column('flow', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('first_step', sa.Integer(), nullable=False),
        sa.Column('run', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('prompt_message_id', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_flow_draft')),
    )
    op.create_index(op.f('ix_flow_draft_updated_at'), 'flow_draft', ['updated_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_flow_draft_updated_at'), table_name='flow_draft')
    op.drop_table('flow_draft')
