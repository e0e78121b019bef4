"""relay_link: route staff replies to participants (no message content stored)

Revision ID: c4d2e8f1a7b3
Revises: 6b1e0c7d9a21
Create Date: 2026-12-04 19:20:00

The conversation relay copies a participant's messages to her coordinator with Telegram's
copyMessage. A row maps the copy in the staff chat back to the participant, so a reply to
it reaches her, and says when she wrote and whether it was answered. Nothing of what was
written is stored; rows are deleted after RELAY_RETENTION_DAYS and by erasure.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c4d2e8f1a7b3'
down_revision: str | None = '6b1e0c7d9a21'


def upgrade() -> None:
    op.create_table(
        'relay_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('staff_chat_id', sa.BigInteger(), nullable=False),
        sa.Column('staff_message_id', sa.BigInteger(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_relay_link_participant_id_participant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_link')),
    )
    op.create_index('ix_relay_link_staff_message', 'relay_link',
                    ['staff_chat_id', 'staff_message_id'])
    op.create_index('ix_relay_link_participant_at', 'relay_link', ['participant_id', 'at'])
    op.create_index(op.f('ix_relay_link_at'), 'relay_link', ['at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_relay_link_at'), table_name='relay_link')
    op.drop_index('ix_relay_link_participant_at', table_name='relay_link')
    op.drop_index('ix_relay_link_staff_message', table_name='relay_link')
    op.drop_table('relay_link')
