"""outbound_message.message_id and buttons_retired_at: retire a changed follow-up's buttons

Revision ID: c4e8a1f0b7d3
Revises: c4d2e8f1a7b3
Create Date: 2026-12-04 19:20:00

When a follow-up is moved or cancelled, the reminders already in the participant's chat
must lose their answer buttons (an old tap must not answer the new time). Telegram edits
a message by its id, so the outbox now keeps the id of what it sent, and when its
buttons were removed (so they are removed once).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c4e8a1f0b7d3'
down_revision: str | None = 'c4d2e8f1a7b3'


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('buttons_retired_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('buttons_retired_at')
        batch_op.drop_column('message_id')
