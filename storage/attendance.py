"""Monthly attendance: hours per participant and calendar month, for the signed sheets the
ESF project keeps. One row per participant and month; logging again corrects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.access import participant_scope
from storage.errors import InvalidValue
from storage.gdpr import ERASED_NAME
from storage.models import AttendanceHours
from storage.models import Participant
from storage.models import Staff
from storage.participants import visible_participant

MAX_HOURS = 744.0
"""31 days × 24 hours: more is a typo."""

_p = Participant.__table__.c  # type: ignore[attr-defined]
_a = AttendanceHours.__table__.c  # type: ignore[attr-defined]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def _in_project_during(first: date) -> list:
    """Enrolled by the month's end and not ended before it began."""
    return [_p.enrolled_on <= month_end(first),
            (_p.ended_on.is_(None)) | (_p.ended_on >= first)]


async def log_hours(
    session: AsyncSession, viewer: Viewer, code: str, month: date, hours: float, *,
    today: date, now: datetime,
) -> tuple[Participant, AttendanceHours, float | None]:
    """Set the hours of `month` (its first day); returns the row and the previous hours."""
    month = month_start(month)
    if month > month_start(today):
        raise InvalidValue(field="month")
    if not 0 <= hours <= MAX_HOURS:
        raise InvalidValue(field="hours", max=int(MAX_HOURS))
    participant = await visible_participant(session, viewer, code)
    if month < month_start(participant.enrolled_on) or (
            participant.ended_on is not None and month > month_start(participant.ended_on)):
        raise InvalidValue(field="month")
    row = (await session.exec(select(AttendanceHours).where(  # type: ignore[call-overload]
        _a.participant_id == participant.id, _a.month == month))).scalars().first()
    previous = row.hours if row is not None else None
    if row is None:
        row = AttendanceHours(participant_id=participant.id, month=month, hours=hours,
                              logged_by=viewer.staff_id, logged_at=now)
    else:
        row.hours, row.logged_by, row.logged_at = hours, viewer.staff_id, now
    session.add(row)
    audit.record(session, actor_staff_id=viewer.staff_id, action="attendance.hours",
                 target=participant.code, at=now, month=f"{month:%Y-%m}", hours=hours,
                 previous=previous)
    return participant, row, previous


async def without_hours(session: AsyncSession, coordinator_id: int,
                        month: date) -> Sequence[Participant]:
    """The coordinator's participants in the project during `month` with no hours for it."""
    first = month_start(month)
    logged = exists(select(_a.id).where(_a.participant_id == _p.id, _a.month == first))
    query = (select(Participant)
             .where(_p.coordinator_id == coordinator_id, _p.display_name != ERASED_NAME,
                    *_in_project_during(first), ~logged)
             .order_by(_p.id))
    return (await session.exec(query)).scalars().all()  # type: ignore[call-overload]


async def coordinators_with_caseload(session: AsyncSession, month: date) -> Sequence[Staff]:
    """Active staff with at least one participant in the project during `month`."""
    first = month_start(month)
    has = exists(select(_p.id).where(_p.coordinator_id == Staff.id,  # type: ignore[arg-type]
                                     *_in_project_during(first)))
    query = select(Staff).where(Staff.active.is_(True), has).order_by(Staff.id)  # type: ignore[attr-defined]
    return (await session.exec(query)).scalars().all()  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class SheetRow:
    code: str
    name: str | None
    """None unless the viewer may export names."""
    municipality: str
    coordinator: str
    hours: float | None


@dataclass(frozen=True, slots=True)
class Sheets:
    month: date
    rows: list[SheetRow]
    left_out: int
    """Protected identities (skyddad identitet) left out."""
    with_names: bool


async def attendance_sheets(
    session: AsyncSession, viewer: Viewer, month: date, *, code: str | None, now: datetime,
) -> Sheets:
    """One row per participant in the project during `month` (or just `code`), with the
    hours logged; audit-logged as an export. Names only for roles that may export them."""
    first = month_start(month)
    conditions = [participant_scope(viewer), *_in_project_during(first),
                  _p.display_name != ERASED_NAME]
    target = None
    if code is not None:
        participant = await visible_participant(session, viewer, code)
        conditions.append(_p.id == participant.id)
        target = participant.code
    coordinator = Staff.__table__.alias("coordinator")  # type: ignore[attr-defined]
    source = Participant.__table__.join(  # type: ignore[attr-defined]
        coordinator, coordinator.c.id == _p.coordinator_id).outerjoin(
        AttendanceHours.__table__,  # type: ignore[attr-defined]
        and_(_a.participant_id == _p.id, _a.month == first))
    query = (select(_p.code, _p.display_name, _p.municipality, coordinator.c.name, _a.hours)
             .select_from(source).where(*conditions, _p.protected_identity.is_(False))
             .order_by(_p.id))
    with_names = can(viewer, Action.EXPORT_NAMES)
    rows = [SheetRow(code_, name if with_names else None, municipality, coordinator_name,
                     hours) for code_, name, municipality, coordinator_name, hours
            in (await session.exec(query)).all()]  # type: ignore[call-overload]
    left_out = (await session.exec(select(func.count()).select_from(  # type: ignore[call-overload]
        Participant.__table__).where(*conditions, _p.protected_identity.is_(True)))).scalar_one()
    audit.record(session, actor_staff_id=viewer.staff_id, action="export.attendance",
                 target=target, at=now, month=f"{first:%Y-%m}", rows=len(rows),
                 names=with_names, left_out=int(left_out))
    return Sheets(first, rows, int(left_out), with_names)
