"""The monthly hours reminder: early each month, every coordinator gets, through the outbox,
the list of their participants who have no hours logged for the month before.

Planned by the DailyPlanner on the first days of a month for the next 09:00 local (dedupe
key per coordinator and month, so planning again adds nothing) and rendered when sent,
so hours logged in the meantime drop off the list — and nothing is sent once the list
is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Annotated

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.outbox.templates import Outgoing
from bot.outbox.templates import Rendered
from bot.outbox.templates import active_addressee
from bot.outbox.timing import local_moment
from bot.runtime.config import Settings
from bot.text.i18n import Translator
from bot.text.render import participant_keyboard
from storage import attendance
from storage import outbox
from storage.models import OutboxTemplate
from storage.models import Participant

REMINDER_TIME = time(9, 0)
"""Local time of the reminder."""
PLAN_ON_DAYS = 3
"""Planned on the 1st; a planner that was down then still plans it on the 2nd or 3rd."""
LISTED = 25
BUTTONS = 10
"""Participants offered as buttons at once (here, and after each guided entry)."""
TEMPLATE = OutboxTemplate.HOURS_REMINDER


@family("hr:p", command="hours")
class HoursPick(ButtonPayload):
    """Log this participant's hours for the month (typed next); in the reminder and /hours.

    Declared here, beside the reminder whose buttons stay in chats for days."""

    participant_id: int
    month: Annotated[str, Token(7, r"[0-9]{4}-(0[1-9]|1[0-2])")]

    @classmethod
    def of(cls, participant_id: int, month: date) -> HoursPick:
        return cls(participant_id, f"{month:%Y-%m}")

    @property
    def first_day(self) -> date:
        return date(int(self.month[:4]), int(self.month[5:]), 1)


async def plan_hours_reminders(session: AsyncSession, settings: Settings, now: datetime) -> int:
    today = now.astimezone(settings.tz).date()
    if today.day > PLAN_ON_DAYS:
        return 0
    month = attendance.previous_month(today)
    # Like the agenda and the digest, never "now": the next 09:00 local.
    send_at = local_moment(today, REMINDER_TIME, settings.tz)
    if send_at < now:
        send_at = local_moment(today + timedelta(days=1), REMINDER_TIME, settings.tz)
    coordinators = await attendance.coordinators_with_caseload(session, month)
    for member in coordinators:
        await outbox.enqueue_for_staff(
            session, member, default_language=settings.default_language, template=TEMPLATE,
            send_at=send_at, params={"month": f"{month:%Y-%m}"},
            dedupe_key=f"hours:{member.id}:{month:%Y-%m}", now=now)
    return len(coordinators)


async def hours_reminder(session: AsyncSession, out: Outgoing) -> Rendered | None:
    staff = await active_addressee(session, out)
    if staff is None or staff.id is None:
        return None
    month = date.fromisoformat(out.params["month"] + "-01")
    missing = await attendance.without_hours(session, staff.id, month)
    if not missing:
        return None
    return Rendered(reminder_text(out.tr, month, list(missing)), missing_keyboard(missing, month))


def reminder_text(tr: Translator, month: date, missing: list[Participant]) -> str:
    lines = [tr.ngettext("<b>⏱ Hours for %(month)s are missing for %(n)s participant</b>",
                         "<b>⏱ Hours for %(month)s are missing for %(n)s participants</b>",
                         len(missing), month=tr.date(month, "LLLL y"))]
    lines += [tr._("%(code)s %(name)s", code=tr.isolate(p.code), name=p.display_name)
              for p in missing[:LISTED]]
    if len(missing) > LISTED:
        lines.append(tr.ngettext("…and %(n)s more", "…and %(n)s more", len(missing) - LISTED))
    lines += ["", tr._("Tap a participant to log their hours, or write "
                       "<code>/hours %(code)s %(month)s 32</code>.",
                       code=missing[0].code, month=f"{month:%Y-%m}")]
    return "\n".join(lines)


def missing_keyboard(missing: Sequence[Participant], month: date) -> InlineKeyboardMarkup:
    """The first participants still without hours, each a button to log theirs."""
    return participant_keyboard(missing[:BUTTONS],
                                lambda p: HoursPick.of(p.id, month).encode())
