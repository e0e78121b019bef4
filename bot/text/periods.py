"""Reporting periods as people type them: `month`, `2026-Q3`, `2026-01-01..2026-06-30`, `all`.

Pure: no Telegram, no database. A period is a range of *local* calendar dates, both ends
inclusive, because enrolment and end dates are stored as local dates. Words such as
"quarter" are taken relative to the local "today", which must come from `local_today`:
at 00:30 on 1 April in Stockholm it is still 31 March in UTC, and a UTC "today" would
put the lead in the wrong quarter. A participant who ended at 23:30 local on 31 March
has `ended_on` 31 March and so counts in Q1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

from bot.text.words import unaccented

ALL_KEY = "all"
_YEAR = r"(\d{4})"
_QUARTER_RE = re.compile(rf"^{_YEAR}-?q([1-4])$")
_QUARTER_FIRST_RE = re.compile(rf"^q([1-4])(?:-?{_YEAR})?$")
_MONTH_RE = re.compile(rf"^{_YEAR}-(\d{{1,2}})$")
_YEAR_RE = re.compile(rf"^{_YEAR}$")
_RANGE_SEPARATOR = ".."

# Words (folded: lower case, no accents) for periods relative to today.
_THIS = {"month": "month", "manad": "month", "quarter": "quarter", "kvartal": "quarter",
         "year": "year", "ar": "year"}
_LAST = {"last-month": "month", "forra-manaden": "month", "last-quarter": "quarter",
         "forra-kvartalet": "quarter", "last-year": "year", "forra-aret": "year"}
_ALL_WORDS = {"all", "allt", "alla"}


class Period(NamedTuple):
    """`start`/`end` inclusive (None: unbounded); `label` parses back to the same period."""

    start: date | None
    end: date | None
    label: str

    @property
    def is_all(self) -> bool:
        return self.start is None and self.end is None

    @property
    def is_single_day(self) -> bool:
        return self.start is not None and self.start == self.end

    def contains(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


ALL = Period(None, None, ALL_KEY)
LABEL_LIMIT = 22
"""The longest label a period has: `2026-01-01..2026-06-30` (button data is bounded by it)."""

# The calendar this project can mean. `storage.validation` has the same range for every
# date written (its twin: this module stays pure, storage cannot import `bot`);
# tests/test_hostile_edges.py checks that they agree.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def sane_day(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def in_calendar(period: Period) -> bool:
    """Whether the period's ends lie in 1900–2100 (`storage.validation`): outside, a
    typo (`0001`, `9999`) would make statistics and charts overflow or run for minutes."""
    return all(day is None or sane_day(day) for day in (period.start, period.end))


def parse_iso_day(text: str) -> date | None:
    """`2026-11-03` → that day; None when it is no date or lies outside 1900–2100."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if sane_day(day) else None


def local_today(now: datetime, tz: tzinfo) -> date:
    """Today's date on the project's wall clock (the only right "today" for periods)."""
    if now.utcoffset() is None:
        raise ValueError("local_today needs an aware datetime")
    return now.astimezone(tz).date()


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    return Period(first, _next_month(first) - timedelta(days=1), f"{year:04d}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    first = date(year, 3 * quarter - 2, 1)
    end = _next_month(_next_month(_next_month(first))) - timedelta(days=1)
    return Period(first, end, f"{year:04d}-Q{quarter}")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")


def range_period(start: date, end: date) -> Period:
    return Period(start, end, f"{start.isoformat()}{_RANGE_SEPARATOR}{end.isoformat()}")


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def current(unit: str, today: date) -> Period:
    """The month, quarter or year that contains `today`."""
    if unit == "month":
        return month_period(today.year, today.month)
    if unit == "quarter":
        return quarter_period(today.year, quarter_of(today))
    return year_period(today.year)


def previous(unit: str, today: date) -> Period:
    """The whole month, quarter or year before the one that contains `today`."""
    this = current(unit, today)
    assert this.start is not None
    return current(unit, this.start - timedelta(days=1))


def parse_period(text: str, today: date) -> Period | None:
    """The period `text` names, relative to the local `today`; None when it names none."""
    word = unaccented(text.strip()).replace(" ", "-")
    if not word:
        return None
    if word in _ALL_WORDS:
        return ALL
    if word in _THIS:
        return current(_THIS[word], today)
    if word in _LAST:
        return previous(_LAST[word], today)
    if _RANGE_SEPARATOR in word:
        return _parse_range(word)
    return _parse_calendar(word, today)


def _parse_calendar(word: str, today: date) -> Period | None:
    if match := _YEAR_RE.match(word):
        return _checked(lambda: year_period(int(match.group(1))))
    if match := _QUARTER_RE.match(word):
        return _checked(lambda: quarter_period(int(match.group(1)), int(match.group(2))))
    if match := _QUARTER_FIRST_RE.match(word):
        year = int(match.group(2)) if match.group(2) else today.year
        return _checked(lambda: quarter_period(year, int(match.group(1))))
    if match := _MONTH_RE.match(word):
        return _checked(lambda: month_period(int(match.group(1)), int(match.group(2))))
    return None


def _parse_range(word: str) -> Period | None:
    first, _, last = word.partition(_RANGE_SEPARATOR)
    start, end = parse_iso_day(first), parse_iso_day(last)
    if start is None or end is None:
        return None
    return range_period(start, end) if start <= end else None


def _checked(build: Callable[[], Period]) -> Period | None:
    """Build a calendar period; an impossible month (2026-13) or a year outside 1900–2100
    is no period."""
    try:
        period = build()
    except ValueError:
        return None
    return period if in_calendar(period) else None


def _next_month(first: date) -> date:
    return add_months(first, 1)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, the day clamped to the target month's length.

    (`storage.outcome_followups.add_months` is its twin: storage cannot import `bot`.)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + month // 12, month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from `start`'s month to `end`'s, the last one cut at `end`.

    The points of a "caseload over time" series: who was active at the end of each month.
    """
    if end < start:
        return []
    points: list[date] = []
    first = date(start.year, start.month, 1)
    while first <= end:
        last = _next_month(first) - timedelta(days=1)
        points.append(min(last, end))
        first = _next_month(first)
    return points
