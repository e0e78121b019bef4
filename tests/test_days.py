"""A day and a time of day as people type them into a field (bot/text/days.py)."""

from __future__ import annotations

from datetime import date
from datetime import time

import pytest

from bot.text.days import parse_typed_day
from bot.text.days import parse_typed_moment
from bot.text.days import parse_typed_time

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(("typed", "ahead", "day"), [
    ("2026-12-07", True, date(2026, 12, 7)),
    ("Idag", False, TUESDAY),
    ("igår", False, date(2026, 11, 23)),
    ("i morgon", True, date(2026, 11, 25)),
    ("7/12", True, date(2026, 12, 7)),
    ("7.12.2025", False, date(2025, 12, 7)),
    ("7 dec", True, date(2026, 12, 7)),
    ("7 dec", False, date(2025, 12, 7)),
    ("7:e December", True, date(2026, 12, 7)),
    ("december 7th", True, date(2026, 12, 7)),
    ("3 mars 2026", True, date(2026, 3, 3)),
    ("1 sept", False, date(2026, 9, 1)),
    ("24 nov", True, TUESDAY),
    ("24 nov", False, TUESDAY),
    ("fredag", True, date(2026, 11, 27)),
    ("på Fredag", False, date(2026, 11, 20)),
    ("tisdag", True, date(2026, 12, 1)),
    ("tuesday", False, date(2026, 11, 17)),
    ("mån", True, date(2026, 11, 30)),
    ("29 feb", True, date(2028, 2, 29)),
])
def test_typed_day_is_the_nearest_in_the_fields_direction(
    typed: str, ahead: bool, day: date
) -> None:
    assert parse_typed_day(typed, TUESDAY, ahead=ahead) == day


@pytest.mark.parametrize("typed", [
    "", "soon", "32/12", "31/11", "7 smarch", "0001-01-01", "7/12/0001", "halv tre", "14:30",
    "P-0042", "1 2 3",
])
def test_what_names_no_day_is_none(typed: str) -> None:
    assert parse_typed_day(typed, TUESDAY, ahead=True) is None
    assert parse_typed_day(typed, TUESDAY, ahead=False) is None


@pytest.mark.parametrize(("typed", "at"), [
    ("14:30", time(14, 30)), ("14.30", time(14, 30)), ("1430", time(14, 30)),
    ("930", time(9, 30)), ("14", time(14, 0)), ("kl 14", time(14, 0)),
    ("Kl. 9.30", time(9, 30)), ("klockan 8", time(8, 0)), ("at 9", time(9, 0)),
])
def test_typed_time_of_day(typed: str, at: time) -> None:
    assert parse_typed_time(typed) == at


@pytest.mark.parametrize("typed", ["", "24", "10:60", "halv tre", "2026-12-03", "123456",
                                   "1:5", "kl", "14:30 pm"])
def test_what_names_no_time_is_none(typed: str) -> None:
    assert parse_typed_time(typed) is None


@pytest.mark.parametrize(("typed", "moment"), [
    ("2026-12-07 10:00", (date(2026, 12, 7), time(10, 0))),
    ("fredag 14", (date(2026, 11, 27), time(14, 0))),
    ("imorgon kl 9.30", (date(2026, 11, 25), time(9, 30))),
    ("7 dec 10:00", (date(2026, 12, 7), time(10, 0))),
    ("på fredag klockan 8", (date(2026, 11, 27), time(8, 0))),
    ("10:00", None), ("fredag", None), ("fredag halv tre", None), ("", None),
])
def test_typed_day_and_time(typed: str, moment: tuple[date, time] | None) -> None:
    assert parse_typed_moment(typed, TUESDAY, ahead=True) == moment
