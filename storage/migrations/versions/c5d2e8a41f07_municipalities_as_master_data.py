"""municipalities as master data: stored free text mapped to SCB's official names

Revision ID: c5d2e8a41f07
Revises: c4e1d8a0f3b7
Create Date: 2026-12-04 19:30:00

Until now a municipality was whatever was typed: `vaxjo`, `Växsjö` and `Växjö` were three
groups in the statistics. Every value that means one municipality without doubt (the same
name in another case or without å/ä/ö, "Lunds kommun", or a single close spelling) becomes
its official name (storage/data/municipalities.csv); anything else is left as it is for
`koordinator db check` to report. The check-in tallies follow through their triggers.
Downgrade leaves the names as they are: the old free text is not kept.
"""

import sqlalchemy as sa
from alembic import op

from storage.municipalities import SWEDEN

revision: str = 'c5d2e8a41f07'
down_revision: str | None = 'c4e1d8a0f3b7'


def upgrade() -> None:
    bind = op.get_bind()
    for table in ('participant', 'staff'):
        stored = bind.execute(sa.text(
            f"SELECT DISTINCT municipality FROM {table} WHERE municipality IS NOT NULL"
        )).scalars().all()
        for old, new in SWEDEN.cleaning(stored).items():
            bind.execute(sa.text(f"UPDATE {table} SET municipality = :new "
                                 "WHERE municipality = :old"), {"new": new, "old": old})


def downgrade() -> None:
    pass
