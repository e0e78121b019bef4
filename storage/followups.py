"""Follow-ups: booked appointments, the participant's answer, the coordinator's agenda."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from enum import StrEnum

from sqlalchemy import true
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.access import participant_scope
from storage.errors import DomainError
from storage.errors import InvalidValue
from storage.errors import NotFound
from storage.errors import ParticipantEnded
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import FollowUpResponse
from storage.models import FollowUpState
from storage.models import Participant
from storage.participants import visible_participant

PLACE_MAX = 200


class FollowUpNotFound(NotFound):
    code = "followup_not_found"


class FollowUpInPast(DomainError):
    code = "followup_in_past"


class FollowUpChanged(DomainError):
    """An answer to a time the follow-up no longer has (it was moved after the message)."""

    code = "followup_changed"


ANSWERS: dict[FollowUpKind, tuple[FollowUpResponse, ...]] = {
    FollowUpKind.MEETING: (FollowUpResponse.CONFIRMED, FollowUpResponse.NEEDS_NEW_TIME,
                           FollowUpResponse.CANT_COME),
    FollowUpKind.PHONE_CALL: (FollowUpResponse.CONFIRMED, FollowUpResponse.NEEDS_NEW_TIME),
    FollowUpKind.CHECKIN_QUESTION: (FollowUpResponse.ALL_GOOD, FollowUpResponse.WANTS_CONTACT),
}
"""The answers a participant can give to each kind of follow-up, in button order."""

SETTLED_ANSWERS = (FollowUpResponse.CONFIRMED, FollowUpResponse.ALL_GOOD,
                   FollowUpResponse.WANTS_CONTACT)
"""Answers after which nothing is left to confirm (a coming participant, an answered
question): every other follow-up counts as "not confirmed"."""

LEGACY_ANSWERS = frozenset({FollowUpResponse.CONFIRMED, FollowUpResponse.NEEDS_NEW_TIME,
                            FollowUpResponse.CANT_COME})
"""What the one reminder for every kind offered before reminders were written per kind:
its buttons, still in chats, keep working for any kind."""


def due_stamp(followup: FollowUp) -> int:
    """The follow-up's time as a whole number, carried by its answer buttons."""
    return int(followup.due_at.timestamp())


@dataclass(frozen=True, slots=True)
class AgendaItem:
    followup: FollowUp
    participant: Participant
    changed: bool = True
    """For `record_response`: False when the answer was the one already recorded."""


async def book_followup(
    session: AsyncSession, viewer: Viewer, code: str, *, due_at: datetime, kind: FollowUpKind,
    place: str, now: datetime,
) -> tuple[Participant, FollowUp]:
    if due_at <= now:
        raise FollowUpInPast()
    place = " ".join(place.split())
    if len(place) > PLACE_MAX:
        raise InvalidValue(field="place", max=PLACE_MAX)
    participant = await visible_participant(session, viewer, code)
    if participant.is_ended:
        raise ParticipantEnded(code=participant.code)
    assert participant.id is not None
    followup = FollowUp(
        participant_id=participant.id, coordinator_id=participant.coordinator_id, due_at=due_at,
        kind=kind, place=place, created_at=now, updated_at=now,
    )
    session.add(followup)
    await session.flush()
    audit.record(session, actor_staff_id=viewer.staff_id, action="followup.book",
                 target=participant.code, at=now, followup_id=followup.id)
    return participant, followup


class BookingConcern(StrEnum):
    """Why a booking is asked about before it is made ("book anyway?")."""

    CLASH = "clash"
    """The coordinator has another follow-up within CLASH_WINDOW of it."""
    OUTSIDE_HOURS = "outside_hours"
    """Before WORKDAY_START or from WORKDAY_END, local time."""
    FAR_AHEAD = "far_ahead"
    """More than FAR_AHEAD from now: likely a mistyped year."""


CLASH_WINDOW = timedelta(minutes=30)
WORKDAY_START, WORKDAY_END = time(7, 0), time(19, 0)
FAR_AHEAD = timedelta(days=365)


async def booking_concerns(
    session: AsyncSession, viewer: Viewer, code: str, *, due_at: datetime, tz: tzinfo,
    now: datetime, moving: int | None = None,
) -> tuple[list[BookingConcern], list[str]]:
    """What to ask before booking a follow-up with `code` at `due_at` (or before `moving`
    that follow-up there), and the codes of the participants whose follow-ups it clashes
    with. Nothing is written."""
    participant = await visible_participant(session, viewer, code)
    concerns: list[BookingConcern] = []
    query = (select(Participant.code)
             .join(FollowUp, col(FollowUp.participant_id) == col(Participant.id))
             .where(FollowUp.coordinator_id == participant.coordinator_id,
                    FollowUp.state == FollowUpState.SCHEDULED,
                    FollowUp.due_at > due_at - CLASH_WINDOW,
                    FollowUp.due_at < due_at + CLASH_WINDOW)
             .order_by(col(FollowUp.due_at)))
    if moving is not None:
        query = query.where(FollowUp.id != moving)
    clashes = list(dict.fromkeys((await session.exec(query)).all()))
    if clashes:
        concerns.append(BookingConcern.CLASH)
    local = due_at.astimezone(tz).time()
    if not WORKDAY_START <= local < WORKDAY_END:
        concerns.append(BookingConcern.OUTSIDE_HOURS)
    if due_at - now > FAR_AHEAD:
        concerns.append(BookingConcern.FAR_AHEAD)
    return concerns, clashes


async def visible_followup(
    session: AsyncSession, viewer: Viewer, followup_id: int
) -> AgendaItem:
    query = (
        select(FollowUp, Participant)
        .join(Participant, col(Participant.id) == FollowUp.participant_id)
        .where(FollowUp.id == followup_id, participant_scope(viewer))
    )
    row = (await session.exec(query)).first()
    if row is None:
        raise FollowUpNotFound()
    return AgendaItem(*row)


async def cancel_followup(
    session: AsyncSession, viewer: Viewer, followup_id: int, *, now: datetime
) -> AgendaItem:
    item = await visible_followup(session, viewer, followup_id)
    if item.followup.state == FollowUpState.CANCELLED:
        raise FollowUpNotFound()
    _mark_cancelled(session, viewer, item, now=now)
    return item


def _mark_cancelled(session: AsyncSession, viewer: Viewer, item: AgendaItem, *, now: datetime,
                    **details: object) -> None:
    """Cancel a scheduled follow-up, with its audit row."""
    item.followup.state = FollowUpState.CANCELLED
    item.followup.updated_at = now
    session.add(item.followup)
    audit.record(session, actor_staff_id=viewer.staff_id, action="followup.cancel",
                 target=item.participant.code, at=now, followup_id=item.followup.id, **details)


async def cancel_coming(
    session: AsyncSession, viewer: Viewer, participant: Participant, *, now: datetime
) -> list[AgendaItem]:
    """Cancel the participant's follow-ups still to come, soonest first, audited as a
    cancellation by hand: when she has ended, nobody meets her in the project any more."""
    query = (select(FollowUp)
             .where(FollowUp.participant_id == participant.id,
                    FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_at > now)
             .order_by(col(FollowUp.due_at)))
    items = [AgendaItem(followup, participant) for followup in (await session.exec(query)).all()]
    for item in items:
        _mark_cancelled(session, viewer, item, now=now, reason="participant.end")
    return items


async def move_followup(
    session: AsyncSession, viewer: Viewer, followup_id: int, *, due_at: datetime, now: datetime
) -> AgendaItem:
    if due_at <= now:
        raise FollowUpInPast()
    item = await visible_followup(session, viewer, followup_id)
    if item.followup.state == FollowUpState.CANCELLED:
        raise FollowUpNotFound()
    previous = item.followup.due_at
    item.followup.due_at = due_at
    item.followup.response = FollowUpResponse.PENDING
    item.followup.responded_at = None
    item.followup.updated_at = now
    session.add(item.followup)
    audit.record(session, actor_staff_id=viewer.staff_id, action="followup.move",
                 target=item.participant.code, at=now, followup_id=followup_id,
                 previous=previous.isoformat(), due_at=due_at.isoformat())
    return item


async def record_response(
    session: AsyncSession, participant_id: int, followup_id: int, response: FollowUpResponse,
    *, now: datetime, stamp: int | None = None,
) -> AgendaItem | None:
    """Store the participant's answer; None when the follow-up is not theirs or is over.

    `stamp` is the time the answered message showed (`due_stamp`); when the follow-up has
    moved since, nothing is stored and `FollowUpChanged` is raised. Buttons sent before
    stamps existed carry none and are taken as before.
    """
    query = (
        select(FollowUp, Participant)
        .join(Participant, col(Participant.id) == FollowUp.participant_id)
        .where(FollowUp.id == followup_id, FollowUp.participant_id == participant_id,
               FollowUp.state == FollowUpState.SCHEDULED)
    )
    row = (await session.exec(query)).first()
    if row is None:
        return None
    followup, participant = row
    if participant.stopped_at is not None or participant.is_ended:
        # After /stop (or the end) old reminders' buttons reach nobody.
        return None
    if followup.due_at <= now:
        return None
    if stamp is not None and stamp != due_stamp(followup):
        raise FollowUpChanged()
    allowed = ANSWERS[FollowUpKind(followup.kind)] if stamp is not None else LEGACY_ANSWERS
    if response not in allowed:
        raise InvalidValue()
    if followup.response == response:
        # A repeated tap changes nothing, and nobody is told again.
        return AgendaItem(followup, participant, changed=False)
    followup.response = response
    followup.responded_at = now
    followup.updated_at = now
    session.add(followup)
    audit.record(session, actor_staff_id=None, action="followup.response",
                 target=participant.code, at=now, followup_id=followup_id,
                 response=str(response))
    return AgendaItem(followup, participant)


async def followup_with_participant(session: AsyncSession, followup_id: int) -> AgendaItem | None:
    """For the dispatcher: the follow-up as it is now (it may have moved or been cancelled)."""
    query = (
        select(FollowUp, Participant)
        .join(Participant, col(Participant.id) == FollowUp.participant_id)
        .where(FollowUp.id == followup_id)
    )
    row = (await session.exec(query)).first()
    return AgendaItem(*row) if row else None


async def agenda(
    session: AsyncSession, viewer: Viewer, *, start: datetime, end: datetime,
    municipality: str | None = None, unconfirmed: bool = False,
) -> list[AgendaItem]:
    """The viewer's scheduled follow-ups in [start, end), in time order; `municipality`
    narrows them to its participants, `unconfirmed` to those the participant has not
    settled (confirmed or declined).

    Booked by or moved to the viewer *and* of a participant the access policy lets them
    see: after a hand-over the old coordinator's agenda no longer shows the participant,
    even for a follow-up that stayed theirs (one already due when it was handed over).
    """
    query = (
        select(FollowUp, Participant)
        .join(Participant, col(Participant.id) == FollowUp.participant_id)
        .where(FollowUp.coordinator_id == viewer.staff_id, participant_scope(viewer),
               FollowUp.state == FollowUpState.SCHEDULED,
               FollowUp.due_at >= start, FollowUp.due_at < end,
               Participant.municipality == municipality if municipality is not None
               else true(),
               col(FollowUp.response).not_in(SETTLED_ANSWERS) if unconfirmed else true())
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
    )
    return [AgendaItem(f, p) for f, p in (await session.exec(query)).all()]


async def next_followup_for_participant(
    session: AsyncSession, participant_id: int, *, now: datetime
) -> FollowUp | None:
    query = (
        select(FollowUp)
        .where(FollowUp.participant_id == participant_id,
               FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_at > now)
        .order_by(col(FollowUp.due_at))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def upcoming_for_participant(
    session: AsyncSession, viewer: Viewer, code: str, *, now: datetime
) -> tuple[Participant, Sequence[FollowUp]]:
    participant = await visible_participant(session, viewer, code)
    query = (
        select(FollowUp)
        .where(FollowUp.participant_id == participant.id,
               FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_at > now)
        .order_by(col(FollowUp.due_at))
    )
    return participant, (await session.exec(query)).all()


async def upcoming_followups_with_participants(
    session: AsyncSession, now: datetime
) -> list[tuple[FollowUp, Participant]]:
    """Every scheduled follow-up still to come, with its participant (demo seeding)."""
    query = (
        select(FollowUp, Participant)
        .join(Participant, col(Participant.id) == FollowUp.participant_id)
        .where(FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_at > now)
        .order_by(col(FollowUp.due_at))
    )
    return [(f, p) for f, p in (await session.exec(query)).all()]
