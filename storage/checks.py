"""`koordinator db check`: data that breaks the rules, each with what to do about it; and
the repair the first of them needs (a municipality stored as free text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

from sqlalchemy import func
from sqlalchemy import update
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.models import FollowUp
from storage.models import FollowUpState
from storage.models import Participant
from storage.models import Staff
from storage.models import Status
from storage.municipalities import SWEDEN
from storage.municipalities import Municipalities


@dataclass(frozen=True, slots=True)
class Finding:
    problem: str
    subject: str
    """What it is about: participant codes, a staff member, a stored value (no names)."""
    remedy: str


def _codes(codes: list[str], limit: int = 12) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


async def check_database(session: AsyncSession, *, municipalities: Municipalities = SWEDEN,
                         today: date) -> list[Finding]:
    findings: list[Finding] = []
    findings += await _unknown_municipalities(session, municipalities)
    findings += await _inactive_coordinators(session)
    findings += await _ended_before_enrolled(session)
    findings += await _followups_after_end(session, today)
    return findings


async def _unknown_municipalities(session: AsyncSession,
                                  municipalities: Municipalities) -> list[Finding]:
    findings = []
    query = (select(Participant.municipality, func.count())
             .group_by(col(Participant.municipality)).order_by(col(Participant.municipality)))
    staff_query = (select(Staff.municipality, func.count())
                   .where(col(Staff.municipality).is_not(None))
                   .group_by(col(Staff.municipality)).order_by(col(Staff.municipality)))
    for kind, rows in (("participant", (await session.exec(query)).all()),
                       ("staff member", (await session.exec(staff_query)).all())):
        for name, count in rows:
            found = municipalities.by_name(name)
            if found is not None and found.name == name:
                continue
            guess = municipalities.unambiguous(name)
            if guess is not None:
                remedy = (f"if it means {guess.name}: koordinator db rename-municipality "
                          f"'{name}' '{guess.name}'")
            else:
                remedy = ("find out which municipality is meant, then: koordinator db "
                          f"rename-municipality '{name}' NAME")
            problem = ("municipality not in PROJECT_MUNICIPALITIES"
                       if SWEDEN.by_name(name) is not None else "unknown municipality")
            findings.append(Finding(problem, f"'{name}' ({count} {kind}{'s' * (count > 1)})",
                                    remedy))
    return findings


async def _inactive_coordinators(session: AsyncSession) -> list[Finding]:
    query = (select(Staff.id, Staff.telegram_user_id, Participant.code)
             .join(Participant, col(Participant.coordinator_id) == col(Staff.id))
             .where(col(Staff.active).is_(False), Participant.status != Status.ENDED)
             .order_by(col(Staff.id), col(Participant.id)))
    by_staff: dict[tuple[int, int], list[str]] = {}
    for staff_id, telegram_id, code in (await session.exec(query)).all():
        by_staff.setdefault((staff_id, telegram_id), []).append(code)
    return [Finding("active participants of an inactive coordinator",
                    f"staff {telegram_id}: {_codes(codes)}",
                    f"hand them over to an active coordinator: /handover {telegram_id} NEW, "
                    f"or koordinator staff activate --telegram-id {telegram_id}")
            for (_id, telegram_id), codes in by_staff.items()]


async def _ended_before_enrolled(session: AsyncSession) -> list[Finding]:
    query = (select(Participant.code)
             .where(col(Participant.ended_on).is_not(None),
                    col(Participant.ended_on) < col(Participant.enrolled_on))
             .order_by(col(Participant.id)))
    codes = list((await session.exec(query)).all())
    if not codes:
        return []
    return [Finding("ended before enrolled", _codes(codes),
                    "check the dates in the participant's papers and correct the end or "
                    "enrolment date; statistics count these participants wrongly until then")]


async def _followups_after_end(session: AsyncSession, today: date) -> list[Finding]:
    start = datetime.combine(today, time(0), tzinfo=UTC)
    query = (select(Participant.code, func.count())
             .join(FollowUp, col(FollowUp.participant_id) == col(Participant.id))
             .where(Participant.status == Status.ENDED,
                    FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_at >= start)
             .group_by(col(Participant.code)).order_by(col(Participant.code)))
    rows = (await session.exec(query)).all()
    if not rows:
        return []
    return [Finding("follow-ups booked with ended participants",
                    _codes([f"{code} ({count})" for code, count in rows]),
                    "cancel them in the bot (/participant CODE, then the follow-up), or book "
                    "them with the participant's new contact if they came back")]


async def rename_municipality(session: AsyncSession, stored: str, official: str, *,
                              now: datetime) -> tuple[int, int]:
    """Replace a stored municipality (exactly as stored) by an official name, for
    participants and staff alike; (participants, staff) changed. Audited."""
    participants = await session.exec(  # type: ignore[call-overload]
        update(Participant).where(col(Participant.municipality) == stored)
        .values(municipality=official, updated_at=now))
    staff = await session.exec(  # type: ignore[call-overload]
        update(Staff).where(col(Staff.municipality) == stored).values(municipality=official))
    changed = (participants.rowcount or 0, staff.rowcount or 0)
    audit.record(session, actor_staff_id=None, action="municipality.rename", target=None,
                 at=now, participants=changed[0], staff=changed[1], to=official)
    return changed
