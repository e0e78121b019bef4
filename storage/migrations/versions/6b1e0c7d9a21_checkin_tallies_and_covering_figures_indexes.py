"""statistics: check-ins tallied per day and group; participant indexes cover the figures

Revision ID: 6b1e0c7d9a21
Revises: 13f3f6a4f26e
Create Date: 2026-11-24 18:10:00

A whole-project breakdown counted every check-in of the period (263,630 for a year at
county size, ~95 ms on SQLite) and grouped every participant through the table (~87 ms);
BENCHMARKS.md finding 5 has the measurements.

- `checkin_tally_municipality` and `checkin_tally_coordinator` hold check-ins per UTC day
  and municipality or coordinator. Triggers keep them, in the same transaction as the
  write, for every writer (bot, CLI, demo data, bulk loads, `db copy`): a check-in
  inserted, deleted or moved, a participant moving to another municipality or
  coordinator, a participant deleted (its check-ins are deleted first, while the
  participant still says where they were counted). storage/stats.py reads whole days from
  them and counts the partial days at a period's edges live.
- The participants' pass reads an index holding both group keys and every column it
  counts, in group order. The coordinator index starts with coordinator_id and holds
  status, so it serves what `ix_participant_coordinator_status` and
  `ix_participant_coordinator_id` served (a caseload is a range of it); the municipality
  index starts with municipality, as `ix_participant_municipality` did.

On PostgreSQL a tally row is locked by the transaction that changed it until it ends:
two check-ins on the same day in the same municipality commit one after the other (a /log
holds it for the rest of its transaction, about a millisecond; a hand-over of many
participants for its whole transaction), and two transactions that each move several
participants' counts in opposite orders can deadlock (PostgreSQL then aborts one: its
writer sees an error and nothing of it is saved). SQLite has one writer at a time.

A later migration that recreates `checkin` or `participant` (Alembic's batch mode on
SQLite copies the table and renames the copy into place) must drop these triggers first
and create them again afterwards: SQLite refuses the rename while the other table's
triggers name the table (or, with legacy_alter_table, silently drops the copied table's
triggers). `tests/test_tallies.py` lists the triggers expected at head.
"""

import sqlalchemy as sa
from alembic import op

revision: str = '6b1e0c7d9a21'
down_revision: str | None = '13f3f6a4f26e'

FIGURES = ['status', 'enrolled_on', 'ended_on', 'outcome', 'gender']
TALLIES = {'checkin_tally_municipality': 'municipality',
           'checkin_tally_coordinator': 'coordinator_id'}


def _sqlite_count(day: str, row: str, delta: str) -> str:
    """Statements adding `delta` check-ins on `day` to the groups of participant `row`."""
    return "".join(
        f"INSERT INTO {table} (day, {key}, checkins) "
        f"SELECT {day}, {key}, {delta} FROM participant WHERE id = {row}.participant_id "
        f"ON CONFLICT (day, {key}) DO UPDATE SET checkins = checkins + excluded.checkins;\n"
        for table, key in TALLIES.items())


def _sqlite_move(key: str, table: str) -> str:
    per_day = ("SELECT date(happened_at) AS day, count(*) AS n FROM checkin "
               "WHERE participant_id = NEW.id GROUP BY date(happened_at)")
    return (f"CREATE TRIGGER {table}_move AFTER UPDATE OF {key} ON participant "
            f"WHEN OLD.{key} IS NOT NEW.{key} BEGIN\n" + "".join(
                f"INSERT INTO {table} (day, {key}, checkins) "
                f"SELECT day, {side}.{key}, {sign}n FROM ({per_day}) WHERE true "
                f"ON CONFLICT (day, {key}) DO UPDATE SET checkins = checkins + excluded.checkins;\n"
                for side, sign in (('OLD', '-'), ('NEW', '')))
            + "END")


SQLITE_UPGRADE = [
    "CREATE TRIGGER checkin_tally_insert AFTER INSERT ON checkin BEGIN\n"
    + _sqlite_count("date(NEW.happened_at)", "NEW", "1") + "END",
    "CREATE TRIGGER checkin_tally_delete AFTER DELETE ON checkin BEGIN\n"
    + _sqlite_count("date(OLD.happened_at)", "OLD", "-1") + "END",
    "CREATE TRIGGER checkin_tally_update AFTER UPDATE OF participant_id, happened_at ON checkin "
    "BEGIN\n" + _sqlite_count("date(OLD.happened_at)", "OLD", "-1")
    + _sqlite_count("date(NEW.happened_at)", "NEW", "1") + "END",
    *(_sqlite_move(key, table) for table, key in TALLIES.items()),
    # Its check-ins go first, while the participant still says where they were counted
    # (ON DELETE CASCADE would delete them after the participant row).
    "CREATE TRIGGER participant_tally_delete BEFORE DELETE ON participant BEGIN\n"
    "DELETE FROM checkin WHERE participant_id = OLD.id;\nEND",
]
SQLITE_DOWNGRADE = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "checkin_tally_insert", "checkin_tally_delete", "checkin_tally_update",
    *(f"{table}_move" for table in TALLIES), "participant_tally_delete")]


def _postgres_count(rows: str) -> str:
    """Statements adding the check-ins of `rows` (participant_id, happened_at, delta)."""
    return "".join(
        f"INSERT INTO {table} AS t (day, {key}, checkins) "
        f"SELECT (r.happened_at AT TIME ZONE 'UTC')::date, p.{key}, sum(r.delta) "
        f"FROM {rows} r JOIN participant p ON p.id = r.participant_id GROUP BY 1, 2 "
        f"HAVING sum(r.delta) <> 0 "
        f"ON CONFLICT (day, {key}) DO UPDATE SET checkins = t.checkins + EXCLUDED.checkins;\n"
        for table, key in TALLIES.items())


def _postgres_wait_for_moves(*transition_tables: str) -> str:
    """Lock the check-ins' participants before reading their group. A check-in's foreign
    key takes only a KEY SHARE lock, which does not wait for a hand-over in progress: the
    check-in would be counted under the old group while the hand-over, not seeing the
    uncommitted check-in, moves the others. With this lock the check-in waits for the
    move and then reads the new group (each statement of the function takes a fresh
    snapshot), and a later move waits for the check-in's transaction. /log updates its
    participant row in the same transaction anyway, so this adds no new waiting."""
    ids = " UNION ".join(f"SELECT participant_id FROM {name}" for name in transition_tables)
    return (f"PERFORM 1 FROM participant WHERE id IN ({ids}) ORDER BY id "
            "FOR NO KEY UPDATE;\n")


def _postgres_move(key: str, table: str) -> str:
    return "".join(
        f"IF OLD.{key} IS DISTINCT FROM NEW.{key} THEN\n" + "".join(
            f"INSERT INTO {table} AS t (day, {key}, checkins) "
            f"SELECT (happened_at AT TIME ZONE 'UTC')::date, {side}.{key}, {sign}count(*) "
            f"FROM checkin WHERE participant_id = NEW.id GROUP BY 1 "
            f"ON CONFLICT (day, {key}) DO UPDATE SET checkins = t.checkins + EXCLUDED.checkins;\n"
            for side, sign in (('OLD', '-'), ('NEW', '')))
        + "END IF;\n")


def _postgres_function(name: str, body: str, returns: str = "NULL") -> str:
    # The function's search_path is the migration's: the tables of this schema, whatever
    # search_path the writing session has (DATABASE_SCHEMA, several schemas in a database).
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path FROM CURRENT AS $$\nBEGIN\n{body}RETURN {returns};\nEND $$")


# Statement-level triggers with transition tables: a bulk insert (db copy, a load) costs
# one grouped upsert per statement, not one per row. A participant's UPDATE is row-level
# with a column list and a WHEN, so the frequent `updated_at` update never calls it.
POSTGRES_UPGRADE = [
    _postgres_function("checkin_tally_added", _postgres_wait_for_moves("new_rows")
                       + _postgres_count("(SELECT participant_id, happened_at, 1 AS delta "
                                         "FROM new_rows)")),
    _postgres_function("checkin_tally_removed", _postgres_wait_for_moves("old_rows")
                       + _postgres_count("(SELECT participant_id, happened_at, -1 AS delta "
                                         "FROM old_rows)")),
    # Old rows out, new rows in, whatever changed (an id too); unmoved ones cancel out.
    _postgres_function("checkin_tally_changed", _postgres_wait_for_moves("old_rows", "new_rows")
                       + _postgres_count("(SELECT participant_id, happened_at, -1 AS delta "
                                         "FROM old_rows UNION ALL SELECT participant_id, "
                                         "happened_at, 1 FROM new_rows)")),
    _postgres_function("checkin_tally_truncated", "".join(
        f"DELETE FROM {table};\n" for table in TALLIES)),
    _postgres_function("checkin_tally_moved", "".join(
        _postgres_move(key, table) for table, key in TALLIES.items())),
    # Its check-ins go first, while the participant still says where they were counted.
    _postgres_function("checkin_tally_participant_deleted",
                       "DELETE FROM checkin WHERE participant_id = OLD.id;\n", returns="OLD"),
    "CREATE TRIGGER checkin_tally_insert AFTER INSERT ON checkin REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION checkin_tally_added()",
    "CREATE TRIGGER checkin_tally_delete AFTER DELETE ON checkin REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION checkin_tally_removed()",
    "CREATE TRIGGER checkin_tally_update AFTER UPDATE ON checkin REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION checkin_tally_changed()",
    "CREATE TRIGGER checkin_tally_truncate AFTER TRUNCATE ON checkin "
    "FOR EACH STATEMENT EXECUTE FUNCTION checkin_tally_truncated()",
    "CREATE TRIGGER participant_tally_move AFTER UPDATE OF municipality, coordinator_id ON "
    "participant FOR EACH ROW WHEN (OLD.municipality IS DISTINCT FROM NEW.municipality OR "
    "OLD.coordinator_id IS DISTINCT FROM NEW.coordinator_id) "
    "EXECUTE FUNCTION checkin_tally_moved()",
    "CREATE TRIGGER participant_tally_delete BEFORE DELETE ON participant FOR EACH ROW "
    "EXECUTE FUNCTION checkin_tally_participant_deleted()",
]
POSTGRES_DOWNGRADE = [
    *(f"DROP TRIGGER IF EXISTS {name} ON checkin" for name in (
        "checkin_tally_insert", "checkin_tally_delete", "checkin_tally_update",
        "checkin_tally_truncate")),
    *(f"DROP TRIGGER IF EXISTS {name} ON participant" for name in (
        "participant_tally_move", "participant_tally_delete")),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name in (
        "checkin_tally_added", "checkin_tally_removed", "checkin_tally_changed",
        "checkin_tally_truncated", "checkin_tally_moved", "checkin_tally_participant_deleted")),
]


def upgrade() -> None:
    for table, key in TALLIES.items():
        key_type = sa.String(length=80) if key == 'municipality' else sa.Integer()
        op.create_table(
            table,
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column(key, key_type, nullable=False),
            sa.Column('checkins', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('day', key, name=op.f(f'pk_{table}')),
        )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_coordinator_figures',
                              ['coordinator_id', 'municipality', *FIGURES], unique=False)
        batch_op.create_index('ix_participant_municipality_figures',
                              ['municipality', 'coordinator_id', *FIGURES], unique=False)
        batch_op.drop_index('ix_participant_coordinator_status')
        batch_op.drop_index('ix_participant_coordinator_id')
        batch_op.drop_index('ix_participant_municipality')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if not sqlite:
        # No check-in may slip in between the fill and the triggers (SQLite's migration
        # transaction is its only writer already).
        op.execute("LOCK TABLE checkin, participant IN SHARE ROW EXCLUSIVE MODE")
    day = "date(c.happened_at)" if sqlite else "(c.happened_at AT TIME ZONE 'UTC')::date"
    for table, key in TALLIES.items():
        op.execute(f"INSERT INTO {table} (day, {key}, checkins) "
                   f"SELECT {day}, p.{key}, count(*) FROM checkin c "
                   f"JOIN participant p ON p.id = c.participant_id GROUP BY 1, 2")
    for statement in SQLITE_UPGRADE if sqlite else POSTGRES_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in SQLITE_DOWNGRADE if sqlite else POSTGRES_DOWNGRADE:
        op.execute(statement)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_municipality', ['municipality'], unique=False)
        batch_op.create_index('ix_participant_coordinator_id', ['coordinator_id'], unique=False)
        batch_op.create_index('ix_participant_coordinator_status',
                              ['coordinator_id', 'status'], unique=False)
        batch_op.drop_index('ix_participant_municipality_figures')
        batch_op.drop_index('ix_participant_coordinator_figures')
    for table in TALLIES:
        op.drop_table(table)
