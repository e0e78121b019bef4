"""Invites: a single-use, expiring link that lets a participant connect their Telegram chat.

Only a SHA-256 hash of the token is stored; the token itself exists in the link alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.errors import ParticipantEnded
from storage.models import Invite
from storage.models import Participant
from storage.participants import visible_participant


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    OTHER_USER = "other_user"


@dataclass(frozen=True, slots=True)
class OpenedInvite:
    invite: Invite | None
    participant: Participant | None
    problem: InviteProblem | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(
    session: AsyncSession, viewer: Viewer, code: str, *, token: str, ttl: timedelta,
    now: datetime,
) -> tuple[Participant, Invite]:
    """A new invite for a participant the viewer sees; earlier open invites are revoked."""
    participant = await visible_participant(session, viewer, code)
    if participant.is_ended:
        raise ParticipantEnded(code=participant.code)
    await session.exec(
        update(Invite)
        .where(Invite.participant_id == participant.id, Invite.used_at.is_(None),  # type: ignore[union-attr]
               Invite.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now)
    )
    assert participant.id is not None and viewer.staff_id is not None
    invite = Invite(participant_id=participant.id, token_hash=hash_token(token),
                    created_by=viewer.staff_id, expires_at=now + ttl, created_at=now)
    session.add(invite)
    await session.flush()
    audit.record(session, actor_staff_id=viewer.staff_id, action="invite.create",
                 target=participant.code, at=now, invite_id=invite.id)
    return participant, invite


def _problem(invite: Invite, telegram_user_id: int, now: datetime) -> InviteProblem | None:
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.opened_by is not None and invite.opened_by != telegram_user_id:
        return InviteProblem.OTHER_USER
    return None


async def open_invite(
    session: AsyncSession, token: str, *, telegram_user_id: int, now: datetime
) -> OpenedInvite:
    """The person behind `telegram_user_id` opened the link: bind the invite to them."""
    invite = (await session.exec(
        select(Invite).where(Invite.token_hash == hash_token(token)))).first()
    if invite is None:
        return OpenedInvite(None, None, InviteProblem.UNKNOWN)
    problem = _problem(invite, telegram_user_id, now)
    participant = await session.get(Participant, invite.participant_id)
    if problem is None and participant is not None and participant.is_ended:
        problem = InviteProblem.REVOKED
    if problem is not None:
        return OpenedInvite(invite, participant, problem)
    invite.opened_by = telegram_user_id
    session.add(invite)
    return OpenedInvite(invite, participant, None)


async def invite_language(
    session: AsyncSession, invite_id: int, *, telegram_user_id: int
) -> str | None:
    """The language the coordinator chose for the invited participant, for the person who
    opened the invite (they read the consent in it); None for anyone else."""
    invite = await session.get(Invite, invite_id)
    if invite is None or invite.opened_by != telegram_user_id:
        return None
    participant = await session.get(Participant, invite.participant_id)
    return participant.language if participant is not None else None


async def accept_invite(
    session: AsyncSession, invite_id: int, *, telegram_user_id: int, chat_id: int, now: datetime
) -> OpenedInvite:
    """Consent given: link the participant's chat; the invite is used up."""
    invite = await session.get(Invite, invite_id)
    if invite is None:
        return OpenedInvite(None, None, InviteProblem.UNKNOWN)
    problem = _problem(invite, telegram_user_id, now)
    if problem is None and invite.opened_by != telegram_user_id:
        problem = InviteProblem.OTHER_USER
    participant = await session.get(Participant, invite.participant_id)
    if problem is None and participant is not None and participant.is_ended:
        # Ended between opening the link and tapping "I agree": no consent to a closed case.
        problem = InviteProblem.REVOKED
    if problem is not None or participant is None:
        return OpenedInvite(invite, participant, problem or InviteProblem.UNKNOWN)
    # Another participant record linked to this Telegram account is unlinked first.
    await session.exec(
        update(Participant)
        .where(Participant.telegram_user_id == telegram_user_id,  # type: ignore[arg-type]
               Participant.id != participant.id)  # type: ignore[arg-type]
        .values(telegram_user_id=None, chat_id=None)
    )
    invite.used_at = now
    participant.telegram_user_id = telegram_user_id
    participant.chat_id = chat_id
    participant.consent_at = now
    participant.stopped_at = None
    participant.unreachable_at = None
    participant.updated_at = now
    session.add_all([invite, participant])
    audit.record(session, actor_staff_id=None, action="participant.consent",
                 target=participant.code, at=now, invite_id=invite.id)
    return OpenedInvite(invite, participant, None)


async def participant_by_telegram_id(
    session: AsyncSession, telegram_user_id: int
) -> Participant | None:
    return (await session.exec(
        select(Participant).where(Participant.telegram_user_id == telegram_user_id))).first()


async def has_open_invite(session: AsyncSession, participant_id: int, *, now: datetime) -> bool:
    query = select(Invite.id).where(
        Invite.participant_id == participant_id, Invite.used_at.is_(None),  # type: ignore[union-attr]
        Invite.revoked_at.is_(None), Invite.expires_at > now)  # type: ignore[union-attr]
    return (await session.exec(query)).first() is not None
