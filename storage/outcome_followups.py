"""Outcome follow-ups: what an ended participant does 28 days, 6 and 13 months later.

One `OutcomeFollowUp` row per participant and point, created when the question falls
due (the unique constraint makes planning idempotent), answered once — by the
participant with a tap, or by their coordinator who asked by phone.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.access import participant_scope
from storage.db import is_postgresql
from storage.gdpr import ERASED_NAME
from storage.models import AnswerSource
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint
from storage.models import OutcomeFollowUp
from storage.models import Participant
from storage.models import Status

POINT_OFFSETS: dict[FollowUpPoint, tuple[int, int]] = {
    FollowUpPoint.DAYS_28: (0, 28),
    FollowUpPoint.MONTHS_6: (6, 0),
    FollowUpPoint.MONTHS_13: (13, 0),
}
"""(months, days) after `ended_on`: the points as ESF+ defines them. Reports always count
by these; a project may ask its questions at other offsets (`parse_offsets`)."""

Offsets = Mapping[FollowUpPoint, tuple[int, int]]
_OFFSET = re.compile(r"^(?:(\d{1,3})m)?(?:(\d{1,4})d)?$")


def parse_offsets(text: str) -> dict[FollowUpPoint, tuple[int, int]]:
    """`"28d,6m,13m"` → the three points' (months, days); raises ValueError when not
    exactly three increasing, positive offsets of the form `28d`, `6m` or `6m14d`."""
    words = [word.strip().lower() for word in text.split(",")]
    if len(words) != len(POINT_OFFSETS):
        raise ValueError("give three offsets, e.g. 28d,6m,13m")
    offsets: dict[FollowUpPoint, tuple[int, int]] = {}
    for point, word in zip(POINT_OFFSETS, words, strict=True):
        match = _OFFSET.match(word)
        if not word or match is None:
            raise ValueError(f"{word!r} is not an offset like 28d, 6m or 6m14d")
        months, days = (int(group or 0) for group in match.groups())
        if months == days == 0:
            raise ValueError("an offset must be after the end date")
        offsets[point] = (months, days)
    # Months and days mix (30d vs 1m): check every end date of a leap and a common year.
    for probe in (date(2000, 1, 1) + timedelta(days=n) for n in range(731)):
        dues = [due_on(probe, point, offsets) for point in offsets]
        if dues != sorted(set(dues)):
            raise ValueError("the offsets must increase: 28 days, then 6 months, then 13 months")
    return offsets


_p = Participant.__table__.c  # type: ignore[attr-defined]
_o = OutcomeFollowUp.__table__.c  # type: ignore[attr-defined]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb).

    `bot.text.periods.add_months` is its twin for the bot layer (storage cannot import `bot`).
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def due_on(ended_on: date, point: FollowUpPoint, offsets: Offsets = POINT_OFFSETS) -> date:
    months, days = offsets[point]
    return add_months(ended_on, months) + timedelta(days=days)


def ended_between(point: FollowUpPoint, start: date | None,
                  end: date | None) -> tuple[date | None, date | None]:
    """The end dates whose `point` falls within [start, end]: exact, month ends included.

    `due_on` never decreases as the end date grows, so the set is one range; reports use
    it to turn "the 6-month date falls in the period" into a plain date range in SQL.
    """
    months, days = POINT_OFFSETS[point]
    first = last = None
    if start is not None:
        first = add_months(start - timedelta(days=days), -months) - timedelta(days=4)
        while due_on(first, point) < start:
            first += timedelta(days=1)
    if end is not None:
        last = add_months(end - timedelta(days=days), -months) + timedelta(days=4)
        while due_on(last, point) > end:
            last -= timedelta(days=1)
    return first, last


@dataclass(frozen=True, slots=True)
class DueQuestion:
    participant: Participant
    point: FollowUpPoint
    due_on: date


async def due_questions(
    session: AsyncSession, *, today: date, catch_up: timedelta,
    offsets: Offsets = POINT_OFFSETS,
) -> list[DueQuestion]:
    """Ended, not erased participants whose question for a point fell due in
    [today - catch_up, today] (local dates) and has not been started yet.

    The catch-up window lets a planner that missed days (downtime) still ask, without
    asking, on the day a project starts using this, everyone who ended years ago.
    """
    low = today - catch_up
    found: list[DueQuestion] = []
    for point, (months, days) in offsets.items():
        # Candidates by a slightly wider range of end dates (month ends clamp), then exact.
        first = add_months(low - timedelta(days=days), -months) - timedelta(days=3)
        last = add_months(today - timedelta(days=days), -months) + timedelta(days=3)
        started = exists(select(_o.id).where(_o.participant_id == _p.id, _o.point == point.value))
        query = (select(Participant)
                 .where(_p.status == Status.ENDED.value, _p.ended_on.is_not(None),
                        _p.ended_on >= first, _p.ended_on <= last,
                        _p.display_name != ERASED_NAME, ~started)
                 .order_by(_p.ended_on, _p.id))
        for participant in (await session.exec(query)).scalars().all():  # type: ignore[call-overload]
            assert participant.ended_on is not None
            due = due_on(participant.ended_on, point, offsets)
            if low <= due <= today:
                found.append(DueQuestion(participant, point, due))
    return found


async def start(
    session: AsyncSession, question: DueQuestion, *, asked_at: datetime | None, now: datetime
) -> OutcomeFollowUp | None:
    """Create the row for a due question; None if another planner got there first."""
    values = {"participant_id": question.participant.id, "point": question.point.value,
              "due_on": question.due_on, "asked_at": asked_at, "created_at": now}
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    statement = (insert(OutcomeFollowUp.__table__).values(**values)  # type: ignore[attr-defined]
                 .on_conflict_do_nothing(index_elements=["participant_id", "point"])
                 .returning(_o.id))
    created = (await session.exec(statement)).scalar_one_or_none()  # type: ignore[call-overload]
    return await session.get(OutcomeFollowUp, created) if created is not None else None


@dataclass(frozen=True, slots=True)
class FollowUpItem:
    followup: OutcomeFollowUp
    participant: Participant


async def followup_item(session: AsyncSession, followup_id: int) -> FollowUpItem | None:
    followup = await session.get(OutcomeFollowUp, followup_id)
    if followup is None:
        return None
    participant = await session.get(Participant, followup.participant_id)
    return FollowUpItem(followup, participant) if participant is not None else None


def _answer(session: AsyncSession, item: FollowUpItem, answer: FollowUpAnswer,
            source: AnswerSource, *, staff_id: int | None, now: datetime) -> None:
    followup = item.followup
    followup.answer = answer
    followup.source = source
    followup.answered_at = now
    followup.logged_by = staff_id
    session.add(followup)
    audit.record(session, actor_staff_id=staff_id, action="outcome_followup.answer",
                 target=item.participant.code, at=now, point=str(followup.point),
                 answer=str(answer), source=str(source))


async def answer_by_participant(
    session: AsyncSession, participant_id: int, followup_id: int, answer: FollowUpAnswer, *,
    now: datetime,
) -> FollowUpItem | None:
    """The participant's own answer; None if the question is not theirs or already answered."""
    item = await followup_item(session, followup_id)
    if item is None or item.participant.id != participant_id \
            or item.followup.answered_at is not None or item.participant.stopped_at is not None:
        return None  # after /stop an old question's buttons reach nobody
    _answer(session, item, answer, AnswerSource.PARTICIPANT, staff_id=None, now=now)
    return item


async def answer_by_staff(
    session: AsyncSession, viewer: Viewer, followup_id: int, answer: FollowUpAnswer, *,
    now: datetime,
) -> tuple[FollowUpItem, bool] | None:
    """A coordinator logs what the participant told them: (item, saved), or None outside
    the viewer's scope.

    A later log replaces an earlier one (a correction); the participant's own answer is
    kept if there is one (saved is then False).
    """
    visible = (select(_o.id)
               .select_from(OutcomeFollowUp.__table__.join(  # type: ignore[attr-defined]
                   Participant.__table__, _o.participant_id == _p.id))  # type: ignore[attr-defined]
               .where(_o.id == followup_id, participant_scope(viewer)))
    if (await session.exec(visible)).first() is None:  # type: ignore[call-overload]
        return None
    item = await followup_item(session, followup_id)
    if item is None:
        return None
    if item.followup.source == AnswerSource.PARTICIPANT:
        return item, False
    _answer(session, item, answer, AnswerSource.COORDINATOR, staff_id=viewer.staff_id, now=now)
    return item, True
