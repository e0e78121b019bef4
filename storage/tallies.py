"""Check and rebuild the check-in day tallies (storage/models.py, "derived tables").

The database's triggers keep the tallies; nothing in the application writes them. These
are for an operator who wants to know they are right (`koordinator db tallies`) or who has
to repair them after the triggers were bypassed or lost, for example by a hand-made
schema change that recreated `checkin` or `participant` without its triggers
(`--rebuild`). Both are safe beside a running bot: the check is one statement (one
snapshot), and the rebuild holds off writers until it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy import Table
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import union_all
from sqlalchemy.sql import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import is_postgresql
from storage.models import CheckIn
from storage.models import CheckInTallyCoordinator
from storage.models import CheckInTallyMunicipality
from storage.models import Participant
from storage.stats import CHECKINS_OF_PARTICIPANTS
from storage.stats import execute

_c = CheckIn.__table__.c  # type: ignore[attr-defined]
_p = Participant.__table__.c  # type: ignore[attr-defined]
TALLIES: dict[str, Table] = {
    "municipality": CheckInTallyMunicipality.__table__,  # type: ignore[attr-defined]
    "coordinator_id": CheckInTallyCoordinator.__table__,  # type: ignore[attr-defined]
}


@dataclass(frozen=True, slots=True)
class TallyDifference:
    table: str
    day: date
    key: Any
    stored: int
    counted: int


def _utc_day(session: AsyncSession) -> ColumnElement[Any]:
    """The UTC date of a check-in, as the triggers compute it on each backend."""
    if is_postgresql(session):
        return cast(func.timezone("UTC", _c.happened_at), Date)
    return func.date(_c.happened_at)


def _recount(session: AsyncSession, key: str) -> Any:
    day = _utc_day(session).label("day")
    return (select(day, _p[key].label("key"), func.count().label("n"))
            .select_from(CHECKINS_OF_PARTICIPANTS)
            .group_by(day, _p[key]))


async def tally_differences(session: AsyncSession) -> list[TallyDifference]:
    """Every (day, group) whose stored tally differs from the check-ins counted now.

    Stored and counted come from one statement, so a check-in committed meanwhile cannot
    make them disagree."""
    differences: list[TallyDifference] = []
    for key, table in TALLIES.items():
        counted = _recount(session, key).subquery()
        both = union_all(
            select(table.c.day.label("day"), table.c[key].label("key"),
                   table.c.checkins.label("stored"), literal(0).label("counted")),
            select(counted.c.day, counted.c.key, literal(0), counted.c.n)).subquery()
        stored, found = func.sum(both.c.stored), func.sum(both.c.counted)
        rows = (await execute(session, select(both.c.day, both.c.key, stored, found)
                              .group_by(both.c.day, both.c.key)
                              .having(stored != found)
                              .order_by(both.c.day, both.c.key))).all()
        differences += [TallyDifference(table.name, _as_date(day), value, int(have), int(want))
                        for day, value, have, want in rows]
    return differences


async def rebuild_tallies(session: AsyncSession) -> dict[str, int]:
    """Replace the tallies with a recount; returns the rows written per table."""
    if is_postgresql(session):
        # Writers (and their triggers) wait until the rebuild commits: no tally cell can
        # appear between the DELETE and the INSERT, no check-in can be missed by both.
        await execute(session, text("LOCK TABLE checkin, participant IN SHARE MODE"))
    written: dict[str, int] = {}
    for key, table in TALLIES.items():
        await execute(session, delete(table))
        recount = _recount(session, key).subquery()
        result = await execute(session, insert(table).from_select(
            ["day", key, "checkins"], select(recount.c.day, recount.c.key, recount.c.n)))
        written[table.name] = result.rowcount  # type: ignore[attr-defined]
    return written


def _as_date(value: date | str) -> date:
    # SQLite's date() is text; the tables' Date column reads back as a date.
    return value if isinstance(value, date) else date.fromisoformat(value)


def describe(differences: Sequence[TallyDifference]) -> list[str]:
    return [f"{d.table} {d.day.isoformat()} {d.key}: {d.stored} stored, {d.counted} counted"
            for d in differences]
