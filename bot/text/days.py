"""One day as people type it into a date field: `2026-12-07`, `idag`, `imorgon`, `7/12`,
`7.12.2026`, `7 dec`, `7 december`, `december 7`, `fredag`, `på fredag`; and a time of
day: `10:30`, `10.30`, `1030`, `10`, `kl 10`.

Day-first, as written in Sweden. A day without a year, or a weekday, is the nearest one in
the field's direction: `ahead` for a day something is booked for (the next 7 December, the
coming Friday), else one that has been (an enrolment day, the day someone ended). Month and
weekday names come from Babel's Swedish and English calendars. Pure: no Telegram, no
database.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import time
from datetime import timedelta
from functools import cache

from babel.dates import get_day_names
from babel.dates import get_month_names

from bot.text.periods import parse_iso_day
from bot.text.periods import sane_day
from bot.text.words import unaccented

CALENDAR_LANGUAGES = ("sv", "en")
_RELATIVE = {"idag": 0, "i dag": 0, "today": 0, "igar": -1, "i gar": -1, "yesterday": -1,
             "imorgon": 1, "i morgon": 1, "tomorrow": 1}
_LEADING_WORDS = ("pa ", "on ", "den ", "the ")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?::?[ae]|st|nd|rd|th)?\.? ([a-z]+)\.?(?: (\d{4}))?$")
CLOCK_WORDS = r"kl\.?|klockan|at"
"""What people write before a time (`kl 14`, `klockan 9`, `at 10`), as a pattern."""
_TIME = re.compile(rf"^(?:{CLOCK_WORDS})?\s*(\d{{1,2}})(?:[:.]?(\d{{2}}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,?(?: (\d{4}))?$")


@cache
def _month_numbers() -> dict[str, int]:
    """`december`, `dec`, `sept` (any prefix of three letters or more) → 12, 12, 9."""
    numbers: dict[str, int] = {}
    for language in CALENDAR_LANGUAGES:
        for number, name in get_month_names("wide", locale=language).items():
            word = unaccented(name)
            for cut in range(3, len(word) + 1):
                numbers.setdefault(word[:cut], number)
    return numbers


@cache
def _weekday_numbers() -> dict[str, int]:
    """`fredag`, `fre`, `friday`, `fri` → 4 (Monday is 0)."""
    numbers: dict[str, int] = {}
    for language in CALENDAR_LANGUAGES:
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, locale=language).items():
                numbers.setdefault(unaccented(name).rstrip("."), number)
    return numbers


def parse_typed_day(text: str, today: date, *, ahead: bool) -> date | None:
    """The day `text` names, or None when it names none (or one outside 1900–2100)."""
    word = " ".join(unaccented(text).split())
    if word in _RELATIVE:
        return today + timedelta(days=_RELATIVE[word])
    if (iso := parse_iso_day(word)) is not None:
        return iso
    for leading in _LEADING_WORDS:
        word = word.removeprefix(leading)
    if word in _weekday_numbers():
        return _nearest_weekday(_weekday_numbers()[word], today, ahead)
    if match := _NUMERIC.match(word):
        day, month, year = match.groups()
        return _day_of(int(day), int(month), year, today, ahead)
    if (match := _DAY_MONTH.match(word)) and match.group(2) in _month_numbers():
        day, name, year = match.groups()
        return _day_of(int(day), _month_numbers()[name], year, today, ahead)
    if (match := _MONTH_DAY.match(word)) and match.group(1) in _month_numbers():
        name, day, year = match.groups()
        return _day_of(int(day), _month_numbers()[name], year, today, ahead)
    return None


def _nearest_weekday(weekday: int, today: date, ahead: bool) -> date:
    """The coming such weekday (after today), or the last one (before today)."""
    if ahead:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def _day_of(day: int, month: int, year: str | None, today: date, ahead: bool) -> date | None:
    """The day with this day and month: in `year`, else the nearest in the direction."""
    step = 1 if ahead else -1
    # Four years reach the nearest 29 February.
    years = (int(year),) if year else range(today.year, today.year + 5 * step, step)
    for candidate_year in years:
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if year or (candidate >= today if ahead else candidate <= today):
            return candidate if sane_day(candidate) else None
    return None


def parse_typed_time(text: str) -> time | None:
    """The time of day `text` names (`14:30`, `14.30`, `1430`, `14`, `kl 14`, `klockan
    9.30`, `at 9`), or None."""
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_typed_moment(text: str, today: date, *, ahead: bool) -> tuple[date, time] | None:
    """A day and then a time (`2026-12-07 10:00`, `fredag 14`, `imorgon kl 9.30`, `7 dec
    10:00`), or None."""
    words = text.split()
    for time_words in (1, 2):  # the time is the last word, or `kl 14`
        if len(words) <= time_words:
            break
        at = parse_typed_time(" ".join(words[-time_words:]))
        day = parse_typed_day(" ".join(words[:-time_words]), today, ahead=ahead)
        if at is not None and day is not None:
            return day, at
    return None
