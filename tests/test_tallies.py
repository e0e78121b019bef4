"""The check-in day tallies the database's triggers keep (storage/models.py, "derived
tables"): after any kind of write, by whatever path, they equal a recount of the check-ins
per UTC day and the participant's current municipality and coordinator."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import MetaData
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import stats
from storage.access import Viewer
from storage.checkins import log_checkin
from storage.db import transaction
from storage.models import Channel
from storage.models import CheckIn
from storage.models import CheckInTallyCoordinator
from storage.models import CheckInTallyMunicipality
from storage.models import Participant
from storage.participants import hand_over
from storage.stats import execute
from storage.tallies import TALLIES
from storage.tallies import rebuild_tallies
from storage.tallies import tally_differences
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.projects import bo_and_anna
from tests.projects import checkin
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import local
from tests.projects import participant

_c = CheckIn.__table__.c  # type: ignore[attr-defined]
_p = Participant.__table__.c  # type: ignore[attr-defined]


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
    assert people.lead.staff
    bo, anna = bo_and_anna(people)
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
    """Local midnight is 23:00 UTC in winter, 22:00 in summer, and the days the clocks
    change last 23 or 25 hours: a check-in at 23:30 UTC on 31 December belongs to 1
    January's local day. A whole-project breakdown reads whole UTC days from the tallies
    and the edges live; every period here gets exactly its check-ins."""
    assert people.anna.staff and people.admin.staff
    anna = people.anna.staff.id
    assert anna is not None
    ids = list((await insert_participants(db, [
        participant(anna, municipality=m, enrolled_on=date(2025, 1, 1))
        for m in ("Växjö", "Alvesta")])).values())
    moments = [local(2026, 1, 1, 0, 0), local(2025, 12, 31, 23, 59), local(2026, 1, 1, 23, 59),
               local(2026, 1, 2, 0, 0), local(2026, 1, 2, 12), local(2026, 1, 3, 0, 30),
               # summer: 00:30 local is 22:30 UTC the day before
               local(2026, 7, 1, 0, 30), local(2026, 6, 30, 23, 30), local(2026, 7, 1, 23, 30),
               local(2026, 7, 2, 0, 15),
               # 29 March 2026 has 23 hours, 25 October 25
               local(2026, 3, 29, 0, 10), local(2026, 3, 29, 23, 50), local(2026, 3, 30, 0, 5),
               local(2026, 10, 25, 0, 10), local(2026, 10, 25, 23, 50)]
    await insert_rows(db, CheckIn, [checkin(ids[i % 2], anna, at)
                                    for i, at in enumerate(moments)])
    admin = Viewer.of(people.admin.staff)
    periods = {(date(2026, 1, 1), date(2026, 1, 1)): 2,  # less than a whole UTC day apart
               (date(2026, 1, 1), date(2026, 1, 2)): 4,  # one whole UTC day, two edges
               (date(2025, 12, 31), date(2026, 1, 3)): 6,
               (date(2026, 7, 1), date(2026, 7, 1)): 2, (date(2026, 7, 1), date(2026, 7, 2)): 3,
               (date(2026, 3, 29), date(2026, 3, 29)): 2, (date(2026, 3, 28), date(2026, 3, 30)): 3,
               (date(2026, 10, 25), date(2026, 10, 25)): 2,
               (None, date(2026, 1, 1)): 3, (date(2026, 1, 2), None): 12, (None, None): 15}
    async with transaction(db.sessions) as session:
        for (start, end), expected in periods.items():
            flt = stats.StatsFilter(STOCKHOLM, start, end)
            in_period = [i for i, at in enumerate(moments)
                         if (start is None or at.date() >= start)
                         and (end is None or at.date() <= end)]
            assert len(in_period) == expected, (start, end)  # the table above is right
            for by in stats.BREAKDOWNS:
                found = await stats.breakdown(session, admin, flt, by)
                assert found.total.checkins == expected, (start, end, by)
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


EXPECTED_TRIGGERS = {
    "sqlite": {"checkin_tally_insert", "checkin_tally_delete", "checkin_tally_update",
               "checkin_tally_municipality_move", "checkin_tally_coordinator_move",
               "participant_tally_delete"},
    "postgresql": {"checkin_tally_insert", "checkin_tally_delete", "checkin_tally_update",
                   "checkin_tally_truncate", "participant_tally_move",
                   "participant_tally_delete"},
}


async def test_every_tally_trigger_exists_at_head(db: Database) -> None:
    """A migration that recreates `checkin` or `participant` must put these back."""
    async with db.engine.connect() as connection:
        if db.backend == "sqlite":
            found = set((await connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"))).scalars())
        else:
            found = set((await connection.execute(text(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"))).scalars())
    assert found == EXPECTED_TRIGGERS[db.backend]


async def test_postgresql_tallies_hold_whatever_the_writers_session_looks_like(
    db: Database, people: People
) -> None:
    """A writer whose session has another time zone, another search_path (the table named
    with its schema), a check-in whose id changes, and a TRUNCATE."""
    if db.backend != "postgresql":
        pytest.skip("session time zones, search_path and TRUNCATE are PostgreSQL's")
    assert people.anna.staff and people.anna.staff.id and db.schema
    anna = people.anna.staff.id
    [pid] = (await insert_participants(db, [
        participant(anna, municipality="Växjö", enrolled_on=date(2025, 1, 1))])).values()
    async with db.engine.connect() as connection:
        await connection.execute(text("SET TIME ZONE 'Pacific/Apia'"))  # UTC+13
        await connection.execute(text("SET search_path TO public"))
        await connection.execute(insert(CheckIn.__table__.to_metadata(  # type: ignore[attr-defined]
            MetaData(), schema=db.schema)), [checkin(pid, anna, at) for at in (
                datetime(2026, 1, 1, 11, 30, tzinfo=UTC), datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
                datetime(2026, 6, 30, 23, 59, tzinfo=UTC))])
        await connection.commit()
    await assert_tallies_equal_recount(db)
    async with db.engine.connect() as connection:
        await connection.execute(text("SET TIME ZONE 'Pacific/Apia'"))
        # The check's own UTC day, in that session too.
        assert await tally_differences(AsyncSession(bind=connection)) == []
        first = (await connection.execute(select(func.min(_c.id)))).scalar_one()
        await connection.execute(update(CheckIn.__table__).where(  # type: ignore[attr-defined]
            _c.id == first).values(id=first + 1000, happened_at=local(2026, 3, 1, 12)))
        await connection.commit()
    await assert_tallies_equal_recount(db)
    async with db.engine.begin() as connection:
        await connection.execute(text("TRUNCATE checkin"))
    assert await assert_tallies_equal_recount(db) == 0


async def test_postgresql_checkin_during_a_hand_over_is_counted_where_it_ends_up(
    db: Database, people: People
) -> None:
    """Bo logs a check-in for a participant while a lead's hand-over of Bo's caseload to
    Anna is still uncommitted. The check-in waits for the hand-over and is counted under
    Anna, who has the participant once both have committed."""
    if db.backend != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    assert people.bo.staff and people.bo.staff.id and people.lead.staff
    [code] = await insert_participants(db, [
        participant(people.bo.staff.id, enrolled_on=date(2025, 1, 1))])
    handed_over, logged = asyncio.Event(), asyncio.Event()
    lead_transaction: list[int] = []

    async def lead_hands_over() -> None:
        async with transaction(db.sessions) as session:
            await hand_over(session, Viewer.of(people.lead.staff), from_staff=people.bo.staff,
                            to_staff=people.anna.staff, codes=None, now=TEST_NOW)
            lead_transaction.append((await execute(session, text(
                "SELECT txid_current()"))).scalar_one())
            handed_over.set()
            # Commit only once Bo's check-in is either saved (nothing made it wait: the
            # race this test is about) or waiting for this transaction.
            while not logged.is_set() and not await waits_for(  # noqa: ASYNC110 - polls PostgreSQL
                    lead_transaction[0]):
                await asyncio.sleep(0.01)

    async def bo_logs() -> None:
        await handed_over.wait()
        try:
            async with transaction(db.sessions) as session:
                await log_checkin(session, Viewer.of(people.bo.staff), code,
                                  channel=Channel.PHONE, note="", happened_at=local(2026, 5, 4, 9),
                                  now=TEST_NOW, note_max_length=500)
        finally:
            logged.set()

    async def waits_for(transaction_id: int) -> bool:
        async with db.engine.connect() as connection:
            return bool((await connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' "
                "AND NOT granted AND transactionid::text = :xid"),
                {"xid": str(transaction_id)})).scalar_one())

    await asyncio.wait_for(asyncio.gather(lead_hands_over(), bo_logs()), timeout=30)
    await assert_tallies_equal_recount(db)
    async with transaction(db.sessions) as session:
        assert await tally_differences(session) == []
