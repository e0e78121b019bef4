"""staff.notes_warned_at: the one-time note warning without scanning the audit log

Revision ID: a7c31e5b9d42
Revises: fea5fc026825
Create Date: 2026-11-24 15:50:00

`first_note_warning` used to look for an earlier `staff.notes_warning` row in the audit
log, which has no index on (actor, action): a scan on every /log with a note that grows
with the log. The moment now sits on the staff row the guard already reads. Existing
warnings are carried over from the audit log, so nobody is warned twice.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'a7c31e5b9d42'
down_revision: str | None = 'fea5fc026825'


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes_warned_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    op.execute(
        "UPDATE staff SET notes_warned_at = (SELECT min(audit_log.at) FROM audit_log "
        "WHERE audit_log.actor_staff_id = staff.id "
        "AND audit_log.action = 'staff.notes_warning')"
    )


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('notes_warned_at')
