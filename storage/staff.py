"""Staff queries: who works in the project, with which role and language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Action, Viewer, can, roles_viewer_may_add
from storage.errors import (
    InvalidValue,
    NotAllowed,
    StaffAlreadyExists,
    StaffAmbiguous,
    StaffNotFound,
)
from storage.models import AuditLog, Role, Staff

NAME_MAX = 120


async def staff_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    result = await session.exec(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
    return result.first()


async def active_staff_by_telegram_id(
    session: AsyncSession, telegram_user_id: int
) -> Staff | None:
    staff = await staff_by_telegram_id(session, telegram_user_id)
    return staff if staff is not None and staff.active else None


async def add_staff(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    name: str,
    role: Role,
    municipality: str | None,
    now: datetime,
    added_by: Viewer | None = None,
    language: str | None = None,
) -> Staff:
    """Add a staff member. `added_by=None` means the command line (the bootstrap path)."""
    if added_by is not None and role not in roles_viewer_may_add(added_by):
        raise NotAllowed()
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidValue(field="name")
    if telegram_user_id <= 0:
        raise InvalidValue(field="telegram_id")
    if await staff_by_telegram_id(session, telegram_user_id) is not None:
        raise StaffAlreadyExists(telegram_id=telegram_user_id)
    staff = Staff(
        telegram_user_id=telegram_user_id,
        name=name,
        role=role,
        municipality=(municipality or "").strip() or None,
        language=language,
    )
    session.add(staff)
    await session.flush()
    audit.record(
        session,
        actor_staff_id=added_by.staff_id if added_by else None,
        action="staff.add",
        target=f"staff:{staff.id}",
        at=now,
        role=str(role),
    )
    return staff


async def set_staff_language(
    session: AsyncSession, staff_id: int, language: str, *, now: datetime
) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound()
    staff.language = language
    session.add(staff)
    audit.record(
        session, actor_staff_id=staff_id, action="staff.language", target=f"staff:{staff_id}",
        at=now, language=language,
    )


async def list_staff(session: AsyncSession, viewer: Viewer) -> Sequence[Staff]:
    if not can(viewer, Action.LIST_STAFF):
        raise NotAllowed()
    query = select(Staff).order_by(col(Staff.active).desc(), Staff.role, Staff.name)
    if viewer.role == Role.LEAD and viewer.municipalities:
        query = query.where(
            col(Staff.municipality).in_(viewer.municipalities) | col(Staff.municipality).is_(None)
        )
    return (await session.exec(query)).all()


async def set_staff_active(
    session: AsyncSession, telegram_user_id: int, active: bool, *, now: datetime
) -> Staff:
    staff = await staff_by_telegram_id(session, telegram_user_id)
    if staff is None:
        raise StaffNotFound()
    staff.active = active
    session.add(staff)
    audit.record(
        session, actor_staff_id=None, action="staff.active", target=f"staff:{staff.id}",
        at=now, active=active,
    )
    return staff


async def active_staff(session: AsyncSession) -> Sequence[Staff]:
    return (await session.exec(select(Staff).where(col(Staff.active).is_(True)))).all()


async def staff_by_reference(session: AsyncSession, reference: str) -> Staff:
    """A staff member by Telegram id or by a unique part of their name (case-insensitive)."""
    reference = reference.strip()
    if reference.isdigit():
        staff = await staff_by_telegram_id(session, int(reference))
        if staff is None:
            raise StaffNotFound(reference=reference)
        return staff
    members = (await session.exec(select(Staff))).all()
    wanted = reference.casefold()
    exact = [m for m in members if m.name.casefold() == wanted]
    matches = exact or [m for m in members if wanted and wanted in m.name.casefold()]
    if len(matches) > 1:
        raise StaffAmbiguous(reference=reference,
                             names=", ".join(sorted(m.name for m in matches)))
    if not matches:
        raise StaffNotFound(reference=reference)
    return matches[0]


NOTES_WARNING = "staff.notes_warning"


async def first_note_warning(session: AsyncSession, staff_id: int, *, now: datetime) -> bool:
    """True the first time a staff member saves a note (they are warned once); recorded."""
    seen = (await session.exec(select(AuditLog.id).where(
        AuditLog.actor_staff_id == staff_id, AuditLog.action == NOTES_WARNING))).first()
    if seen is not None:
        return False
    audit.record(session, actor_staff_id=staff_id, action=NOTES_WARNING,
                 target=f"staff:{staff_id}", at=now)
    return True


async def set_away(
    session: AsyncSession, staff_id: int, *, delegate: Staff | None, until: date | None,
    today: date, now: datetime,
) -> Staff:
    """Start (delegate and last day away) or end (None, None) out-of-office delegation."""
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound()
    if delegate is not None:
        if delegate.id == staff_id or not delegate.active or until is None or until < today:
            raise InvalidValue(field="away")
    staff.delegate_id = delegate.id if delegate else None
    staff.away_until = until if delegate else None
    session.add(staff)
    audit.record(session, actor_staff_id=staff_id, action="staff.away", target=f"staff:{staff_id}",
                 at=now, delegate=staff.delegate_id,
                 until=until.isoformat() if until and delegate else None)
    return staff


async def notice_recipient(session: AsyncSession, staff: Staff, *, today: date) -> Staff:
    """Who should get a notice meant for `staff` today: their delegate while they are away."""
    if staff.delegate_id is None or staff.away_until is None or staff.away_until < today:
        return staff
    delegate = await session.get(Staff, staff.delegate_id)
    return delegate if delegate is not None and delegate.active else staff
