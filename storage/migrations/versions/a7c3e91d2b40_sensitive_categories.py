"""sensitive ESF+ categories: disability and foreign background

Revision ID: a7c3e91d2b40
Revises: a7c31e5b9d42
Create Date: 2026-11-24 16:30:00
"""

import sqlalchemy as sa
from alembic import op


revision: str = 'a7c3e91d2b40'
down_revision: str | None = 'a7c31e5b9d42'


def upgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disability', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('foreign_background', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('foreign_background')
        batch_op.drop_column('disability')
