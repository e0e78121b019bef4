"""The conversation relay's bookkeeping: which relayed message belongs to which participant.

Only the mapping is stored (`RelayLink`), never what was written: the messages stay in the
Telegram chats. Who gets a participant's message is decided here too, so a hand-over or an
out-of-office delegation moves the conversation with the caseload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import update
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.access import participant_scope
from storage.models import Participant
from storage.models import RelayDirection
from storage.models import RelayLink
from storage.models import Staff
from storage.staff import leads_holding
from storage.staff import notice_recipients


@dataclass(frozen=True, slots=True)
class Conversation:
    """What a participant's card says about her messages."""

    last_written_at: datetime | None
    unanswered: int
    last_answered_at: datetime | None


async def relay_recipient(session: AsyncSession, participant: Participant, *,
                          today: date) -> Staff | None:
    """Who reads her messages: whoever gets her coordinator's notices today
    (`storage.staff.notice_recipients`: the coordinator, their delegate while away or once
    deactivated, else a lead whose scope holds her) — one rule for notices and messages."""
    coordinator = await session.get(Staff, participant.coordinator_id)
    if coordinator is None:
        found = await leads_holding(session, participant.municipality)
    else:
        found = await notice_recipients(session, coordinator, today=today,
                                        participant=participant)
    return found[0] if found else None


async def record_incoming(session: AsyncSession, participant: Participant, *,
                          staff_chat_id: int, copy_message_id: int,
                          header_message_id: int | None, at: datetime) -> None:
    """She wrote one message; its copy (and the header above it, if one was sent) are
    these messages in the staff chat."""
    assert participant.id is not None
    session.add(RelayLink(participant_id=participant.id, direction=RelayDirection.IN,
                          staff_chat_id=staff_chat_id, staff_message_id=copy_message_id,
                          at=at))
    if header_message_id is not None:
        session.add(RelayLink(participant_id=participant.id, direction=RelayDirection.HEADER,
                              staff_chat_id=staff_chat_id,
                              staff_message_id=header_message_id, at=at))
    audit.record(session, actor_staff_id=None, action="relay.in", target=participant.code,
                 at=at, to_chat=staff_chat_id)


async def participant_for_reply(session: AsyncSession, staff_chat_id: int,
                                message_id: int) -> int | None:
    """The participant a relayed message (replied to in a staff chat) came from."""
    return (await session.exec(
        select(RelayLink.participant_id).where(
            RelayLink.staff_chat_id == staff_chat_id,
            RelayLink.staff_message_id == message_id,
            col(RelayLink.direction).in_([RelayDirection.IN, RelayDirection.HEADER])))).first()


async def record_answer(session: AsyncSession, participant: Participant, *, staff: Staff,
                        staff_message_id: int, at: datetime) -> None:
    """Staff answered her: everything she wrote before is answered."""
    assert participant.id is not None and staff.id is not None
    await session.exec(update(RelayLink).where(  # type: ignore[call-overload]
        col(RelayLink.participant_id) == participant.id,
        col(RelayLink.direction) == RelayDirection.IN,
        col(RelayLink.answered_at).is_(None)).values(answered_at=at))
    session.add(RelayLink(participant_id=participant.id, direction=RelayDirection.OUT,
                          staff_chat_id=staff.telegram_user_id,
                          staff_message_id=staff_message_id, at=at))
    audit.record(session, actor_staff_id=staff.id, action="relay.out",
                 target=participant.code, at=at)


async def written_since(session: AsyncSession, participant_id: int, since: datetime) -> int:
    """How many of her messages were relayed since `since` (a burst is told once)."""
    return (await session.exec(
        select(func.count()).select_from(RelayLink).where(
            RelayLink.participant_id == participant_id,
            RelayLink.direction == RelayDirection.IN, RelayLink.at >= since))).one()


async def conversation(session: AsyncSession, participant_id: int) -> Conversation:
    is_in = RelayLink.direction == RelayDirection.IN
    row = (await session.exec(
        select(func.max(RelayLink.at).filter(is_in),
               func.count().filter(is_in, col(RelayLink.answered_at).is_(None)),
               func.max(RelayLink.at).filter(RelayLink.direction == RelayDirection.OUT))
        .where(RelayLink.participant_id == participant_id))).one()
    return Conversation(row[0], int(row[1] or 0), row[2])


async def unanswered_before(session: AsyncSession, viewer: Viewer,
                            before: datetime) -> Sequence[tuple[Participant, datetime]]:
    """Participants the viewer may see with a message unanswered since before `before`,
    oldest first (for /today and the digest)."""
    first = func.min(RelayLink.at).label("first")
    query = (
        select(Participant, first)
        .join(RelayLink, col(RelayLink.participant_id) == col(Participant.id))
        .where(participant_scope(viewer), RelayLink.direction == RelayDirection.IN,
               col(RelayLink.answered_at).is_(None))
        .group_by(col(Participant.id))
        .having(first < before)
        .order_by(first)
    )
    return [(participant, at) for participant, at in (await session.exec(query)).all()]


async def forget(session: AsyncSession, participant_id: int) -> None:
    """Erasure: the mapping goes with the person."""
    await session.exec(delete(RelayLink).where(  # type: ignore[call-overload]
        col(RelayLink.participant_id) == participant_id))


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Retention: drop mappings older than `before`; returns how many."""
    result = await session.exec(delete(RelayLink).where(  # type: ignore[call-overload]
        col(RelayLink.at) < before))
    return int(result.rowcount or 0)
