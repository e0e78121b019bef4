"""Data-subject rights: erasure (keeping anonymous counts), access (export), retention.

Erasure removes what identifies a person — name, Telegram ids, personnummer, birth year,
the sensitive categories (disability, foreign background),
free-text notes, follow-up places, invitations, queued messages — and keeps municipality,
gender, dates, status, outcome, the coarse entry categories (employment status,
education level, …), follow-up answers and attendance hours, so statistics stay right.
The audit log records that an erasure happened, by whom, and the participant code;
never the erased data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import update
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage import drafts
from storage import relay
from storage.access import Viewer
from storage.access import participant_scope
from storage.models import AttendanceHours
from storage.models import AuditLog
from storage.models import CheckIn
from storage.models import FollowUp
from storage.models import FollowUpState
from storage.models import Invite
from storage.models import OutboundMessage
from storage.models import Outcome
from storage.models import OutcomeFollowUp
from storage.models import Participant
from storage.models import Staff
from storage.models import Status
from storage.participants import normalize_code

ERASED_NAME = "—"


class NotErasable(Exception):
    """Unknown participant code (the CLI and the bot say so in their own words)."""


async def _participant(session: AsyncSession, code: str) -> Participant:
    normalized = normalize_code(code)
    participant = (await session.exec(
        select(Participant).where(Participant.code == normalized))).first() if normalized else None
    if participant is None:
        raise NotErasable(code)
    return participant


async def erasable_participants(session: AsyncSession, viewer: Viewer, *, limit: int,
                                offset: int = 0) -> Sequence[Participant]:
    """Everyone the viewer may see whose data is not erased yet, ended ones included (the
    guided /forget), in code order so pages stay put."""
    query = (select(Participant)
             .where(participant_scope(viewer), Participant.display_name != ERASED_NAME)
             .order_by(col(Participant.id)).offset(offset).limit(limit))
    return (await session.exec(query)).all()


def is_erased(participant: Participant) -> bool:
    return participant.display_name == ERASED_NAME


async def erase_participant(
    session: AsyncSession, code: str, *, actor_staff_id: int | None, now: datetime,
    reason: str = "request",
) -> Participant:
    """Remove the participant's personal data; counts and outcomes stay for statistics."""
    participant = await _participant(session, code)
    assert participant.id is not None
    participant.display_name = ERASED_NAME
    participant.telegram_user_id = None
    participant.chat_id = None
    participant.consent_at = None
    participant.personnummer_encrypted = None
    participant.birth_year = None
    participant.disability = None
    participant.foreign_background = None
    participant.stopped_at = participant.stopped_at or now
    participant.updated_at = now
    if participant.status != Status.ENDED:
        # An erased person can no longer be followed up: the participation ends with an
        # unknown outcome, so they do not stay "active" in the statistics for ever.
        participant.status = Status.ENDED
        participant.outcome = Outcome.UNKNOWN
        participant.ended_on = max(now.date(), participant.enrolled_on)
        await session.exec(update(FollowUp).where(col(FollowUp.participant_id) == participant.id)
                           .values(state=FollowUpState.CANCELLED))
    session.add(participant)
    await session.exec(update(CheckIn).where(col(CheckIn.participant_id) == participant.id)
                       .values(note=""))
    await session.exec(update(FollowUp).where(col(FollowUp.participant_id) == participant.id)
                       .values(place=""))
    await session.exec(delete(Invite).where(col(Invite.participant_id) == participant.id))
    await relay.forget(session, participant.id)
    await drafts.end_all(session)
    await session.exec(delete(OutboundMessage)
                       .where(col(OutboundMessage.participant_id) == participant.id))
    audit.record(session, actor_staff_id=actor_staff_id, action="participant.erase",
                 target=participant.code, at=now, reason=reason)
    return participant


async def export_participant(session: AsyncSession, code: str) -> dict[str, Any]:
    """Everything stored about one participant, as plain JSON-ready data."""
    participant = await _participant(session, code)
    coordinator = await session.get(Staff, participant.coordinator_id)
    checkins = (await session.exec(select(CheckIn).where(
        CheckIn.participant_id == participant.id).order_by(col(CheckIn.happened_at)))).all()
    followups = (await session.exec(select(FollowUp).where(
        FollowUp.participant_id == participant.id).order_by(col(FollowUp.due_at)))).all()
    invites = (await session.exec(select(Invite).where(
        Invite.participant_id == participant.id))).all()
    history = (await session.exec(select(AuditLog).where(
        AuditLog.target == participant.code).order_by(col(AuditLog.at)))).all()
    outcome_followups = (await session.exec(select(OutcomeFollowUp).where(
        OutcomeFollowUp.participant_id == participant.id).order_by(
        col(OutcomeFollowUp.due_on)))).all()
    hours = (await session.exec(select(AttendanceHours).where(
        AttendanceHours.participant_id == participant.id).order_by(
        col(AttendanceHours.month)))).all()
    return {
        # The personnummer is only ever handed out in clear by the SCB export; here the
        # person learns that one is stored.
        "participant": {**_plain(participant, exclude={"personnummer_encrypted"}),
                        "personnummer_stored": participant.personnummer_encrypted is not None},
        "coordinator": coordinator.name if coordinator else None,
        "checkins": [_plain(c) for c in checkins],
        "followups": [_plain(f) for f in followups],
        "invites": [_plain(i, exclude={"token_hash"}) for i in invites],
        "outcome_followups": [_plain(f) for f in outcome_followups],
        "attendance_hours": [_plain(h) for h in hours],
        "audit": [_plain(a) for a in history],
    }


def _plain(row: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    # Enum columns are stored as strings and come back as strings, which is what the
    # export wants; pydantic would warn that they are not enum members.
    return row.model_dump(mode="json", exclude=exclude, warnings=False)


async def due_for_retention(
    session: AsyncSession, *, today: date, keep: timedelta
) -> Sequence[Participant]:
    """Ended participants whose end is older than `keep` and who are not yet anonymised."""
    query = (
        select(Participant)
        .where(Participant.status == Status.ENDED, col(Participant.ended_on).is_not(None),
               col(Participant.ended_on) < today - keep, Participant.display_name != ERASED_NAME)
        .order_by(col(Participant.ended_on), col(Participant.id))
    )
    return (await session.exec(query)).all()


async def apply_retention(
    session: AsyncSession, *, today: date, keep: timedelta, now: datetime
) -> list[str]:
    """Anonymise everyone past the retention period; returns their codes."""
    codes = [p.code for p in await due_for_retention(session, today=today, keep=keep)]
    for code in codes:
        await erase_participant(session, code, actor_staff_id=None, now=now, reason="retention")
    return codes
