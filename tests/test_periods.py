"""The period words a lead types, turned into local date ranges (pure, no bot needed)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from bot.text.i18n import Translator
from bot.text.periods import ALL
from bot.text.periods import Period
from bot.text.periods import local_today
from bot.text.periods import month_ends
from bot.text.periods import parse_period
from bot.text.stats_text import percent
from bot.text.stats_text import share_cell
from storage.stats import percent_of
from storage.stats import round_half_up
from storage.stats import share
from tests.conftest import STOCKHOLM

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
    ("månad", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
    ("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
    ("Kvartal", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
    ("year", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ("år", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025"),
    ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
    ("2026q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
    ("Q2", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-03"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    ("2026-01-01..2026-06-30", date(2026, 1, 1), date(2026, 6, 30), "2026-01-01..2026-06-30"),
    ("last-month", date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
    ("förra-kvartalet", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
    ("last-year", date(2025, 1, 1), date(2025, 12, 31), "2025"),
])
def test_period_words_and_calendar_names(text: str, start: date, end: date, label: str) -> None:
    assert parse_period(text, TODAY) == Period(start, end, label)


@pytest.mark.parametrize("text", ["all", "allt", "ALLA"])
def test_all_is_unbounded(text: str) -> None:
    period = parse_period(text, TODAY)
    assert period == ALL and period.is_all and period.contains(date(1999, 1, 1))


@pytest.mark.parametrize("text", ["", "banana", "2026-13", "2026-Q5", "2026-00",
                                  "2026-06-30..2026-01-01", "2026-02-30..2026-03-01", "Växjö",
                                  "kommun:Växjö", "12345"])
def test_what_is_no_period(text: str) -> None:
    assert parse_period(text, TODAY) is None


def test_every_label_parses_back_to_the_same_period() -> None:
    for text in ("month", "quarter", "year", "2026-01-01..2026-06-30", "last-month", "all"):
        period = parse_period(text, TODAY)
        assert period is not None
        assert parse_period(period.label, date(1990, 1, 1)) == period


def test_quarter_edges_are_inclusive() -> None:
    q1 = parse_period("2026-Q1", TODAY)
    assert q1 is not None
    assert q1.contains(date(2026, 3, 31)) and q1.contains(date(2026, 1, 1))
    assert not q1.contains(date(2026, 4, 1)) and not q1.contains(date(2025, 12, 31))


def test_this_quarter_follows_the_local_day_not_the_utc_day() -> None:
    # 23:30 on 31 March in Stockholm (summer time): still Q1 locally and in UTC.
    before_midnight = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
    assert local_today(before_midnight, STOCKHOLM) == date(2026, 3, 31)
    assert parse_period("quarter", local_today(before_midnight, STOCKHOLM)).label == "2026-Q1"
    # 00:30 on 1 April in Stockholm is 22:30 on 31 March in UTC: the local quarter is Q2.
    after_midnight = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert local_today(after_midnight, STOCKHOLM) == date(2026, 4, 1)
    assert parse_period("quarter", local_today(after_midnight, STOCKHOLM)).label == "2026-Q2"
    with pytest.raises(ValueError):
        local_today(datetime(2026, 3, 31, 22, 30), STOCKHOLM)


def test_month_ends_cover_every_month_and_stop_at_the_end() -> None:
    assert month_ends(date(2025, 11, 15), date(2026, 2, 10)) == [
        date(2025, 11, 30), date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 10)]
    assert month_ends(date(2026, 2, 1), date(2026, 1, 1)) == []


# ---- one rounding rule ----------------------------------------------------------------------
@pytest.mark.parametrize(("part", "whole", "shown"), [
    (29, 40, "73%"),  # 72.5 %: half up, as funders and Excel round (half-to-even gave 72 %)
    (1, 8, "13%"),  # 12.5 %
    (7, 8, "88%"),  # 87.5 %
    (1, 3, "33%"),
    (2, 3, "67%"),
    (1, 200, "1%"),  # 0.5 %
    (0, 5, "0%"),
])
def test_shares_are_rounded_half_up_wherever_shown(part: int, whole: int, shown: str) -> None:
    tr = Translator("en", STOCKHOLM)
    value = share(part, whole)
    assert percent(tr, value) == shown
    assert share_cell(value) == float(round_half_up(part / whole, 3))
    assert str(percent_of(29 / 40, 1)) == "72.5" and share_cell(29 / 40) == 0.725
