"""statistics: the check-in time index also holds participant_id

Revision ID: 13f3f6a4f26e
Revises: a7c3e91d2b40
Create Date: 2026-11-24 15:50:00

Counting a scoped or grouped period's check-ins needs each check-in's participant: with
`participant_id` in the index SQLite reads the index alone instead of one table row per
check-in (BENCHMARKS.md finding 5). The new index leads with `happened_at`, so every
query the old one served (period ranges) is served as before; the old one goes.
"""

from alembic import op

revision: str = '13f3f6a4f26e'
down_revision: str | None = 'a7c3e91d2b40'


def upgrade() -> None:
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_happened_participant',
                              ['happened_at', 'participant_id'], unique=False)
        batch_op.drop_index('ix_checkin_happened_at')


def downgrade() -> None:
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_happened_at', ['happened_at'], unique=False)
        batch_op.drop_index('ix_checkin_happened_participant')
