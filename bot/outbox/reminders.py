"""Turn a follow-up into outbox rows: reminders to the participant, a no-answer alert.

Dedupe keys include the due time, so booking twice adds nothing and a moved follow-up
gets fresh rows (the old ones are cancelled by the caller).
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.templates import CANCELLED
from bot.outbox.templates import MOVED
from bot.outbox.timing import QuietHours
from bot.outbox.timing import no_answer_alert_time
from bot.outbox.timing import outside_quiet_hours
from bot.outbox.timing import reminder_times
from bot.runtime.config import Settings
from bot.text.i18n import Translator
from storage import outbox
from storage.followups import AgendaItem
from storage.followups import due_stamp
from storage.models import FollowUp
from storage.models import FollowUpState
from storage.models import OutboxTemplate
from storage.models import Participant
from storage.models import Staff


def quiet_hours(settings: Settings) -> QuietHours:
    return QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)


async def plan_reminders(
    session: AsyncSession, settings: Settings, followup: FollowUp, participant: Participant,
    *, now: datetime,
) -> dict[str, datetime]:
    """Queue the reminders (and the coordinator's no-answer alert); returns key → send time."""
    if not participant.reachable or followup.id is None:
        return {}
    assert participant.chat_id is not None
    times = reminder_times(followup.due_at, now, settings.reminder_offsets_hours, settings.tz,
                           quiet_hours(settings))
    stamp = int(followup.due_at.timestamp())
    for key, send_at in times.items():
        await outbox.enqueue(
            session, chat_id=participant.chat_id, template=OutboxTemplate.REMINDER,
            language=participant.language, send_at=send_at, participant_id=participant.id,
            followup_id=followup.id, dedupe_key=f"fu:{followup.id}:{stamp}:{key}", now=now)
    if times:
        alert_at = no_answer_alert_time(min(times.values()), followup.due_at,
                                        timedelta(hours=settings.no_answer_after_hours))
        coordinator = await session.get(Staff, followup.coordinator_id)
        if alert_at is not None and coordinator is not None:
            await outbox.enqueue_for_staff(
                session, coordinator, default_language=settings.default_language,
                template=OutboxTemplate.NO_ANSWER, send_at=alert_at, followup_id=followup.id,
                dedupe_key=f"fu:{followup.id}:{stamp}:no_answer", now=now)
    return times


async def tell_participant_of_change(
    session: AsyncSession, settings: Settings, item: AgendaItem, *, now: datetime,
) -> bool:
    """Queue "moved to …" or "cancelled" for the participant (after the follow-up changed).

    The notice is rendered when sent (so two quick moves tell the last time only) and
    retires the answer buttons of the reminders already in the chat. Nothing is queued
    for a participant the bot cannot reach or an appointment already past.
    """
    followup, participant = item.followup, item.participant
    if not participant.reachable or followup.id is None or followup.due_at <= now:
        return False
    assert participant.chat_id is not None
    event = CANCELLED if followup.state == FollowUpState.CANCELLED else MOVED
    stamp = due_stamp(followup)
    send_at = outside_quiet_hours(now, followup.due_at, settings.tz, quiet_hours(settings))
    await outbox.enqueue(
        session, chat_id=participant.chat_id, template=OutboxTemplate.FOLLOWUP_CHANGED,
        language=participant.language, send_at=max(send_at, now),
        params={"event": event, "stamp": stamp}, participant_id=participant.id,
        followup_id=followup.id,
        # With the moment of the change: moved back and forth, it is told each time.
        dedupe_key=f"fu:{followup.id}:{stamp}:{event}:{int(now.timestamp())}", now=now)
    return True


async def withdraw_reminders(
    session: AsyncSession, settings: Settings, item: AgendaItem, *, now: datetime,
) -> bool:
    """After a follow-up is cancelled: its reminders not yet sent are dropped and the
    participant is told (`tell_participant_of_change`); whether she is told."""
    assert item.followup.id is not None
    await outbox.cancel_pending(session, followup_id=item.followup.id)
    return await tell_participant_of_change(session, settings, item, now=now)


def told_text(tr: Translator) -> str:
    """What the coordinator reads when the participant is told of a change."""
    return tr._("The participant gets a message about it in their language.")


async def notify_staff_now(
    session: AsyncSession, settings: Settings, staff_id: int, template: str,
    params: dict[str, object], *, now: datetime, followup_id: int | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue a message to a staff member for immediate delivery (through the outbox).

    Queued for a deactivated member too: the dispatcher routes it, when it is sent, to
    whoever stands in for them (storage.staff.notice_recipients)."""
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return
    await outbox.enqueue_for_staff(
        session, staff, default_language=settings.default_language, template=template,
        send_at=now, params=params, followup_id=followup_id, dedupe_key=dedupe_key, now=now)
