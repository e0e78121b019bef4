"""Hand-made projects for the statistics tests, written in bulk (one executemany per table).

`small_project` is small enough that every figure can be counted by hand; the counts
are written next to the rows. `reference_project` has the proportions of a real project
(Etableringslyftet: 707 ended, 438 to work, 91 to CSN studies).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from storage.db import transaction
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Outcome
from storage.models import Participant
from storage.models import Status
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People

_numbers = itertools.count(1)


def bo_and_anna(people: People) -> tuple[int, int]:
    """Bo's and Anna's staff ids, for rows written straight into the tables."""
    assert people.bo.staff is not None and people.anna.staff is not None
    bo, anna = people.bo.staff.id, people.anna.staff.id
    assert bo is not None and anna is not None
    return bo, anna


def participant(coordinator_id: int, *, municipality: str = "Växjö",
                gender: Gender = Gender.WOMAN, enrolled_on: date, ended_on: date | None = None,
                outcome: Outcome | None = None, name: str | None = None) -> dict[str, Any]:
    """A participant row; codes far above what /add hands out, so they never collide."""
    number = next(_numbers)
    return {
        "code": f"P-{90000 + number}", "display_name": name or f"Person {number}",
        "municipality": municipality, "gender": gender.value, "language": "ar",
        "coordinator_id": coordinator_id, "enrolled_on": enrolled_on,
        "status": Status.ENDED.value if ended_on else Status.ACTIVE.value,
        "ended_on": ended_on, "outcome": outcome.value if outcome else None,
        "created_at": TEST_NOW, "updated_at": TEST_NOW,
    }


async def insert_rows(db: Database, model: type, rows: list[dict[str, Any]]) -> None:
    async with transaction(db.sessions) as session:
        connection = await session.connection()
        await connection.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


async def insert_participants(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert and return code → id."""
    await insert_rows(db, Participant, rows)
    async with transaction(db.sessions) as session:
        connection = await session.connection()
        result = await connection.execute(
            Participant.__table__.select().with_only_columns(  # type: ignore[attr-defined]
                Participant.__table__.c.code, Participant.__table__.c.id))  # type: ignore[attr-defined]
        return dict(result.all())


def checkin(participant_id: int, author_id: int, at: datetime) -> dict[str, Any]:
    return {"participant_id": participant_id, "author_id": author_id,
            "happened_at": at.astimezone(UTC), "channel": "phone", "note": "secret note",
            "status_change": None, "created_at": at.astimezone(UTC)}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


@dataclass
class SmallProject:
    codes: list[str]
    """codes[0] is participant 1 of the table in `small_project`."""
    ids: dict[str, int]


async def small_project(db: Database, people: People) -> SmallProject:
    """Nine participants, five check-ins; Q1 2026 and all-time figures counted by hand.

    | #  | coordinator | municipality | gender | enrolled   | ended      | outcome     |
    | 1  | Bo          | Växjö        | woman  | 2025-09-01 | 2026-03-31 | employed    |
    | 2  | Bo          | Växjö        | man    | 2025-10-01 | 2026-04-01 | studies     |
    | 3  | Bo          | Växjö        | woman  | 2026-01-15 | 2026-02-10 | moved       |
    | 4  | Bo          | Växjö        | woman  | 2026-02-01 | –          | (active)    |
    | 5  | Anna        | Alvesta      | man    | 2025-12-01 | 2026-01-20 | subsidised  |
    | 6  | Anna        | Alvesta      | woman  | 2026-03-01 | 2026-03-15 | job_seeking |
    | 7  | Anna        | Alvesta      | man    | 2026-03-20 | –          | (active)    |
    | 8  | Anna        | Alvesta      | woman  | 2026-05-01 | –          | (active)    |
    | 9  | Anna        | Växjö        | woman  | 2024-05-01 | 2025-12-31 | unknown     |

    Check-ins (local time): #1 31 Mar 23:30 (Q1) and 1 Apr 00:30 (Q2, though still 31 March
    in UTC); #5 1 Jan 00:15 (Q1, 31 Dec in UTC) and 31 Dec 2025 23:45 (not Q1); #4 15 Feb.
    """
    bo, anna = bo_and_anna(people)
    woman, man = Gender.WOMAN, Gender.MAN
    rows = [
        participant(bo, gender=woman, enrolled_on=date(2025, 9, 1), ended_on=date(2026, 3, 31),
                    outcome=Outcome.EMPLOYED, name="Amina One"),
        participant(bo, gender=man, enrolled_on=date(2025, 10, 1), ended_on=date(2026, 4, 1),
                    outcome=Outcome.STUDIES, name="Yusuf Two"),
        participant(bo, gender=woman, enrolled_on=date(2026, 1, 15), ended_on=date(2026, 2, 10),
                    outcome=Outcome.MOVED, name="Hodan Three"),
        participant(bo, gender=woman, enrolled_on=date(2026, 2, 1), name="Olena Four"),
        participant(anna, municipality="Alvesta", gender=man, enrolled_on=date(2025, 12, 1),
                    ended_on=date(2026, 1, 20), outcome=Outcome.SUBSIDISED, name="Dawit Five"),
        participant(anna, municipality="Alvesta", gender=woman, enrolled_on=date(2026, 3, 1),
                    ended_on=date(2026, 3, 15), outcome=Outcome.JOB_SEEKING, name="Selam Six"),
        participant(anna, municipality="Alvesta", gender=man, enrolled_on=date(2026, 3, 20),
                    name="Ali Seven"),
        participant(anna, municipality="Alvesta", gender=woman, enrolled_on=date(2026, 5, 1),
                    name="Zahra Eight"),
        participant(anna, gender=woman, enrolled_on=date(2024, 5, 1), ended_on=date(2025, 12, 31),
                    outcome=Outcome.UNKNOWN, name="Grace Nine"),
    ]
    ids = await insert_participants(db, rows)
    codes = [row["code"] for row in rows]
    await insert_rows(db, CheckIn, [
        checkin(ids[codes[0]], bo, local(2026, 3, 31, 23, 30)),
        checkin(ids[codes[0]], bo, local(2026, 4, 1, 0, 30)),
        checkin(ids[codes[4]], anna, local(2026, 1, 1, 0, 15)),
        checkin(ids[codes[4]], anna, local(2025, 12, 31, 23, 45)),
        checkin(ids[codes[3]], bo, local(2026, 2, 15, 10, 0)),
    ])
    return SmallProject(codes, ids)


REFERENCE_OUTCOMES: dict[Outcome, int] = {
    Outcome.EMPLOYED: 438,
    Outcome.STUDIES: 91,
    Outcome.MOVED: 100,
    Outcome.ILLNESS: 44,
    Outcome.OTHER: 20,
    Outcome.UNKNOWN: 14,
}
"""707 ended: 529 (74.8 %) to work or studies; 144 dropouts, so 529 / 563 = 94.0 %."""


async def reference_project(db: Database, people: People) -> None:
    assert people.bo.staff and people.bo.staff.id is not None
    rows = []
    for index, (outcome, count) in enumerate(REFERENCE_OUTCOMES.items()):
        for number in range(count):
            rows.append(participant(
                people.bo.staff.id, municipality=("Växjö", "Alvesta", "Ljungby")[number % 3],
                gender=Gender.WOMAN if number % 2 else Gender.MAN,
                enrolled_on=date(2023, 1 + index, 1), ended_on=date(2025, 1 + number % 12, 15),
                outcome=outcome))
    await insert_rows(db, Participant, rows)
