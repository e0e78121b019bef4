"""The weekly digest for each lead and admin, sent through the outbox like every reminder.

`plan_digests` queues one row per lead/admin for the next Monday 08:00 local time, with a
dedupe key per person and ISO week, so planning it again (every tick, after a restart,
from two processes) adds nothing. The row carries only the week's dates: the text is
rendered when it is sent (template "digest"), from the figures and the reader's scope
and language as they are then. `/digest` renders the same text on demand.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.templates import Outgoing
from bot.outbox.templates import Rendered
from bot.outbox.templates import active_addressee
from bot.outbox.timing import local_moment
from bot.outbox.timing import one_working_day_before
from bot.runtime.config import Settings
from bot.text.i18n import Translator
from bot.text.stats_text import coordinator_label
from bot.text.stats_text import outcome_lines
from bot.text.stats_text import percent
from bot.text.stats_text import reached_line
from storage import outbox
from storage import participants
from storage import relay
from storage import stats
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.models import OutboxTemplate
from storage.staff import active_staff

DIGEST_DAYS = 7
"""The digest covers the seven days before the day it is sent."""
NEGLECTED_WEEKS = 3
"""A participant with no check-in for this many weeks is listed as needing attention."""
NEGLECTED_SHOWN = 8
TEMPLATE = OutboxTemplate.DIGEST


def next_digest_at(now: datetime, settings: Settings) -> datetime:
    """The next digest moment (DIGEST_WEEKDAY at DIGEST_TIME, local) not before `now`."""
    tz = settings.tz
    day = now.astimezone(tz).date()
    while True:
        if day.weekday() == settings.digest_weekday:
            moment = local_moment(day, settings.digest_time, tz)
            if moment >= now:
                return moment
        day += timedelta(days=1)


def digest_period(send_day: date) -> tuple[date, date]:
    """The local dates a digest sent on `send_day` covers: the week before, inclusive."""
    return send_day - timedelta(days=DIGEST_DAYS), send_day - timedelta(days=1)


async def plan_digests(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Queue next week's digest for every active lead and admin; returns how many were asked.

    Idempotent: the dedupe key `digest:<staff id>:<ISO year>-W<week>` makes a repeated
    call a no-op, so the caller may plan as often as it likes (once a day is enough).
    """
    send_at = next_digest_at(now, settings)
    send_day = send_at.astimezone(settings.tz).date()
    start, end = digest_period(send_day)
    year, week, _ = send_day.isocalendar()
    readers = [member for member in await active_staff(session)
               if can(Viewer.of(member), Action.RECEIVE_DIGEST)]
    for member in readers:
        await outbox.enqueue_for_staff(
            session, member, default_language=settings.default_language, template=TEMPLATE,
            send_at=send_at, params={"start": start.isoformat(), "end": end.isoformat()},
            dedupe_key=f"digest:{member.id}:{year}-W{week:02d}", now=now)
    return len(readers)


async def digest_template(session: AsyncSession, out: Outgoing) -> Rendered | None:
    """Render at send time; nothing for someone who left or is no longer a lead."""
    staff = await active_addressee(session, out)
    if staff is None:
        return None
    viewer = Viewer.of(staff)
    if not can(viewer, Action.RECEIVE_DIGEST):
        return None
    start = date.fromisoformat(out.params["start"])
    end = date.fromisoformat(out.params["end"])
    return Rendered(await digest_text(session, out.tr, viewer, start, end, now=out.now))


async def digest_text(session: AsyncSession, tr: Translator, viewer: Viewer, start: date,
                      end: date, *, now: datetime) -> str:
    """New participants, endings and outcomes, check-ins per coordinator, who needs a call."""
    week = stats.StatsFilter(tr.tz, start, end)
    per_coordinator = await stats.breakdown(session, viewer, week, "coordinator")
    figures = per_coordinator.total
    lines = [tr._("<b>🗓 Weekly digest: %(start)s – %(end)s</b>",
                  start=tr.date(start), end=tr.date(end)),
             tr._("New participants: %(n)s", n=tr.number(figures.enrolled)),
             tr._("Ended: %(n)s", n=tr.number(figures.ended))]
    if figures.ended:
        lines += outcome_lines(tr, figures)
        lines += [reached_line(tr, figures),
                  tr._("%(share)s of those who ended", share=percent(tr, figures.share_of_ended))]
    lines += ["", tr._("<b>Check-ins per coordinator</b>")]
    lines += [tr._("%(name)s: %(n)s", name=row.label, n=tr.number(row.figures.checkins))
              for row in per_coordinator.rows] or [tr._("No check-ins were logged.")]
    lines += ["", *await _neglected_lines(session, tr, viewer, now)]
    waiting = await unanswered_lines(session, tr, viewer, now)
    if waiting:
        lines += ["", *waiting]
    return "\n".join(lines)


async def unanswered_lines(session: AsyncSession, tr: Translator, viewer: Viewer,
                           now: datetime) -> list[str]:
    """Participants whose message has waited more than a working day (/today, digest)."""
    waiting = await relay.unanswered_before(session, viewer,
                                            one_working_day_before(now, tr.tz))
    if not waiting:
        return []
    lines = [tr.ngettext("<b>💬 %(n)s participant waits for an answer</b>",
                         "<b>💬 %(n)s participants wait for an answer</b>", len(waiting))]
    lines += [tr._("%(code)s %(name)s: wrote %(when)s", code=tr.isolate(participant.code),
                   name=participant.display_name, when=tr.short_datetime(since))
              for participant, since in waiting[:NEGLECTED_SHOWN]]
    return lines


async def _neglected_lines(session: AsyncSession, tr: Translator, viewer: Viewer,
                           now: datetime) -> list[str]:
    since = now - timedelta(weeks=NEGLECTED_WEEKS)
    # Never checked in: only who was enrolled by then (the local day, not UTC's).
    rows, total = await participants.caseload(
        session, viewer, now=now, limit=NEGLECTED_SHOWN, own=False,
        no_checkin=participants.NoCheckIn(since, enrolled_by=tr.local(since).date()))
    if not total:
        return [tr.ngettext("Everyone has had a check-in in the last %(n)s week.",
                            "Everyone has had a check-in in the last %(n)s weeks.",
                            NEGLECTED_WEEKS)]
    lines = [tr.ngettext("<b>%(n)s participant without a check-in for %(weeks)s weeks or more</b>",
                         "<b>%(n)s participants without a check-in for %(weeks)s weeks or more</b>",
                         total, weeks=NEGLECTED_WEEKS)]
    for row in rows:
        code = tr.isolate(row.participant.code)
        if row.last_checkin_at is None:
            lines.append(tr._("%(code)s (%(coordinator)s): no check-in yet",
                              code=code, coordinator=coordinator_label(tr, row)))
        else:
            lines.append(tr._("%(code)s (%(coordinator)s): last check-in %(date)s",
                              code=code, coordinator=coordinator_label(tr, row),
                              date=tr.date(tr.local(row.last_checkin_at).date())))
    hidden = total - len(rows)
    if hidden > 0:
        lines.append(tr.ngettext("…and %(n)s more", "…and %(n)s more", hidden))
    return lines

