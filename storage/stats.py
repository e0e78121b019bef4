"""The statistics the funder asks for, counted in SQL: the one statistics query module.

`/stats`, `/team`, charts, exports and the weekly digest all read their numbers here,
so a figure means the same everywhere. Every answer is aggregate SQL (conditional
counts, GROUP BY) scoped by the Viewer; Python only reshapes the few aggregated rows. A
whole-project breakdown reads its check-ins from the day tallies the database's triggers
keep (storage/models.py, "derived tables"). Definitions (DESIGN.md "Statistics", "Outcomes"):

- a period is a range of local dates, both ends inclusive; `None` leaves an end open;
- *participants* are those in the project at some time during the period (enrolled on
  or before its end, not ended before its start): the base of "% of all";
- *enrolled* / *ended*: `enrolled_on` / `ended_on` within the period;
- *active* is "now" (not ended), whatever the period: shown apart, labelled "now";
- outcome categories come from `OUTCOME_CATEGORY`; which end reasons are dropouts is the
  DROPOUT_REASONS setting (`storage.models.set_dropout_reasons`); an ended participant
  without an outcome counts as unknown; "to work or studies" = work + subsidised work +
  CSN studies;
- every gender value is counted (woman, man, other, not stated), so they add up;
- a share shown or exported is rounded half up (`round_half_up`), as funders and Excel do;
- check-ins are counted by the local day they happened on and grouped (like everything
  else) by the participant's coordinator, not by who typed them.

A share is None when its base is zero, never a division by zero.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from decimal import ROUND_HALF_UP
from decimal import Decimal
from functools import lru_cache
from typing import Any
from typing import Literal

from sqlalchemy import BigInteger
from sqlalchemy import ColumnElement
from sqlalchemy import Result
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import exists
from sqlalchemy import extract
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import union_all
from sqlalchemy.sql import CompoundSelect
from sqlalchemy.sql import Executable
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import AsBoolean
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.elements import True_
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.access import Viewer
from storage.access import participant_scope
from storage.errors import NotFound
from storage.followups import SETTLED_ANSWERS
from storage.models import OUTCOME_CATEGORY
from storage.models import CheckIn
from storage.models import CheckInTallyCoordinator
from storage.models import CheckInTallyMunicipality
from storage.models import FollowUp
from storage.models import FollowUpState
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.models import Status
from storage.models import dropout_reasons

_p = Participant.__table__.c  # type: ignore[attr-defined]
_c = CheckIn.__table__.c  # type: ignore[attr-defined]
_f = FollowUp.__table__.c  # type: ignore[attr-defined]
_s = Staff.__table__.c  # type: ignore[attr-defined]
CHECKINS_OF_PARTICIPANTS = CheckIn.__table__.join(  # type: ignore[attr-defined]
    Participant.__table__, _c.participant_id == _p.id)  # type: ignore[attr-defined]

TO_WORK_OR_STUDIES: tuple[OutcomeCategory, ...] = (
    OutcomeCategory.WORK, OutcomeCategory.SUBSIDISED_WORK, OutcomeCategory.STUDIES)
SPLIT_GENDERS: tuple[Gender, ...] = tuple(Gender)
"""Every gender value, so the split adds up to the total (DESIGN.md "Statistics")."""
TEAM_CHECKIN_DAYS = 30
# A chart draws at most this many quarters (the latest): one bar per quarter since a
# typo'd year would otherwise be thousands of bars and minutes of drawing.
CHART_MAX_QUARTERS = 40
TEAM_FOLLOWUP_DAYS = 7

BreakdownBy = Literal["municipality", "coordinator"]
BREAKDOWNS: tuple[BreakdownBy, ...] = ("municipality", "coordinator")
# The participant column a breakdown groups by; its day tally (kept by triggers,
# storage/models.py "derived tables") names its key column the same.
GROUP_COLUMN: dict[BreakdownBy, str] = {"municipality": "municipality",
                                        "coordinator": "coordinator_id"}
_TALLIES = {"municipality": CheckInTallyMunicipality.__table__.c,  # type: ignore[attr-defined]
            "coordinator": CheckInTallyCoordinator.__table__.c}  # type: ignore[attr-defined]


async def execute(session: AsyncSession, query: Executable) -> Result[Any]:
    """Run a Core query (SQLModel's `exec` is typed for its own `select` only)."""
    return await session.exec(query)  # type: ignore[call-overload]


def share(part: int, whole: int) -> float | None:
    """`part / whole`, or None when there is nothing to divide by."""
    return part / whole if whole else None


def round_half_up(value: float, places: int = 0) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero: the one rounding rule
    for every share shown or exported (29/40 = 72.5 % → 73 %, as funders and Excel round).

    Read through the float's shortest decimal form (`repr`): 0.725 is stored as
    0.72499999…, and rounding the binary value would give 72 %.
    """
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_of(value: float, places: int = 0) -> Decimal:
    """A share as a percentage, rounded half up: 0.725 → 73 (places=0), 72.5 (places=1)."""
    return round_half_up(float(Decimal(repr(value)) * 100), places)


def outcome_codes(*categories: OutcomeCategory) -> list[str]:
    return [code.value for code, category in OUTCOME_CATEGORY.items() if category in categories]


def category_of(code: str | None) -> OutcomeCategory:
    """The category of a stored outcome code (missing or unknown codes: UNKNOWN)."""
    try:
        return OUTCOME_CATEGORY[Outcome(code)] if code else OutcomeCategory.UNKNOWN
    except ValueError:
        return OutcomeCategory.UNKNOWN


# ---- the filter --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StatsFilter:
    """What to count: a period of local dates (inclusive) and optional narrowing.

    `tz` is the project's time zone: it turns the period into UTC bounds for check-ins,
    which are moments, while enrolment and end dates are already local dates.
    """

    tz: tzinfo
    start: date | None = None
    end: date | None = None
    municipality: str | None = None
    coordinator_id: int | None = None
    gender: Gender | None = None

    def moments(self) -> tuple[datetime | None, datetime | None]:
        """[from, to) in UTC: local midnight at the start, local midnight after the end."""
        low = _local_midnight(self.start, self.tz) if self.start else None
        high = _local_midnight(self.end + timedelta(days=1), self.tz) if self.end else None
        return low, high


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def narrowing(viewer: Viewer, flt: StatsFilter) -> list[ColumnElement[bool]]:
    """The viewer's scope and the filter's municipality, coordinator and gender."""
    conditions: list[ColumnElement[bool]] = [participant_scope(viewer)]
    if flt.municipality is not None:
        conditions.append(_p.municipality == flt.municipality)
    if flt.coordinator_id is not None:
        conditions.append(_p.coordinator_id == flt.coordinator_id)
    if flt.gender is not None:
        conditions.append(_p.gender == flt.gender.value)
    return conditions


def _lets_everyone_through(condition: ColumnElement[bool]) -> bool:
    """Whether a condition is the constant TRUE (`participant_scope` of a viewer who sees
    the whole project is `and_(true())`). Read from the policy's own expression, so a
    stricter policy in storage/access.py can never be bypassed here."""
    while isinstance(condition, AsBoolean):
        condition = condition.element
    return isinstance(condition, True_)


def narrows_participants(viewer: Viewer, flt: StatsFilter) -> bool:
    """Whether the scope or the filter leaves out some participants."""
    return not all(_lets_everyone_through(c) for c in narrowing(viewer, flt))


def _within(column: Any, start: date | None, end: date | None) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return and_(*conditions)


def during(flt: StatsFilter) -> ColumnElement[bool]:
    """In the project at some time during the period."""
    conditions: list[ColumnElement[bool]] = [true()]
    if flt.end is not None:
        conditions.append(_p.enrolled_on <= flt.end)
    if flt.start is not None:
        conditions.append(or_(_p.ended_on.is_(None), _p.ended_on >= flt.start))
    return and_(*conditions)


def checkins_during(flt: StatsFilter) -> list[ColumnElement[bool]]:
    low, high = flt.moments()
    conditions: list[ColumnElement[bool]] = []
    if low is not None:
        conditions.append(_c.happened_at >= low)
    if high is not None:
        conditions.append(_c.happened_at < high)
    return conditions


def _is_category(category: OutcomeCategory) -> ColumnElement[bool]:
    condition = _p.outcome.in_(outcome_codes(category))
    if category == OutcomeCategory.UNKNOWN:
        return or_(condition, _p.outcome.is_(None))
    return condition


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT(*) FILTER (WHERE condition): a conditional count (PostgreSQL, SQLite >= 3.30).

    The same count as COUNT(CASE WHEN condition THEN 1 END), ~20 % quicker on SQLite over
    100,000 participants (BENCHMARKS.md finding 5).
    """
    return func.count().filter(condition)


# ---- the figures -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GenderSplit:
    participants: int = 0
    ended: int = 0
    to_work_or_studies: int = 0

    @property
    def share_of_ended(self) -> float | None:
        return share(self.to_work_or_studies, self.ended)


@dataclass(frozen=True, slots=True)
class Figures:
    """The funder's questions for one scope and period, answered in one message."""

    participants: int = 0
    enrolled: int = 0
    active: int = 0
    ended: int = 0
    outcomes: dict[OutcomeCategory, int] = field(default_factory=dict)
    by_gender: dict[Gender, GenderSplit] = field(default_factory=dict)
    """Every gender value (SPLIT_GENDERS): the splits add up to the totals."""
    checkins: int = 0

    def outcome(self, category: OutcomeCategory) -> int:
        return self.outcomes.get(category, 0)

    def gender(self, gender: Gender) -> GenderSplit:
        return self.by_gender.get(gender, GenderSplit())

    @property
    def women(self) -> GenderSplit:
        return self.gender(Gender.WOMAN)

    @property
    def men(self) -> GenderSplit:
        return self.gender(Gender.MAN)

    @property
    def to_work_or_studies(self) -> int:
        return sum(self.outcome(category) for category in TO_WORK_OR_STUDIES)

    @property
    def ended_excluding_dropouts(self) -> int:
        return self.ended - self.outcome(OutcomeCategory.DROPOUT)

    @property
    def share_of_ended(self) -> float | None:
        return share(self.to_work_or_studies, self.ended)

    @property
    def share_excluding_dropouts(self) -> float | None:
        return share(self.to_work_or_studies, self.ended_excluding_dropouts)

    @property
    def share_of_all(self) -> float | None:
        return share(self.to_work_or_studies, self.participants)

    @property
    def is_empty(self) -> bool:
        return not (self.participants or self.active or self.checkins)


def _figure_columns(flt: StatsFilter) -> list[Label[Any]]:
    ended = _within(_p.ended_on, flt.start, flt.end)
    reached = _p.outcome.in_(outcome_codes(*TO_WORK_OR_STUDIES))
    columns = [
        _count(during(flt)).label("participants"),
        _count(_within(_p.enrolled_on, flt.start, flt.end)).label("enrolled"),
        _count(_p.status != Status.ENDED.value).label("active"),
        _count(ended).label("ended"),
    ]
    columns += [_count(and_(ended, _is_category(category))).label(f"o_{category.value}")
                for category in OutcomeCategory]
    for gender in SPLIT_GENDERS:
        is_gender = _p.gender == gender.value
        columns += [
            _count(and_(is_gender, during(flt))).label(f"{gender.value}_participants"),
            _count(and_(is_gender, ended)).label(f"{gender.value}_ended"),
            _count(and_(is_gender, ended, reached)).label(f"{gender.value}_reached"),
        ]
    return columns


def _figures(row: Any, checkins: int) -> Figures:
    values = row._mapping
    splits = {gender: GenderSplit(values[f"{gender.value}_participants"],
                                  values[f"{gender.value}_ended"],
                                  values[f"{gender.value}_reached"])
              for gender in SPLIT_GENDERS}
    return Figures(
        participants=values["participants"], enrolled=values["enrolled"],
        active=values["active"], ended=values["ended"],
        outcomes={category: values[f"o_{category.value}"] for category in OutcomeCategory},
        by_gender=splits, checkins=checkins,
    )


async def project_figures(session: AsyncSession, viewer: Viewer, flt: StatsFilter) -> Figures:
    """Enrolled, active, ended and outcomes, the shares, the gender split and check-ins."""
    row = (await execute(session, _figures_query(viewer, flt, dropout_reasons()))).one()
    return _figures(row, row.checkins)


# Building one of these statements (some 30 expressions) and computing its cache key takes
# 1-3 ms, more than counting a coordinator's caseload; a statement is immutable and
# Viewer and StatsFilter are frozen, so each is built once per viewer and filter (and
# dropout setting: `dropouts` is only part of the cache key, the codes are read inside).
@lru_cache(maxsize=256)
def _figures_query(viewer: Viewer, flt: StatsFilter, dropouts: tuple[Any, ...]) -> Select[Any]:
    # One statement, one round trip: for a small scope the second trip cost more than
    # the counting (BENCHMARKS.md finding 5). The check-in count must not correlate with
    # the outer participant row: it counts the whole scope on its own.
    checkins = _checkin_counts(viewer, flt).correlate(None).scalar_subquery()
    return (select(*_figure_columns(flt), checkins.label("checkins"))
            .select_from(Participant.__table__).where(*narrowing(viewer, flt)))


@lru_cache(maxsize=256)
def _breakdown_queries(viewer: Viewer, flt: StatsFilter, by: BreakdownBy,
                       dropouts: tuple[Any, ...]) -> tuple[Select[Any], Select[Any]]:
    key = _p[GROUP_COLUMN[by]]
    grouped = (select(key.label("key"), *_figure_columns(flt))
               .select_from(Participant.__table__)
               .where(*narrowing(viewer, flt))
               .group_by(key))
    if narrows_participants(viewer, flt):
        return grouped, (select(key.label("key"), func.count())
                         .select_from(CHECKINS_OF_PARTICIPANTS)
                         .where(*narrowing(viewer, flt), *checkins_during(flt))
                         .group_by(key))
    return grouped, _tallied_checkin_counts(flt, by)


def _checkin_counts(viewer: Viewer, flt: StatsFilter) -> Select[Any]:
    """Check-ins in the period within the viewer's scope.

    The query's shape follows what the viewer sees (measured in BENCHMARKS.md, finding 5):
    a narrowing scope or filter joins check-ins to participants, so the database starts
    from the few participants in scope and reads their check-ins from
    `ix_checkin_participant_happened`; for the whole project the join adds nothing.
    (A whole-project breakdown reads the day tallies: `_tallied_checkin_counts`.)
    """
    if narrows_participants(viewer, flt):
        return (select(func.count())
                .select_from(CHECKINS_OF_PARTICIPANTS)
                .where(*narrowing(viewer, flt), *checkins_during(flt)))
    # Every check-in belongs to a participant (NOT NULL foreign key, ON DELETE CASCADE,
    # enforced on SQLite too: storage/db.py), so for a viewer who sees them all the join
    # changes no count.
    return select(func.count()).select_from(CheckIn.__table__).where(*checkins_during(flt))


def _summed(parts: Select[Any] | CompoundSelect) -> Select[Any]:
    """(key, n) rows added up per key. SUM is NUMERIC on PostgreSQL: cast, so a count
    stays an int everywhere."""
    rows = parts.subquery()
    return select(rows.c.key, cast(func.sum(rows.c.n), BigInteger)).group_by(rows.c.key)


def _next_utc_midnight(moment: datetime) -> datetime:
    midnight = datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return midnight if midnight == moment else midnight + timedelta(days=1)


def _tallied_checkin_counts(flt: StatsFilter, by: BreakdownBy) -> Select[Any]:
    """Check-ins in the period per municipality or coordinator, for the whole project.

    Whole UTC days come from the day tallies the triggers keep: a year is a few thousand
    tally rows instead of every check-in (BENCHMARKS.md finding 5). The period's ends are
    local midnights (22:00 or 23:00 UTC in Sweden), so the part of a UTC day at either end
    is counted live from the check-ins, which is a small range of the period index.
    """
    low, high = flt.moments()
    first = _next_utc_midnight(low) if low is not None else None
    last = datetime.combine(high.astimezone(UTC).date(), time(0), tzinfo=UTC) \
        if high is not None else None
    if first is not None and last is not None and first >= last:
        # Less than one whole UTC day: nothing to read from the tallies.
        return _summed(_live_checkins(low, high, by))
    tally = _TALLIES[by]
    key = tally[GROUP_COLUMN[by]]
    days = select(key.label("key"), tally.checkins.label("n"))
    if first is not None:
        days = days.where(tally.day >= first.date())
    if last is not None:
        days = days.where(tally.day < last.date())
    parts = [days]
    for edge_low, edge_high in ((low, first), (last, high)):
        if edge_low is not None and edge_high is not None and edge_low < edge_high:
            parts.append(_live_checkins(edge_low, edge_high, by))
    return _summed(union_all(*parts) if len(parts) > 1 else days)


def _live_checkins(low: datetime | None, high: datetime | None,
                   by: BreakdownBy) -> Select[Any]:
    """Check-ins in [low, high) per municipality or coordinator, counted one by one."""
    key = _p[GROUP_COLUMN[by]]
    conditions = []
    if low is not None:
        conditions.append(_c.happened_at >= low)
    if high is not None:
        conditions.append(_c.happened_at < high)
    return (select(key.label("key"), func.count().label("n"))
            .select_from(CHECKINS_OF_PARTICIPANTS).where(*conditions).group_by(key))


# ---- breakdown by municipality or coordinator --------------------------------------------
@dataclass(frozen=True, slots=True)
class BreakdownRow:
    key: str
    label: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class Breakdown:
    by: BreakdownBy
    rows: list[BreakdownRow]
    total: Figures


async def breakdown(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter, by: BreakdownBy = "municipality"
) -> Breakdown:
    """The same figures per municipality or per coordinator, with the overall totals.

    Groups where every figure is zero are left out, so the rows add up to the totals.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}")
    grouped_query, checkins_query = _breakdown_queries(viewer, flt, by, dropout_reasons())
    grouped = (await execute(session, grouped_query)).all()
    checkins = dict((await execute(session, checkins_query)).all())
    keys = [row.key for row in grouped]
    labels = await _staff_names(session, keys) if by == "coordinator" else {}
    every = [BreakdownRow(str(row.key), labels.get(row.key, str(row.key)),
                          _figures(row, checkins.get(row.key, 0))) for row in grouped]
    # Each participant is in exactly one group (GROUP BY puts NULLs together too) and each
    # check-in goes with its participant, so the groups, empty ones included, add up to
    # exactly what project_figures would count: no need to ask the database again.
    total = _sum(row.figures for row in every)
    rows = [row for row in every if not row.figures.is_empty]
    rows.sort(key=lambda row: (-row.figures.participants, row.label.casefold()))
    return Breakdown(by, rows, total)


def _sum(groups: Iterable[Figures]) -> Figures:
    """Figures added up, group by group (shares follow from the sums)."""
    parts = list(groups)

    def added(name: str) -> int:
        return sum(getattr(part, name) for part in parts)

    def split(gender: Gender) -> GenderSplit:
        of = [part.gender(gender) for part in parts]
        return GenderSplit(sum(s.participants for s in of), sum(s.ended for s in of),
                           sum(s.to_work_or_studies for s in of))

    return Figures(
        participants=added("participants"), enrolled=added("enrolled"),
        active=added("active"), ended=added("ended"),
        outcomes={category: sum(part.outcome(category) for part in parts)
                  for category in OutcomeCategory},
        by_gender={gender: split(gender) for gender in SPLIT_GENDERS},
        checkins=added("checkins"))


async def _staff_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    result = await execute(session, select(_s.id, _s.name).where(_s.id.in_(list(ids))))
    return dict(result.all())


# ---- series for charts -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OutcomeSeries:
    """Ended participants per category for each label (a quarter or a municipality)."""

    labels: list[str]
    counts: dict[OutcomeCategory, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.counts.values())


def _series(labels: list[str], cells: dict[tuple[str, OutcomeCategory], int]) -> OutcomeSeries:
    return OutcomeSeries(labels, {category: [cells.get((label, category), 0) for label in labels]
                                  for category in OutcomeCategory})


async def first_enrolment(session: AsyncSession, viewer: Viewer, flt: StatsFilter) -> date | None:
    """The earliest enrolment the viewer can see (where an open period's chart begins)."""
    query = select(func.min(_p.enrolled_on)).where(*narrowing(viewer, flt))
    value = (await execute(session, query)).scalar_one_or_none()
    return date.fromisoformat(value) if isinstance(value, str) else value


async def caseload_over_time(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter, days: Sequence[date]
) -> list[tuple[date, int]]:
    """How many participants were active at the end of each of `days` (one query)."""
    if not days:
        return []
    columns = [_count(and_(_p.enrolled_on <= day,
                           or_(_p.ended_on.is_(None), _p.ended_on > day))).label(f"d{index}")
               for index, day in enumerate(days)]
    query = select(*columns).select_from(Participant.__table__).where(*narrowing(viewer, flt))
    row = (await execute(session, query)).one()
    return list(zip(days, row, strict=True))


async def outcomes_per_quarter(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter
) -> OutcomeSeries:
    """Ended participants per quarter (of `ended_on`) and outcome category.

    Grouped by year, month and outcome code (plain expressions, so PostgreSQL and SQLite
    group alike); months fold into quarters and codes into categories afterwards.
    Quarters without endings between the first and the last are kept as zeros.
    """
    year, month = extract("year", _p.ended_on), extract("month", _p.ended_on)
    query = (select(year.label("year"), month.label("month"), _p.outcome, func.count())
             .where(*narrowing(viewer, flt), _within(_p.ended_on, flt.start, flt.end))
             .group_by(year, month, _p.outcome))
    cells: dict[tuple[str, OutcomeCategory], int] = {}
    quarters: set[tuple[int, int]] = set()
    for row_year, row_month, code, count in (await execute(session, query)).all():
        quarter = (int(row_year), (int(row_month) - 1) // 3 + 1)
        quarters.add(quarter)
        key = (_quarter_label(*quarter), category_of(code))
        cells[key] = cells.get(key, 0) + count
    latest = max(quarters) if quarters else None
    shown = _quarter_range(max(min(quarters), _quarters_before(latest, CHART_MAX_QUARTERS - 1)),
                           latest) if latest else []
    return _series([_quarter_label(*q) for q in shown], cells)


def _quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def _quarters_before(quarter: tuple[int, int], steps: int) -> tuple[int, int]:
    index = quarter[0] * 4 + quarter[1] - 1 - steps
    return index // 4, index % 4 + 1


def _quarter_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    span = (last[0] - first[0]) * 4 + last[1] - first[1]
    return [(first[0] + (first[1] - 1 + step) // 4, (first[1] - 1 + step) % 4 + 1)
            for step in range(span + 1)]


async def outcomes_by_municipality(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter
) -> OutcomeSeries:
    """Ended participants per municipality and outcome category, largest first."""
    query = (select(_p.municipality, _p.outcome, func.count())
             .where(*narrowing(viewer, flt), _within(_p.ended_on, flt.start, flt.end))
             .group_by(_p.municipality, _p.outcome))
    cells: dict[tuple[str, OutcomeCategory], int] = {}
    totals: dict[str, int] = {}
    for municipality, code, count in (await execute(session, query)).all():
        key = (municipality, category_of(code))
        cells[key] = cells.get(key, 0) + count
        totals[municipality] = totals.get(municipality, 0) + count
    labels = sorted(totals, key=lambda name: (-totals[name], name.casefold()))
    return _series(labels, cells)


# ---- the team and who needs attention ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class TeamRow:
    staff_id: int
    name: str
    caseload: int
    checkins_30_days: int
    followups_next_7_days: int
    unconfirmed_next_7_days: int
    """Of the follow-ups in the next 7 days, those the participant has not confirmed."""
    active: bool = True
    """False: the one row (last, staff_id 0, no name) for every participant whose
    coordinator was deactivated: "without an active coordinator" until handed over."""


async def team_overview(session: AsyncSession, viewer: Viewer, now: datetime) -> list[TeamRow]:
    """Per coordinator: caseload, check-ins in the last 30 days, follow-ups due soon.

    Everything is counted within the viewer's scope and by the participant's
    coordinator. Active coordinators with an empty caseload are listed too (if the
    viewer's municipalities include theirs), so an idle colleague is visible. The
    caseloads of deactivated staff come last, summed into one row (`active=False`).
    """
    scope = participant_scope(viewer)
    mine = and_(_p.coordinator_id == _s.id, scope)
    caseload = (select(func.count()).select_from(Participant.__table__)
                .where(mine, _p.status != Status.ENDED.value).scalar_subquery())
    checkins = (select(func.count())
                .select_from(CHECKINS_OF_PARTICIPANTS)
                .where(mine, _c.happened_at >= now - timedelta(days=TEAM_CHECKIN_DAYS),
                       _c.happened_at <= now)
                .scalar_subquery())
    soon = (select(func.count())
            .select_from(FollowUp.__table__.join(Participant.__table__,
                                                 _f.participant_id == _p.id))
            .where(mine, _f.state == FollowUpState.SCHEDULED.value, _f.due_at >= now,
                   _f.due_at < now + timedelta(days=TEAM_FOLLOWUP_DAYS)))
    due = soon.scalar_subquery()
    unconfirmed = soon.where(
        _f.response.not_in([a.value for a in SETTLED_ANSWERS])).scalar_subquery()
    has_caseload = exists(select(_p.id).where(mine, _p.status != Status.ENDED.value))
    query = (select(_s.id, _s.name, caseload, checkins, due, unconfirmed, _s.active)
             .where(or_(and_(_s.active.is_(True), _s.role == Role.COORDINATOR.value,
                             _staff_in_scope(viewer)),
                        has_caseload))
             .order_by(_s.name, _s.id))
    found = [TeamRow(*row) for row in (await execute(session, query)).all()]
    team = [row for row in found if row.active]
    orphaned = [row for row in found if not row.active]
    if orphaned:
        team.append(TeamRow(0, "", *(sum(getattr(row, name) for row in orphaned) for name in (
            "caseload", "checkins_30_days", "followups_next_7_days",
            "unconfirmed_next_7_days")), active=False))
    return team


def _staff_in_scope(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == Role.COORDINATOR:
        return _s.id == viewer.staff_id
    if viewer.municipalities:
        return _s.municipality.in_(viewer.municipalities)
    return true()


async def municipalities_in_scope(session: AsyncSession, viewer: Viewer) -> list[str]:
    """Every municipality the viewer has participants in (to resolve `kommun:vaxjo`)."""
    query = select(_p.municipality).where(participant_scope(viewer)).group_by(_p.municipality)
    return sorted((await execute(session, query)).scalars().all(), key=str.casefold)


async def coordinators_in_scope(session: AsyncSession, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of staff coordinating participants the viewer sees (for `coordinator:Bo`)."""
    query = (select(_s.id, _s.name)
             .where(exists(select(_p.id).where(_p.coordinator_id == _s.id,
                                                participant_scope(viewer))))
             .order_by(_s.name, _s.id))
    return [(row.id, row.name) for row in (await execute(session, query)).all()]


# ---- a municipality named in button data ------------------------------------------------
MUNICIPALITY_REF_LENGTH = 8
MUNICIPALITY_REF_PATTERN = r"[a-z2-7]{8}"


def municipality_ref(name: str) -> str:
    """A short, stable reference to a municipality name (8 base32 characters, 40 bits):
    button data carries this, never the name, so it fits Telegram's 64 bytes by
    construction whatever the name's length."""
    digest = hashlib.sha256(name.encode()).digest()
    return base64.b32encode(digest)[:MUNICIPALITY_REF_LENGTH].decode().lower()


async def municipality_by_ref(session: AsyncSession, ref: str) -> str:
    """The municipality a reference names, among those participants have (NotFound else).

    Not limited to the viewer's scope: what the figures count is (a reference to a
    municipality outside it counts nothing, as a typed name would), and the name comes
    back only to whoever could compute its reference from the name.
    """
    names = (await execute(session, select(_p.municipality).group_by(_p.municipality))
             ).scalars().all()
    for name in names:
        if municipality_ref(name) == ref:
            return name
    raise NotFound()
