"""outbound_message.useful_until: how long a message that failed is retried

Revision ID: c4e1d8a0f3b7
Revises: c4e8a1f0b7d3
Create Date: 2026-12-04 19:20:00

A message that meets a transient fault (network, 5xx, timeout) is retried for as long
as it is still useful (a reminder until its appointment, anything else for a day after
it first failed), then marked `expired`. The deadline is fixed at the first failure,
so later postponements do not move it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'c4e1d8a0f3b7'
down_revision: str | None = 'c4e8a1f0b7d3'


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('useful_until', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('useful_until')
