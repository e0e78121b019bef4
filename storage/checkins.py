"""Check-ins: what a coordinator logs after a meeting, call, message or visit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.errors import InvalidValue
from storage.errors import ParticipantEnded
from storage.models import Channel
from storage.models import CheckIn
from storage.models import Participant
from storage.models import Status
from storage.participants import apply_status
from storage.participants import visible_participant


async def log_checkin(
    session: AsyncSession,
    viewer: Viewer,
    code: str,
    *,
    channel: Channel,
    note: str,
    happened_at: datetime,
    now: datetime,
    note_max_length: int,
    status_change: Status | None = None,
) -> tuple[Participant, CheckIn]:
    """Store a check-in (and an optional status change) for a participant the viewer sees."""
    note = note.strip()
    if len(note) > note_max_length:
        raise InvalidValue(field="note", max=note_max_length)
    if status_change == Status.ENDED:
        raise InvalidValue(field="status")
    participant = await visible_participant(session, viewer, code)
    if participant.is_ended:
        raise ParticipantEnded(code=participant.code)
    assert participant.id is not None
    checkin = CheckIn(
        participant_id=participant.id,
        author_id=viewer.staff_id,
        happened_at=happened_at,
        channel=channel,
        note=note,
        status_change=status_change,
        created_at=now,
    )
    session.add(checkin)
    if status_change is not None and status_change != participant.status:
        apply_status(session, viewer, participant, status_change, now=now)
    await session.flush()
    audit.record(
        session, actor_staff_id=viewer.staff_id, action="checkin.add", target=participant.code,
        at=now, checkin_id=checkin.id, channel=str(channel),
    )
    return participant, checkin


async def recent_checkins(
    session: AsyncSession, participant_id: int, *, limit: int = 5
) -> Sequence[CheckIn]:
    query = (
        select(CheckIn)
        .where(CheckIn.participant_id == participant_id)
        .order_by(col(CheckIn.happened_at).desc(), col(CheckIn.id).desc())
        .limit(limit)
    )
    return (await session.exec(query)).all()
