"""Reporting periods as people type them: `month`, `förra månaden`, `this quarter`,
`2026-Q3`, `2026-01-01..2026-06-30`, `all`.

The one period grammar: commands (`/stats förra kvartalet`), their buttons (which carry a
period's label) and the question parser (whose lexicon reads the words below) understand
the same period words. Pure: no Telegram, no database.

A period is a range of *local* calendar dates, both ends inclusive, because enrolment
and end dates are stored as local dates. Words such as "quarter" are taken relative to
the local "today", which must come from `local_today`: at 00:30 on 1 April in Stockholm
it is still 31 March in UTC, and a UTC "today" would put the lead in the wrong quarter.
A participant who ended at 23:30 local on 31 March has `ended_on` 31 March and so counts
in Q1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import NamedTuple

from bot.text.words import unaccented

ALL_KEY = "all"
_YEAR = r"(\d{4})"
_QUARTER_RE = re.compile(rf"^{_YEAR}-?q([1-4])$")
_QUARTER_FIRST_RE = re.compile(rf"^q([1-4])(?:-?{_YEAR})?$")
_MONTH_RE = re.compile(rf"^{_YEAR}-(\d{{1,2}})$")
_YEAR_RE = re.compile(rf"^{_YEAR}$")
_RANGE_SEPARATOR = ".."

# ---- the words of relative periods, Swedish and English --------------------------------
# Written as the question lexicon takes them (bot/questions/lexicon.py `_add`): words
# separated by spaces, a phrase's words joined by `_`. Both readers fold them alike.
THIS_WORDS = {"sv": "denna detta denne nuvarande innevarande den_här det_här",
              "en": "this current"}
LAST_WORDS = {"sv": "förra föregående förriga", "en": "last previous"}
UNIT_WORDS: dict[str, dict[str, str]] = {
    "week": {"sv": "vecka veckor veckan veckorna veckas", "en": "week weeks wk wks"},
    "month": {"sv": "månad månader månaden månaderna månads", "en": "month months"},
    "quarter": {"sv": "kvartal kvartalet kvartalen kvartals", "en": "quarter quarters"},
    "half": {"sv": "halvår halvåret halvårs", "en": "half-year halfyear half_year"},
    "year": {"sv": "året åren årets", "en": "year years"},
}
CALENDAR_PHRASES: dict[tuple[str, str], dict[str, str]] = {
    ("this", "year"): {"sv": "i_år hittills_i_år", "en": "year_to_date ytd so_far_this_year"},
    ("last", "year"): {"sv": "i_fjol ifjol"},
    ("this", "week"): {"sv": "i_veckan"},
    ("this", "month"): {"sv": "i_månaden"},
    ("this", "quarter"): {"sv": "i_kvartalet"},
}
# A unit word alone is the current one: `/stats month`, `/statistik kvartal`, `/stats år`.
_BARE_UNITS = {"month": "month", "manad": "month", "quarter": "quarter", "kvartal": "quarter",
               "year": "year", "ar": "year", "week": "week", "vecka": "week"}
_ALL_WORDS = {"all", "allt", "alla"}
PERIOD_UNITS = ("week", "month", "quarter", "half", "year")


def _entries(table: dict[str, str]) -> list[tuple[str, ...]]:
    return [tuple(unaccented(part) for part in entry.split("_"))
            for words in table.values() for entry in words.split()]


def _relative_phrases() -> dict[tuple[str, ...], tuple[str, str]]:
    """Folded word sequences → (this/last, unit): `("forra", "manaden")` → last month."""
    phrases: dict[tuple[str, ...], tuple[str, str]] = {}
    for relative, table in (("this", THIS_WORDS), ("last", LAST_WORDS)):
        for unit, unit_words in UNIT_WORDS.items():
            for first in _entries(table):
                for second in _entries(unit_words):
                    phrases[first + second] = (relative, unit)
    for meaning, table in CALENDAR_PHRASES.items():
        for entry in _entries(table):
            phrases[entry] = meaning
    for word, unit in _BARE_UNITS.items():
        phrases[(word,)] = ("this", unit)
    return phrases


RELATIVE_PHRASES = _relative_phrases()
LONGEST_PERIOD_WORDS = max(len(words) for words in RELATIVE_PHRASES)
"""How many typed words a period can take (a command parser tries this many first)."""


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


def week_period(monday: date) -> Period:
    return range_period(monday, monday + timedelta(days=6))


def half_period(year: int, half: int) -> Period:
    first = date(year, 1 if half == 1 else 7, 1)
    return range_period(first, add_months(first, 6) - timedelta(days=1))


def current(unit: str, today: date) -> Period:
    """The week, month, quarter, half-year or year that contains `today`."""
    if unit == "week":
        return week_period(today - timedelta(days=today.weekday()))
    if unit == "month":
        return month_period(today.year, today.month)
    if unit == "quarter":
        return quarter_period(today.year, quarter_of(today))
    if unit == "half":
        return half_period(today.year, 1 if today.month <= 6 else 2)
    return year_period(today.year)


def previous(unit: str, today: date) -> Period:
    """The whole week, month, quarter, half-year or year before the one containing `today`."""
    this = current(unit, today)
    assert this.start is not None
    return current(unit, this.start - timedelta(days=1))


def relative_period(relative: str, unit: str, today: date) -> Period:
    """"this"/"last" `unit`, relative to the local `today`."""
    return current(unit, today) if relative == "this" else previous(unit, today)


def parse_period(text: str, today: date) -> Period | None:
    """The period `text` names, relative to the local `today`; None when it names none.

    `förra månaden`, `denna månad`, `last quarter`, `previous-year`, `i fjol` and the
    calendar forms; words may be joined by spaces, `-` or `_`.
    """
    word = unaccented(text.strip()).replace(" ", "-")
    if not word:
        return None
    if word in _ALL_WORDS:
        return ALL
    words = tuple(part for part in re.split(r"[-_]+", word) if part)
    if words in RELATIVE_PHRASES:
        return relative_period(*RELATIVE_PHRASES[words], today)
    if _RANGE_SEPARATOR in word:
        return _parse_range(word)
    return _parse_calendar(word, today)


def leading_period(words: list[str], today: date) -> tuple[Period, int] | None:
    """The period named by the longest run of `words` from the first (and how many words it
    took): a command's words `["förra", "månaden", "per", "kommun"]` → last month, 2."""
    for size in range(min(LONGEST_PERIOD_WORDS, len(words)), 0, -1):
        period = parse_period(" ".join(words[:size]), today)
        if period is not None:
            return period, size
    return None


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
