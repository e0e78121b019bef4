"""What the database accepts from people: text without control characters, sane dates.

One check for every write: `check_row` runs before each flush (on every session
`storage.db.session_maker` makes) over every text, date and time column of every new or
changed row, so no query function can forget it. A NUL byte or a lone surrogate would
otherwise make PostgreSQL fail the statement, and a control character would reach
exports and chats; a date in year 0001 or 9999 makes charts and periods overflow or run
for minutes.
Refused input raises `UnprintableText` / `InvalidValue(field="date")`, which the bot
turns into a localized "nothing was saved".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import UnmappedInstanceError

from storage.errors import DomainError
from storage.errors import InvalidValue

# The calendar this project can mean: anything outside is a typo or an attack.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
EARLIEST_YEAR, LATEST_YEAR = EARLIEST_DAY.year, LATEST_DAY.year

# Line breaks and tabs are how people write notes; every other control character
# (C0, DEL, C1: Unicode category Cc) and lone surrogates (Cs, not encodable as UTF-8) are
# refused. Both categories are closed sets (Unicode's stability policy), so one character
# class matches them exactly and decides a note without a Python loop over its letters
# (tests/test_hostile_edges.py compares it with `unicodedata` over every code point).
ALLOWED_CONTROLS = frozenset("\n\t\r")
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# System-written tables: their text is built by code (JSON with escapes, error texts),
# not typed by people, and the outbox is written by the dispatcher.
_SYSTEM_TABLES = frozenset({"outbound_message"})


class UnprintableText(DomainError):
    """Text with a control character (NUL, escape, …): refused, nothing saved."""

    code = "unprintable_text"


def has_control_characters(text: str) -> bool:
    return _REFUSED.search(text) is not None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable_parameters(_connection: Any, _cursor: Any, statement: str,
                                 parameters: Any, _context: Any, _executemany: bool,
                                 ) -> tuple[str, Any]:
    """`before_cursor_execute`: a NUL byte or a lone surrogate in any statement's
    parameters — a search for `a\x00b` too, not only a write — is refused as bad input
    before the database fails on it (PostgreSQL cannot hold either)."""
    for value in _flat(parameters):
        # ASCII without NUL (nearly every value) is decided without the regex.
        if isinstance(value, str) and ("\x00" in value or not value.isascii()) \
                and _UNSTORABLE.search(value):
            raise UnprintableText(field="text")
    return statement, parameters


def _flat(parameters: Any) -> Iterator[Any]:
    if isinstance(parameters, dict):
        yield from parameters.values()
    elif isinstance(parameters, list | tuple):
        for item in parameters:
            if isinstance(item, dict | list | tuple):
                yield from _flat(item)
            else:
                yield item


def check_text(text: str, *, field: str = "text") -> str:
    if has_control_characters(text):
        raise UnprintableText(field=field)
    return text


def sane_day(day: date) -> bool:
    """Whether `day` (or a datetime's date) lies in 1900–2100."""
    return EARLIEST_DAY <= (day.date() if isinstance(day, datetime) else day) <= LATEST_DAY


def sane_year(year: int) -> bool:
    return EARLIEST_YEAR <= year <= LATEST_YEAR


def check_day(day: date, *, field: str = "date") -> date:
    if not sane_day(day):
        raise InvalidValue(field=field)
    return day


def check_value(value: Any, *, field: str) -> None:
    """Refuse one column value a person may have typed (see the module's docstring)."""
    if isinstance(value, str):
        check_text(value, field=field)
    elif isinstance(value, date):
        check_day(value, field="date")


def check_row(instance: object) -> None:
    """Check every text, date and time column of a row about to be written."""
    try:
        state = inspect(instance)
    except UnmappedInstanceError:
        return
    mapper = state.mapper
    if mapper.local_table.name in _SYSTEM_TABLES:  # type: ignore[union-attr]
        return
    for attribute in mapper.column_attrs:
        check_value(state.dict.get(attribute.key), field=attribute.key)


def check_flush(session: Session, _context: Any, _instances: Any) -> None:
    """`before_flush`: every new or changed row passes `check_row` (the one place)."""
    for instance in (*session.new, *session.dirty):
        check_row(instance)
