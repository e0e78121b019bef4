"""Pure timing rules: local wall-clock times across DST, quiet hours, reminder plans."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.outbox.timing import QuietHours
from bot.outbox.timing import local_day_bounds
from bot.outbox.timing import local_moment
from bot.outbox.timing import next_weekday_at
from bot.outbox.timing import no_answer_alert_time
from bot.outbox.timing import outside_quiet_hours
from bot.outbox.timing import reminder_times

TZ = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours(time(20, 0), time(8, 0))


def test_nine_oclock_stays_nine_oclock_across_both_dst_changes() -> None:
    for day in (date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29),
                date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)):
        moment = local_moment(day, time(9, 0), TZ)
        assert moment.tzinfo == UTC
        assert moment.astimezone(TZ).time() == time(9, 0), day
    assert local_moment(date(2027, 3, 29), time(9), TZ).hour == 7  # CEST, UTC+2
    assert local_moment(date(2026, 10, 26), time(9), TZ).hour == 8  # CET, UTC+1


def test_time_in_spring_forward_gap_moves_to_a_real_instant() -> None:
    moment = local_moment(date(2027, 3, 28), time(2, 30), TZ)
    assert moment.astimezone(TZ).time() == time(3, 30)


def test_local_days_are_23_and_25_hours_long_on_dst_days() -> None:
    start, end = local_day_bounds(date(2027, 3, 28), TZ)
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(date(2026, 10, 25), TZ)
    assert end - start == timedelta(hours=25)


def test_reminders_24h_and_2h_before_a_follow_up_across_dst() -> None:
    due = local_moment(date(2027, 3, 29), time(10, 0), TZ)  # Monday after spring forward
    now = local_moment(date(2027, 3, 20), time(12, 0), TZ)
    plan = reminder_times(due, now, [24, 2], TZ, QUIET)
    assert plan == {"24h": due - timedelta(hours=24), "2h": due - timedelta(hours=2)}
    assert plan["2h"].astimezone(TZ).time() == time(8, 0)


def test_reminder_in_quiet_hours_moves_to_end_of_window() -> None:
    due = local_moment(date(2026, 12, 3), time(8, 30), TZ)
    now = local_moment(date(2026, 12, 1), time(12, 0), TZ)
    plan = reminder_times(due, now, [24, 2], TZ, QUIET)
    # 2 h before is 06:30, inside quiet hours: sent at 08:00 instead, still before 08:30.
    assert plan["2h"].astimezone(TZ) == datetime(2026, 12, 3, 8, 0, tzinfo=TZ)
    assert plan["24h"].astimezone(TZ) == datetime(2026, 12, 2, 8, 30, tzinfo=TZ)


def test_reminder_moves_to_evening_before_when_window_ends_after_appointment() -> None:
    due = local_moment(date(2026, 12, 3), time(7, 0), TZ)
    moved = outside_quiet_hours(due - timedelta(hours=2), due, TZ, QUIET)
    assert moved.astimezone(TZ) == datetime(2026, 12, 2, 20, 0, tzinfo=TZ)


def test_short_notice_booking_gets_one_reminder_now_or_none_when_about_to_start() -> None:
    now = local_moment(date(2026, 12, 3), time(9, 0), TZ)
    soon = now + timedelta(hours=1)
    assert reminder_times(soon, now, [24, 2], TZ, QUIET) == {"now": now}
    assert reminder_times(now + timedelta(minutes=20), now, [24, 2], TZ, QUIET) == {}


def test_no_answer_alert_is_before_the_appointment() -> None:
    first = datetime(2026, 12, 2, 9, tzinfo=UTC)
    due = datetime(2026, 12, 3, 9, tzinfo=UTC)
    assert no_answer_alert_time(first, due, timedelta(hours=4)) == first + timedelta(hours=4)
    late_first = due - timedelta(hours=1)
    assert no_answer_alert_time(late_first, due, timedelta(hours=4)) == due - timedelta(
        minutes=30)
    assert no_answer_alert_time(due - timedelta(minutes=20), due, timedelta(hours=4)) is None


def test_agenda_is_planned_for_the_next_weekday_morning() -> None:
    friday_noon = local_moment(date(2026, 11, 27), time(12), TZ)
    assert next_weekday_at(friday_noon, time(7, 30), TZ).astimezone(TZ) == datetime(
        2026, 11, 30, 7, 30, tzinfo=TZ)
    monday_early = local_moment(date(2026, 11, 30), time(6), TZ)
    assert next_weekday_at(monday_early, time(7, 30), TZ).astimezone(TZ).date() == date(
        2026, 11, 30)


@given(
    due_offset_minutes=st.integers(min_value=1, max_value=60 * 24 * 60),
    now_minute=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_reminders_are_never_late_never_in_quiet_hours(
    due_offset_minutes: int, now_minute: int
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=now_minute)
    due = now + timedelta(minutes=due_offset_minutes)
    for send_at in reminder_times(due, now, [24, 2], TZ, QUIET).values():
        assert now <= send_at < due
        assert not QUIET.contains(send_at.astimezone(TZ).time())


def test_digest_day_and_time_are_settings() -> None:
    from bot.outbox.digest import next_digest_at
    from bot.runtime.config import Settings

    tuesday = local_moment(date(2026, 11, 24), time(12), TZ)
    monday = next_digest_at(tuesday, Settings())
    assert monday.astimezone(TZ) == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    friday = next_digest_at(tuesday, Settings(digest_weekday=4, digest_time=time(15, 30)))
    assert friday.astimezone(TZ) == datetime(2026, 11, 27, 15, 30, tzinfo=TZ)
