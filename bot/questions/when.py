"""Periods and durations in questions: "förra kvartalet", "sedan 1 oktober", "i fredags",
"mellan 1 mars och 30 juni", "the last 30 days", "två veckor".

Matching happens before the intent is known and yields *specs*; a spec is resolved
against `today` once the parser knows whether the question looks forward (agenda:
"fredag" is the coming Friday) or back (statistics: "fredag" is the last one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta

from bot.questions.model import Duration
from bot.questions.text import Token
from bot.text.periods import ALL
from bot.text.periods import Period
from bot.text.periods import add_months
from bot.text.periods import current
from bot.text.periods import half_period
from bot.text.periods import month_period
from bot.text.periods import quarter_period
from bot.text.periods import range_period
from bot.text.periods import week_period
from bot.text.periods import year_period


class Vague:
    """A duration without an amount ("några veckor", "a while"): ask which."""

    def __init__(self, unit: str | None) -> None:
        self.unit = unit


Resolved = Period | Duration | Vague


# ---- calendar periods and their /stats labels ------------------------------------------
def day_period(day: date) -> Period:
    return range_period(day, day)


def _calendar(unit: str, day: date) -> Period:
    """The calendar week, month, quarter, half-year or year around `day` (periods.current)."""
    return current(unit, day)


def _shift(unit: str, day: date, steps: int) -> date:
    if unit == "week":
        return day + timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[unit]
    return add_months(day, steps * months)


# ---- specs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        """One reading, or several when the words allow more than one."""
        raise NotImplementedError


@dataclass(frozen=True)
class Fixed(Spec):
    period: Period

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return (self.period,)


@dataclass(frozen=True)
class DayOffset(Spec):
    offset: int

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return (day_period(today + timedelta(days=self.offset)),)


@dataclass(frozen=True)
class Calendar(Spec):
    relative: str  # this, last, next
    unit: str
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        steps = {"this": 0, "last": -1, "next": 1}[self.relative]
        return (_calendar(self.unit, _shift(self.unit, today, steps)),)


@dataclass(frozen=True)
class Weekday(Spec):
    index: int  # Monday 0
    mode: str | None  # past, future, this, next, last; None: as the question looks

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        mode = self.mode or ("future" if future else "past")
        ahead = (self.index - today.weekday()) % 7
        behind = (today.weekday() - self.index) % 7 or 7
        coming, previous = today + timedelta(days=ahead), today - timedelta(days=behind)
        monday = today - timedelta(days=today.weekday())
        if mode == "this":
            return (day_period(monday + timedelta(days=self.index)),)
        if mode == "future":
            return (day_period(coming),)
        if mode == "past":
            return (day_period(previous),)
        if mode == "next":
            upcoming = coming if ahead else coming + timedelta(days=7)
            if upcoming < monday + timedelta(days=7):  # still this week: or the one after?
                return (day_period(upcoming), day_period(upcoming + timedelta(days=7)))
            return (day_period(upcoming),)
        if previous >= monday:  # "last Friday" said on a Saturday: yesterday, or a week ago?
            return (day_period(previous), day_period(previous - timedelta(days=7)))
        return (day_period(previous),)


def _infer_year(month: int, day: int, today: date, future: bool) -> date | None:
    """The date with this month and day nearest `today` in the question's direction."""
    for year in ((today.year, today.year + 1) if future else (today.year, today.year - 1)):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate >= today) if future else (candidate <= today):
            return candidate
    return None


@dataclass(frozen=True)
class Day(Spec):
    day: int
    month: int
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        found = self.as_date(today, future)
        return (day_period(found),) if found else ()

    def as_date(self, today: date, future: bool) -> date | None:
        if self.year is None:
            return _infer_year(self.month, self.day, today, future)
        try:
            return date(self.year, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True)
class Month(Spec):
    month: int
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        year = self.year
        if year is None:
            year = today.year
            if not future and self.month > today.month:
                year -= 1
            if future and self.month < today.month:
                year += 1
        return (month_period(year, self.month),)


@dataclass(frozen=True)
class Quarter(Spec):
    quarter: int
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        year = self.year
        if year is None:
            current = (today.month - 1) // 3 + 1
            year = today.year - (1 if not future and self.quarter > current else 0)
        return (quarter_period(year, self.quarter),)


@dataclass(frozen=True)
class Half(Spec):
    half: int
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        year = self.year
        if year is None:
            year = today.year - (1 if not future and self.half == 2 and today.month <= 6 else 0)
        return (half_period(year, self.half),)


@dataclass(frozen=True)
class WeekNumber(Spec):
    week: int
    year: int | None = None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        year = self.year or today.year
        try:
            return (week_period(date.fromisocalendar(year, self.week, 1)),)
        except ValueError:
            return ()


@dataclass(frozen=True)
class Rolling(Spec):
    """The last (or next) N days/weeks/months, today included."""

    duration: Duration
    forward: bool = False

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        if self.forward:
            return (range_period(today, self.duration.after(today) - timedelta(days=1)),)
        return (range_period(self.duration.before(today) + timedelta(days=1), today),)


@dataclass(frozen=True)
class Said(Spec):
    """A bare duration ("två veckor", "for a month"): what it means depends on the question."""

    duration: Duration

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return (self.duration,)


@dataclass(frozen=True)
class Ago(Spec):
    """"för två veckor sedan", "three months ago": that week, month or year (or day)."""

    duration: Duration

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        point = self.duration.before(today)
        if self.duration.unit == "day":
            return (day_period(point),)
        return (_calendar(self.duration.unit, point),)


@dataclass(frozen=True)
class Later(Spec):
    """"om två dagar", "in two weeks": that day ahead for the agenda; otherwise "for"."""

    duration: Duration

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        if future:
            return (day_period(self.duration.after(today)),)
        return (self.duration,)


@dataclass(frozen=True)
class Since(Spec):
    point: Spec

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        results: list[Resolved] = []
        for start in self.point.resolve(today, future=False):
            if isinstance(start, Duration):
                results.append(start)
            elif isinstance(start, Period) and start.start is not None and start.start <= today:
                results.append(range_period(start.start, today))
        return tuple(results)


@dataclass(frozen=True)
class Between(Spec):
    first: Spec
    last: Spec

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        first, last = self.first, self.last
        first_year, last_year = getattr(first, "year", None), getattr(last, "year", None)
        # "1 mars – 30 juni 2025": a year said once holds for both ends.
        if isinstance(first, Day | Month) and first_year is None and last_year is not None:
            first = replace(first, year=last_year)
        start = _first_day(first.resolve(today, future))
        if start is None:
            return ()
        if isinstance(last, Day | Month) and last_year is None:
            end = _last_day(replace(last, year=start.year).resolve(today, future))
            if end is not None and end < start:
                end = _last_day(replace(last, year=start.year + 1).resolve(today, future))
        elif isinstance(last, Weekday) and last.mode is None:
            end = start + timedelta(days=(last.index - start.weekday()) % 7)  # "mån–ons"
        else:
            end = _last_day(last.resolve(today, future))
        if end is None or end < start:
            return ()
        return (range_period(start, end),)


def _first_day(resolved: tuple[Resolved, ...]) -> date | None:
    periods = [p for p in resolved if isinstance(p, Period) and p.start is not None]
    return periods[0].start if len(periods) == 1 else None


def _last_day(resolved: tuple[Resolved, ...]) -> date | None:
    periods = [p for p in resolved if isinstance(p, Period) and p.end is not None]
    return periods[0].end if len(periods) == 1 else None


@dataclass(frozen=True)
class Either(Spec):
    """Words with two readings ("3/4": 3 April or March 4)."""

    options: tuple[Spec, ...]

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return tuple(r for option in self.options for r in option.resolve(today, future))


@dataclass(frozen=True)
class Unclear(Spec):
    unit: str | None

    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return (Vague(self.unit),)


@dataclass(frozen=True)
class AllTime(Spec):
    def resolve(self, today: date, future: bool) -> tuple[Resolved, ...]:
        return (ALL,)


# ---- matching ------------------------------------------------------------------------
@dataclass
class Context:
    tokens: list[Token]
    language: str
    months_after_for: bool = True
    """"för oktober" is a period, except in "hur går det för August"."""

    def at(self, index: int) -> Token | None:
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def has(self, index: int, kind: str, *, strong: bool = False) -> bool:
        token = self.at(index)
        if token is None or token.used:
            return False
        sense = token.sense(kind)
        return sense is not None and not (strong and sense.weak)

    def value(self, index: int, kind: str):
        token = self.at(index)
        sense = token.sense(kind) if token else None
        return sense.value if sense else None


Match = tuple[int, Spec]  # (index after the match, spec)
Matcher = Callable[[Context, int], Match | None]


def _unit(ctx: Context, index: int, *units: str) -> str | None:
    value = ctx.value(index, "unit") if ctx.has(index, "unit") else None
    return value if value is not None and (not units or value in units) else None


def _number(ctx: Context, index: int) -> int | None:
    if ctx.has(index, "num"):
        return ctx.value(index, "num")
    return None


_PLURAL_UNITS = frozenset({"dagar", "dagarna", "veckor", "veckorna", "manader", "manaderna",
                           "kvartalen", "aren", "days", "weeks", "months", "quarters", "years"})


def _duration_of(amount: int, unit: str) -> Duration:
    if unit == "fortnight":
        return Duration(2 * amount, "week")
    if unit in {"quarter", "half"}:
        return Duration((3 if unit == "quarter" else 6) * amount, "month")
    return Duration(amount, unit)


def _amount(ctx: Context, index: int) -> Match | None:
    """`N unit`, `a fortnight`, `ett halvår`; `några veckor` → Unclear."""
    if ctx.has(index, "vague"):
        unit = _unit(ctx, index + 1)
        return (index + 2, Unclear(unit)) if unit else None
    number = _number(ctx, index)
    unit = _unit(ctx, index + 1)
    if number is None or unit is None or not 0 < number <= 400:
        return None
    return index + 2, Said(_duration_of(number, unit))


def _year_after(ctx: Context, index: int) -> tuple[int, int | None, str | None]:
    """An optional year after a month or quarter: `2025`, `år 2025`, `i år`, `förra året`,
    `of 2025`. Returns (index after, absolute year, relative word)."""
    skip = index + 1 if ctx.has(index, "prep_for") else index  # "of 2025", "för 2025"
    if ctx.has(skip, "year"):
        return skip + 1, ctx.value(skip, "year"), None
    if _unit(ctx, skip, "year") and ctx.has(skip + 1, "year"):
        return skip + 2, ctx.value(skip + 1, "year"), None
    if ctx.has(index, "calendar"):
        relative, unit = ctx.value(index, "calendar")
        if unit == "year":
            return index + 1, None, relative
    for word in ("this", "last", "next"):
        if ctx.has(index, word) and _unit(ctx, index + 1, "year"):
            return index + 2, None, word
    return index, None, None


def _with_year(spec_year: int | None, relative: str | None, today_year: int) -> int | None:
    if relative is not None:
        return today_year + {"this": 0, "last": -1, "next": 1}[relative]
    return spec_year


class Grammar:
    """Finds the time expressions in tokens and marks their tokens used."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.matchers: tuple[Matcher, ...] = (
            self._between, self._since, self._rolling, self._calendar, self._quarter,
            self._week_number, self._date, self._month, self._year, self._day, self._weekday,
            self._duration, self._all_time,
        )

    def find(self, ctx: Context) -> list[Spec]:
        specs: list[Spec] = []
        index = 0
        while index < len(ctx.tokens):
            best: Match | None = None
            for matcher in self.matchers:
                found = matcher(ctx, index)
                if found is not None and found[0] > index and (best is None or
                                                              found[0] > best[0]):
                    best = found
            if best is None:
                index += 1
                continue
            for token in ctx.tokens[index:best[0]]:
                token.used = True
            specs.append(best[1])
            index = best[0]
        return specs

    # -- points: what can start or end a range, or follow "sedan"/"since" ---------------
    def _point(self, ctx: Context, index: int) -> Match | None:
        for matcher in (self._date, self._month, self._quarter, self._year, self._day,
                        self._weekday, self._calendar, self._week_number):
            found = matcher(ctx, index)
            if found is not None:
                return found
        return None

    def _between(self, ctx: Context, index: int) -> Match | None:
        opener = ctx.has(index, "between") or ctx.has(index, "from")
        start = index + 1 if opener else index
        first = self._point(ctx, start)
        if first is None:
            return None
        joint = first[0]
        joined = (ctx.has(joint, "to") or ctx.has(joint, "until")
                  or (ctx.has(index, "between") and ctx.has(joint, "and")))
        if not joined:
            return None
        last = self._point(ctx, joint + 1)
        if last is None:
            return None
        if not opener and not (ctx.has(joint, "to") or ctx.has(joint, "until")):
            return None
        return last[0], Between(first[1], last[1])

    def _since(self, ctx: Context, index: int) -> Match | None:
        if not (ctx.has(index, "since") or ctx.has(index, "from")):
            return None
        found = self._point(ctx, index + 1)
        if found is not None:
            return found[0], Since(found[1])
        if ctx.has(index, "since"):  # "sedan två veckor": for two weeks
            return _amount(ctx, index + 1)
        return None

    def _rolling(self, ctx: Context, index: int) -> Match | None:
        forward = ctx.has(index, "next")
        if not (ctx.has(index, "rolling") or forward):
            return None
        amount = _amount(ctx, index + 1)
        if amount is not None:
            end, said = amount
            return (end, Rolling(said.duration, forward=forward)) if isinstance(
                said, Said) else amount
        unit = _unit(ctx, index + 1)
        if unit is None or forward:
            return None
        if ctx.tokens[index + 1].word in _PLURAL_UNITS:
            return index + 2, Unclear(unit)  # "de senaste veckorna": how many?
        # "senaste veckan", "the past month": one unit back; "last week" is the calendar week.
        if ctx.has(index, "last") and unit != "fortnight":
            return None
        return index + 2, Rolling(_duration_of(1, unit))

    def _calendar(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "calendar"):
            relative, unit = ctx.value(index, "calendar")
            return index + 1, Calendar(relative, unit)
        for relative in ("this", "last", "next"):
            if not ctx.has(index, relative):
                continue
            unit = _unit(ctx, index + 1, "week", "month", "quarter", "half", "year")
            if unit:
                return index + 2, Calendar(relative, unit)
            if ctx.has(index + 1, "weekday"):
                weekday, _form = ctx.value(index + 1, "weekday")
                return index + 2, Weekday(weekday, relative)
        return None

    def _quarter(self, ctx: Context, index: int) -> Match | None:
        # "Q3", "2026-Q3", "Q3 2026", "2026 Q3", "H1", "Q3 förra året"
        year_first = ctx.has(index, "year")
        at = index + 1 if year_first else index
        for kind in ("quarter", "half"):
            if ctx.has(at, kind):
                year, number = ctx.value(at, kind)
                end = at + 1
                if year is None and year_first:
                    year = ctx.value(index, "year")
                elif year is None:
                    end, absolute, relative = _year_after(ctx, end)
                    year = _with_year(absolute, relative, self.today.year)
                return end, (Quarter(number, year) if kind == "quarter" else Half(number, year))
        # "tredje kvartalet", "3:e kvartalet 2025", "första halvåret", "kvartal 3"
        if ctx.has(index, "ordinal"):
            number = ctx.value(index, "ordinal")
            unit = _unit(ctx, index + 1, "quarter", "half")
        else:
            unit = _unit(ctx, index, "quarter", "half")
            number = _number(ctx, index + 1)
        if unit is None or number is None or not 1 <= number <= (4 if unit == "quarter" else 2):
            return None
        end, absolute, relative = _year_after(ctx, index + 2)
        year = _with_year(absolute, relative, self.today.year)
        return end, (Quarter(number, year) if unit == "quarter" else Half(number, year))

    def _week_number(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "week_number"):
            week, end = ctx.value(index, "week_number"), index + 1
        elif _unit(ctx, index, "week") and ctx.has(index + 1, "num") and not ctx.has(
                index - 1, "num"):
            week, end = ctx.value(index + 1, "num"), index + 2
        else:
            return None
        if not 1 <= week <= 53:
            return None
        end, absolute, relative = _year_after(ctx, end)
        return end, WeekNumber(week, _with_year(absolute, relative, self.today.year))

    def _date(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "date"):
            year, month, day = ctx.value(index, "date")
            return index + 1, Day(day, month, year)
        if ctx.has(index, "slash_date"):
            return self._slash(ctx, index)
        # "1 oktober", "1:a okt 2025", "1st of October", "den 1 oktober"
        if ctx.has(index, "day_number"):
            month_index = index + 2 if ctx.has(index + 1, "prep_for") else index + 1
            if ctx.has(month_index, "month"):
                day, month = ctx.value(index, "day_number"), ctx.value(month_index, "month")
                end, year = self._plain_year(ctx, month_index + 1)
                return end, Day(day, month, year)
        # "October 1", "Oct 1st, 2025"
        if ctx.has(index, "month") and ctx.has(index + 1, "day_number"):
            day, month = ctx.value(index + 1, "day_number"), ctx.value(index, "month")
            end, year = self._plain_year(ctx, index + 2)
            return end, Day(day, month, year)
        return None

    @staticmethod
    def _plain_year(ctx: Context, index: int) -> tuple[int, int | None]:
        if ctx.has(index, "year"):
            return index + 1, ctx.value(index, "year")
        return index, None

    def _slash(self, ctx: Context, index: int) -> Match | None:
        first, second, year_text = ctx.value(index, "slash_date")
        first, second = int(first), int(second)
        year = None
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        day_month = Day(first, second, year) if 1 <= second <= 12 and first <= 31 else None
        month_day = Day(second, first, year) if 1 <= first <= 12 and second <= 31 else None
        if ctx.language == "sv" or first == second:
            chosen = day_month
        elif day_month and month_day:
            return index + 1, Either((day_month, month_day))
        else:
            chosen = day_month or month_day
        return (index + 1, chosen) if chosen else None

    def _month(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "year_month"):
            year, month = ctx.value(index, "year_month")
            return (index + 1, Month(month, year)) if 1 <= month <= 12 else None
        if not ctx.has(index, "month"):
            return None
        month = ctx.value(index, "month")
        end, absolute, relative = _year_after(ctx, index + 1)
        year = _with_year(absolute, relative, self.today.year)
        before = ctx.at(index - 1)
        if before is not None and before.has("card"):
            return None  # "hur går det för august": a name, not a month
        confirmed = before is not None and (
            before.has("prep_in") or before.has("prep_dur") or before.has("since")
            or before.has("between") or before.has("to") or before.has("until")
            or before.has("from") or (before.has("prep_for") and ctx.months_after_for))
        if ctx.has(index, "month", strong=True) or confirmed or end > index + 1:
            if not confirmed and end == index + 1 and ctx.tokens[index].capitalized and index:
                return None  # "hur går det för August": a name, not a month
            return end, Month(month, year)
        return None

    def _year(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "year"):
            return index + 1, Fixed(year_period(ctx.value(index, "year")))
        if _unit(ctx, index, "year") and ctx.has(index + 1, "year"):
            return index + 2, Fixed(year_period(ctx.value(index + 1, "year")))
        return None

    def _day(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "day"):
            return index + 1, DayOffset(ctx.value(index, "day"))
        return None

    def _weekday(self, ctx: Context, index: int) -> Match | None:
        start = index
        mode: str | None = None
        if ctx.has(index, "prep_in") or ctx.has(index, "prep_dur"):
            start = index + 1
        if not ctx.has(start, "weekday"):
            return None
        weekday, form = ctx.value(start, "weekday")
        token = ctx.tokens[start]
        if token.sense("weekday").weak and start == index:
            return None
        if form == "s_form" and start > index and ctx.tokens[index].word == "i":
            mode = "past"  # "i fredags"
        elif start > index and ctx.tokens[index].word == "pa":
            mode = "future"  # "på fredag"
        elif form == "plural":
            return None  # "on Fridays": every Friday, not a period
        return start + 1, Weekday(weekday, mode)

    def _duration(self, ctx: Context, index: int) -> Match | None:
        start = index
        if ctx.has(index, "prep_dur") or ctx.has(index, "prep_in") or ctx.has(index, "prep_for"):
            start = index + 1
        if ctx.has(start, "vague_duration"):
            return start + 1, Unclear(None)
        amount = _amount(ctx, start)
        if amount is None:
            return None
        end, said = amount
        if isinstance(said, Said) and ctx.has(end, "ago"):
            return end + 1, Ago(said.duration)
        if isinstance(said, Said) and start > index and ctx.tokens[index].word in {"om", "in"}:
            return end, Later(said.duration)
        return amount if start == index else (end, said)

    def _all_time(self, ctx: Context, index: int) -> Match | None:
        if ctx.has(index, "all_time"):
            return index + 1, AllTime()
        return None
