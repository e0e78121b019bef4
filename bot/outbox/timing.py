"""When messages go out: reminder times, quiet hours, local wall-clock times across DST.

Pure functions over aware datetimes: no Telegram, no database. Times are stored in UTC
and computed from the local wall clock, so a 09:00 follow-up stays at 09:00 local on
both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

LAST_MINUTE_REMINDER = timedelta(minutes=30)
"""A reminder is still worth sending when at least this long remains before the follow-up."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Participants get no messages strictly between `start` and `end` (local time)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start < local < self.end
        return local > self.start or local < self.end


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (a time in the spring-forward gap moves on)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a non-existent local time (02:30 on the spring-forward
    # night) comes back as the first real instant after it.
    return aware.astimezone(UTC)


def outside_quiet_hours(send_at: datetime, due_at: datetime, tz: ZoneInfo,
                        quiet: QuietHours) -> datetime:
    """Move a participant message out of quiet hours.

    Normally to the end of the quiet window; if that is not before the appointment, to
    the start of the window instead (the evening before), so the reminder still
    arrives before the appointment.
    """
    local = send_at.astimezone(tz)
    if not quiet.contains(local.time()):
        return send_at
    end_day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    window_end = local_moment(end_day, quiet.end, tz)
    if window_end < due_at:
        return window_end
    start_day = local.date() if local.time() > quiet.start else local.date() - timedelta(days=1)
    return local_moment(start_day, quiet.start, tz)


def reminder_times(due_at: datetime, now: datetime, offsets_hours: list[float], tz: ZoneInfo,
                   quiet: QuietHours) -> dict[str, datetime]:
    """Reminder key → send time for a follow-up; times already past are left out.

    If every planned reminder is already past (a follow-up booked at short notice), one
    reminder goes out now, as long as the appointment is not about to start.
    """
    planned: dict[str, datetime] = {}
    for hours in offsets_hours:
        send_at = outside_quiet_hours(due_at - timedelta(hours=hours), due_at, tz, quiet)
        if now <= send_at < due_at:
            planned.setdefault(f"{hours:g}h", send_at)
    if not planned and due_at - now >= LAST_MINUTE_REMINDER:
        send_at = outside_quiet_hours(now, due_at, tz, quiet)
        if now <= send_at < due_at:
            planned["now"] = send_at
    return planned


def no_answer_alert_time(first_reminder_at: datetime, due_at: datetime,
                         after: timedelta) -> datetime | None:
    """When to tell the coordinator there is no answer; None when there is no time for it."""
    alert_at = min(first_reminder_at + after, due_at - LAST_MINUTE_REMINDER)
    return alert_at if alert_at > first_reminder_at else None


def next_weekday_at(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next Monday–Friday moment at local time `at` that is not before `now`."""
    day = now.astimezone(tz).date()
    while True:
        moment = local_moment(day, at, tz)
        if day.weekday() < 5 and moment >= now:
            return moment
        day += timedelta(days=1)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day in UTC (23 or 25 hours long on DST days)."""
    return local_moment(day, time(0), tz), local_moment(day + timedelta(days=1), time(0), tz)


def one_working_day_before(now: datetime, tz: ZoneInfo) -> datetime:
    """The same local time one working day (Monday–Friday) earlier: a message unanswered
    since before this has waited more than a working day."""
    before = now - timedelta(days=1)
    while before.astimezone(tz).weekday() >= 5:
        before -= timedelta(days=1)
    return before
