"""The check-in day tallies the database's triggers keep (storage/models.py, "derived
tables"): after any kind of write, by whatever path, they equal a recount of the check-ins
per UTC day and the participant's current municipality and coordinator."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from storage import stats
from storage.access import Viewer
from storage.checkins import log_checkin
from storage.db import transaction
from storage.models import (
    Channel,
    CheckIn,
    CheckInTallyCoordinator,
    CheckInTallyMunicipality,
    Participant,
)
from storage.participants import hand_over
from storage.stats import execute
from storage.tallies import rebuild_tallies, tally_differences
from tests.conftest import STOCKHOLM, TEST_NOW, Database, People
from tests.projects import checkin, insert_participants, insert_rows, local, participant

_c = CheckIn.__table__.c  # type: ignore[attr-defined]
_p = Participant.__table__.c  # type: ignore[attr-defined]
TALLIES = {"municipality": CheckInTallyMunicipality.__table__,  # type: ignore[attr-defined]
           "coordinator_id": CheckInTallyCoordinator.__table__}  # type: ignore[attr-defined]


def _day(moment: datetime) -> date:
    # SQLite hands back naive UTC, PostgreSQL aware; both mean the same moment.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


async def assert_tallies_equal_recount(db: Database) -> int:
    """Every tally row (zeros left by moves aside) against the check-ins counted in Python."""
    async with transaction(db.sessions) as session:
        connection = await session.connection()
        rows = (await connection.execute(
            select(_c.happened_at, _p.municipality, _p.coordinator_id)
            .select_from(CheckIn.__table__.join(  # type: ignore[attr-defined]
                Participant.__table__, _c.participant_id == _p.id)))).all()  # type: ignore[attr-defined]
        for key, table in TALLIES.items():
            expected = Counter((_day(row.happened_at), getattr(row, key)) for row in rows)
            found = {(day, value): n for day, value, n in (await connection.execute(
                select(table.c.day, table.c[key], table.c.checkins))).all() if n}
            assert found == dict(expected), key
    return len(rows)


async def test_tallies_follow_every_kind_of_write_on_both_backends(
    db: Database, people: People
) -> None:
    assert people.anna.staff and people.bo.staff and people.lead.staff
    anna, bo = people.anna.staff.id, people.bo.staff.id
    assert anna is not None and bo is not None
    rng = random.Random(6)
    rows = [participant(rng.choice((anna, bo)), municipality=rng.choice(("Växjö", "Alvesta")),
                        enrolled_on=date(2025, 1, 1)) for _ in range(12)]
    ids = list((await insert_participants(db, rows)).values())
    # A bulk insert (one executemany), with moments on both sides of UTC midnight.
    moments = [local(2025, 3, 1, 0, 30), local(2025, 3, 1, 1, 30), local(2025, 12, 31, 23, 59)]
    moments += [local(2025, 1, 1, 8) + timedelta(minutes=rng.randrange(500_000))
                for _ in range(150)]
    await insert_rows(db, CheckIn, [checkin(rng.choice(ids), bo, at) for at in moments])
    assert await assert_tallies_equal_recount(db) == len(moments)

    code = next(row["code"] for row in rows if row["coordinator_id"] == bo)
    async with transaction(db.sessions) as session:  # the bot's own path
        await log_checkin(session, Viewer.of(people.bo.staff), code, channel=Channel.PHONE,
                          note="", happened_at=local(2026, 1, 1, 0, 10), now=TEST_NOW,
                          note_max_length=500)
    await assert_tallies_equal_recount(db)

    async with transaction(db.sessions) as session:  # a hand-over moves coordinators
        await hand_over(session, Viewer.of(people.lead.staff), from_staff=people.bo.staff,
                        to_staff=people.anna.staff, codes=None, now=TEST_NOW)
    await assert_tallies_equal_recount(db)

    async with transaction(db.sessions) as session:
        connection = await session.connection()
        # A move of municipality, and of both at once.
        await connection.execute(update(Participant.__table__)  # type: ignore[attr-defined]
                                 .where(_p.id == ids[0]).values(municipality="Ljungby"))
        await connection.execute(update(Participant.__table__)  # type: ignore[attr-defined]
                                 .where(_p.id == ids[1])
                                 .values(municipality="Lessebo", coordinator_id=bo))
        # A check-in moved in time and to another participant; some deleted.
        some = (await connection.execute(select(_c.id).order_by(_c.id).limit(6))).scalars().all()
        await connection.execute(update(CheckIn.__table__).where(  # type: ignore[attr-defined]
            _c.id == some[0]).values(happened_at=local(2024, 2, 29, 23, 30).astimezone(UTC)))
        await connection.execute(update(CheckIn.__table__).where(  # type: ignore[attr-defined]
            _c.id == some[1]).values(participant_id=ids[2]))
        await connection.execute(update(CheckIn.__table__).where(  # type: ignore[attr-defined]
            _c.id.in_(some[2:4])).values(note="changed, not moved"))
        await connection.execute(delete(CheckIn.__table__).where(  # type: ignore[attr-defined]
            _c.id.in_(some[4:6])))
        # A participant deleted with their check-ins (ON DELETE CASCADE).
        await connection.execute(delete(Participant.__table__).where(  # type: ignore[attr-defined]
            _p.id == ids[3]))
        await connection.execute(insert(CheckIn.__table__),  # type: ignore[attr-defined]
                                 [checkin(ids[4], anna, local(2026, 6, 1, 12))])
    remaining = await assert_tallies_equal_recount(db)
    assert 0 < remaining < len(moments)


async def test_whole_project_breakdown_counts_partial_days_at_the_period_edges(
    db: Database, people: People
) -> None:
    """Local midnight is 23:00 UTC in winter: a check-in at 23:30 UTC on 31 December
    belongs to 1 January's local day. A whole-project breakdown reads whole UTC days from
    the tallies and the edges live; every period here gets exactly its check-ins."""
    assert people.anna.staff and people.admin.staff
    anna = people.anna.staff.id
    assert anna is not None
    ids = list((await insert_participants(db, [
        participant(anna, municipality=m, enrolled_on=date(2025, 1, 1))
        for m in ("Växjö", "Alvesta")])).values())
    moments = [local(2026, 1, 1, 0, 0), local(2025, 12, 31, 23, 59), local(2026, 1, 1, 23, 59),
               local(2026, 1, 2, 0, 0), local(2026, 1, 2, 12), local(2026, 1, 3, 0, 30)]
    await insert_rows(db, CheckIn, [checkin(ids[i % 2], anna, at)
                                    for i, at in enumerate(moments)])
    admin = Viewer.of(people.admin.staff)
    periods = {(date(2026, 1, 1), date(2026, 1, 1)): 2,  # less than a whole UTC day apart
               (date(2026, 1, 1), date(2026, 1, 2)): 4,  # one whole UTC day, two edges
               (date(2025, 12, 31), date(2026, 1, 3)): 6,
               (None, date(2026, 1, 1)): 3, (date(2026, 1, 2), None): 3, (None, None): 6}
    async with transaction(db.sessions) as session:
        for (start, end), expected in periods.items():
            flt = stats.StatsFilter(STOCKHOLM, start, end)
            for by in stats.BREAKDOWNS:
                found = await stats.breakdown(session, admin, flt, by)
                assert found.total.checkins == expected, (start, end, by)
                in_period = [i for i, at in enumerate(moments)
                             if (start is None or at.date() >= start)
                             and (end is None or at.date() <= end)]
                if by == "municipality":
                    assert {row.key: row.figures.checkins for row in found.rows
                            if row.figures.checkins} == {
                        m: n for m, n in Counter(
                            ("Växjö", "Alvesta")[i % 2] for i in in_period).items()}


async def test_tally_check_finds_a_wrong_cell_and_rebuild_mends_it(
    db: Database, people: People
) -> None:
    """What `koordinator db tallies [--rebuild]` runs: a cell changed behind the
    triggers' back (and one lost) is reported; a rebuild makes them the recount again."""
    assert people.anna.staff
    anna = people.anna.staff.id
    assert anna is not None
    ids = list((await insert_participants(db, [
        participant(anna, municipality="Växjö", enrolled_on=date(2025, 1, 1))])).values())
    await insert_rows(db, CheckIn, [checkin(ids[0], anna, local(2026, 1, d, 12))
                                    for d in (1, 1, 2)])
    async with transaction(db.sessions) as session:
        assert await tally_differences(session) == []
        await execute(session, update(CheckInTallyMunicipality.__table__)  # type: ignore[attr-defined]
                              .values(checkins=7))
        await execute(session, delete(CheckInTallyCoordinator.__table__).where(  # type: ignore[attr-defined]
            CheckInTallyCoordinator.__table__.c.day == date(2026, 1, 2)))  # type: ignore[attr-defined]
    async with transaction(db.sessions) as session:
        found = {(d.table, d.day, d.stored, d.counted) for d in await tally_differences(session)}
    assert found == {("checkin_tally_municipality", date(2026, 1, 1), 7, 2),
                     ("checkin_tally_municipality", date(2026, 1, 2), 7, 1),
                     ("checkin_tally_coordinator", date(2026, 1, 2), 0, 1)}
    async with transaction(db.sessions) as session:
        assert await rebuild_tallies(session) == {"checkin_tally_municipality": 2,
                                                  "checkin_tally_coordinator": 2}
    async with transaction(db.sessions) as session:
        assert await tally_differences(session) == []
    await assert_tallies_equal_recount(db)
