"""Funder reports (ESF+ and SCB), counted in SQL: the one reporting query module.

`/report` and `koordinator report` both read here, so a figure means the same in the
chat and in the file sent to the funder. Every figure is a conditional count grouped by
one dimension; Python only reshapes the few aggregated rows. Each report writes an
AuditLog row in the caller's transaction. Definitions (DESIGN.md "Funder reporting"):

- a period is a range of local dates, both ends inclusive (`None` leaves an end open);
- **protected identities** (skyddad identitet) are left out of every report, which says
  how many were left out;
- genders are reported as women, men and other (other and not stated);
- **entry indicators**: participants who started (`enrolled_on`) in the period, by their
  entry data; the age band is the age reached in the year they started;
- **results on leaving** (within 28 days): participants who ended in the period. Their
  situation is the end reason (work and subsidised work → employed, CSN studies and other
  education → in education, job seeking → job searching); where the end reason says none
  of these, the answer to the 28-day follow-up does; "gained a qualification" is the flag;
- **results at 6 months**: participants whose 6-month date (end date + 6 months) falls in
  the period, by their answer to the 6-month follow-up;
- **SCB starts and ends**: one row per start and per end in the period, in the month the
  date belongs to; the export notes which earlier months changed since the last one;
- **outcome rates**: participants who ended in the period, by gender, age band,
  education level and municipality; "to work or studies" = work, subsidised work and
  CSN studies, as a share of all who ended and of those who ended excluding dropouts;
- **days to outcome**: from start to end for those who ended in the period to work or
  studies (average and median);
- **13 months**: participants whose 13-month date falls in the period: how many answered
  the 13-month follow-up, and how many are working or studying then.

A share is None when its base is zero.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any
from typing import Literal

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import desc
from sqlalchemy import extract
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.access import participant_scope
from storage.db import is_postgresql
from storage.models import AuditLog
from storage.models import EducationLevel
from storage.models import EntryEmployment
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint
from storage.models import Gender
from storage.models import OutcomeCategory
from storage.models import OutcomeFollowUp
from storage.models import Participant
from storage.models import SensitiveAnswer
from storage.outcome_followups import ended_between
from storage.stats import TO_WORK_OR_STUDIES
from storage.stats import execute
from storage.stats import outcome_codes
from storage.stats import share

ReportKind = Literal["esf-entry", "esf-result", "scb-monthly", "outcomes"]
REPORT_KINDS: tuple[ReportKind, ...] = ("esf-entry", "esf-result", "scb-monthly", "outcomes")
GENDER_COLUMNS: tuple[str, ...] = ("woman", "man", "other")
AGE_BANDS: tuple[str, ...] = ("<18", "18-29", "30-54", "55+")
NOT_STATED = "not_stated"

_p = Participant.__table__.c  # type: ignore[attr-defined]
_o = OutcomeFollowUp.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    start: date | None
    end: date | None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _within(column: Any, period: ReportPeriod) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if period.start is not None:
        conditions.append(column >= period.start)
    if period.end is not None:
        conditions.append(column <= period.end)
    return and_(*conditions)


def _scope(viewer: Viewer) -> list[ColumnElement[bool]]:
    return [participant_scope(viewer), _p.protected_identity.is_(False)]


async def _left_out(session: AsyncSession, viewer: Viewer,
                    cohort: ColumnElement[bool]) -> int:
    """Protected identities the report would otherwise have counted."""
    query = select(func.count()).select_from(Participant.__table__).where(  # type: ignore[attr-defined]
        participant_scope(viewer), _p.protected_identity.is_(True), cohort)
    return int((await execute(session, query)).scalar_one())


_GENDER_BUCKET = case((_p.gender == Gender.WOMAN.value, "woman"),
                      (_p.gender == Gender.MAN.value, "man"), else_="other")
_AGE = extract("year", _p.enrolled_on) - _p.birth_year
_AGE_BAND = case((_p.birth_year.is_(None), NOT_STATED), (_AGE < 18, "<18"), (_AGE < 30, "18-29"),
                 (_AGE < 55, "30-54"), else_="55+")
_EDUCATION = func.coalesce(_p.education_level, NOT_STATED)


# ---- tables by gender ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GenderRow:
    key: str
    counts: dict[str, int]
    """woman, man, other."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class GenderSection:
    key: str
    rows: list[GenderRow]

    def row(self, key: str) -> GenderRow:
        return next(row for row in self.rows if row.key == key)


@dataclass(frozen=True, slots=True)
class GenderReport:
    sections: list[GenderSection]
    left_out: int

    def row(self, key: str) -> GenderRow:
        return next(row for section in self.sections for row in section.rows if row.key == key)


async def _gender_section(session: AsyncSession, key: str, source: Any,
                          conditions: list[ColumnElement[bool]],
                          indicators: Sequence[tuple[str, ColumnElement[bool]]]) -> GenderSection:
    query = (select(_GENDER_BUCKET.label("bucket"),
                    *[_count(condition).label(name) for name, condition in indicators])
             .select_from(source).where(*conditions).group_by(_GENDER_BUCKET))
    found = {row.bucket: row._mapping for row in (await execute(session, query)).all()}
    rows = [GenderRow(name, {gender: int(found[gender][name]) if gender in found else 0
                             for gender in GENDER_COLUMNS})
            for name, _ in indicators]
    return GenderSection(key, rows)


def _employment(*statuses: EntryEmployment) -> ColumnElement[bool]:
    return _p.entry_employment.in_([status.value for status in statuses])


ENTRY_SECTIONS: list[tuple[str, list[tuple[str, ColumnElement[bool]]]]] = [
    ("participants", [("participants", true())]),
    ("employment", [
        ("unemployed", _employment(EntryEmployment.UNEMPLOYED,
                                   EntryEmployment.LONG_TERM_UNEMPLOYED)),
        ("long_term_unemployed", _employment(EntryEmployment.LONG_TERM_UNEMPLOYED)),
        ("inactive", _employment(EntryEmployment.INACTIVE)),
        ("employed", _employment(EntryEmployment.EMPLOYED)),
        ("employment_not_stated", _p.entry_employment.is_(None)),
    ]),
    ("age", [(f"age_{band}", _AGE_BAND == band) for band in (*AGE_BANDS, NOT_STATED)]),
    ("education", [(level.value, _p.education_level == level.value)
                   for level in EducationLevel if level != EducationLevel.UNKNOWN]
     + [("education_unknown", or_(_p.education_level.is_(None),
                                  _p.education_level == EducationLevel.UNKNOWN.value))]),
    ("background", [
        ("third_country_national", _p.third_country_national.is_(True)),
        ("income_support", _p.income_support.is_(True)),
        ("registered_af", _p.registered_af.is_(True)),
        ("establishment_programme", _p.establishment_programme.is_(True)),
    ]),
]


def _sensitive(column: Any) -> list[tuple[str, ColumnElement[bool]]]:
    name = column.key
    return [*[(f"{name}_{answer.value}", column == answer.value) for answer in SensitiveAnswer],
            (f"{name}_not_stated", column.is_(None))]


SENSITIVE_SECTION: tuple[str, list[tuple[str, ColumnElement[bool]]]] = (
    "sensitive", [*_sensitive(_p.disability), *_sensitive(_p.foreign_background)])
"""Counted only where the project records them (SENSITIVE_CATEGORIES)."""


async def entry_indicators(session: AsyncSession, viewer: Viewer, period: ReportPeriod, *,
                           sensitive: bool = False) -> GenderReport:
    """ESF+ entry indicators by gender for the participants who started in the period;
    with `sensitive`, also disability and foreign background (counts, never names)."""
    cohort = _within(_p.enrolled_on, period)
    wanted = [*ENTRY_SECTIONS, SENSITIVE_SECTION] if sensitive else ENTRY_SECTIONS
    sections = [await _gender_section(session, key, Participant.__table__,  # type: ignore[attr-defined]
                                      [*_scope(viewer), cohort], indicators)
                for key, indicators in wanted]
    return GenderReport(sections, await _left_out(session, viewer, cohort))


def _answer_join(point: FollowUpPoint):
    alias = _o.alias(f"f_{point.name.lower()}")
    joined = Participant.__table__.outerjoin(  # type: ignore[attr-defined]
        alias, and_(alias.c.participant_id == _p.id, alias.c.point == point.value))
    return alias, joined


def _codes(*categories: OutcomeCategory) -> ColumnElement[bool]:
    return _p.outcome.in_(outcome_codes(*categories))


async def result_indicators(session: AsyncSession, viewer: Viewer,
                            period: ReportPeriod) -> GenderReport:
    """ESF+ result indicators on leaving (within 28 days) and at 6 months, by gender."""
    f28, leaving_source = _answer_join(FollowUpPoint.DAYS_28)
    answer28 = f28.c.answer
    employed = or_(_codes(OutcomeCategory.WORK, OutcomeCategory.SUBSIDISED_WORK))
    education = _p.outcome.in_(["studies", "other_education"])
    searching = _p.outcome == "job_seeking"
    # An ending without an outcome says nothing: IN on NULL is NULL (and NOT NULL too), which
    # would leave such a participant out of every situation, so it is said outright.
    told = and_(_p.outcome.is_not(None), or_(employed, education, searching))
    situation = [
        ("employed_on_leaving", or_(employed, and_(~told, answer28 == "working"))),
        ("education_on_leaving", or_(education, and_(~told, answer28 == "studying"))),
        ("job_searching_on_leaving",
         or_(searching, and_(~told, answer28 == FollowUpAnswer.LOOKING_FOR_WORK.value))),
        ("other_on_leaving", and_(~told, or_(answer28.is_(None), answer28.not_in(
            ["working", "studying", FollowUpAnswer.LOOKING_FOR_WORK.value])))),
    ]
    left = _within(_p.ended_on, period)
    leaving = await _gender_section(session, "leaving", leaving_source,
                                    [*_scope(viewer), left], [
        ("left", true()), *situation,
        ("gained_qualification", _p.gained_qualification.is_(True)),
        ("dropouts", _codes(OutcomeCategory.DROPOUT)),
    ])
    f6, six_source = _answer_join(FollowUpPoint.MONTHS_6)
    first, last = ended_between(FollowUpPoint.MONTHS_6, period.start, period.end)
    six_cohort = _within(_p.ended_on, ReportPeriod(first, last))
    six = await _gender_section(session, "six_months", six_source,
                                [*_scope(viewer), six_cohort], [
        ("six_month_cohort", true()),
        ("six_month_answered", f6.c.answer.is_not(None)),
        ("employed_at_six_months", f6.c.answer == FollowUpAnswer.WORKING.value),
        ("education_at_six_months", f6.c.answer == FollowUpAnswer.STUDYING.value),
        ("job_searching_at_six_months", f6.c.answer == FollowUpAnswer.LOOKING_FOR_WORK.value),
    ])
    left_out = await _left_out(session, viewer, or_(left, six_cohort))
    return GenderReport([leaving, six], left_out)


# ---- outcome rates -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RateRow:
    group: str
    ended: int
    dropouts: int
    to_work_or_studies: int

    @property
    def share_of_ended(self) -> float | None:
        return share(self.to_work_or_studies, self.ended)

    @property
    def share_excluding_dropouts(self) -> float | None:
        return share(self.to_work_or_studies, self.ended - self.dropouts)


@dataclass(frozen=True, slots=True)
class Outcomes:
    by: dict[str, list[RateRow]]
    """gender, age_band, education, municipality → rows (with a `total` row last)."""
    average_days: float | None
    median_days: float | None
    reached: int
    """How many the days are computed over (ended to work or studies)."""
    thirteen_month_cohort: int
    thirteen_month_answered: int
    thirteen_month_working_or_studying: int
    left_out: int = 0

    @property
    def thirteen_month_rate(self) -> float | None:
        return share(self.thirteen_month_working_or_studying, self.thirteen_month_cohort)

    @property
    def thirteen_month_rate_of_answered(self) -> float | None:
        return share(self.thirteen_month_working_or_studying, self.thirteen_month_answered)


_DIMENSIONS: dict[str, Any] = {
    "gender": _GENDER_BUCKET,
    "age_band": _AGE_BAND,
    "education": _EDUCATION,
    "municipality": _p.municipality,
}
_ORDER = {"gender": list(GENDER_COLUMNS), "age_band": [*AGE_BANDS, NOT_STATED],
          "education": [*(level.value for level in EducationLevel), NOT_STATED]}


def _days(session: AsyncSession) -> ColumnElement[Any]:
    """Days from start to end: date arithmetic differs between the two databases."""
    if is_postgresql(session):
        return _p.ended_on - _p.enrolled_on
    return func.julianday(_p.ended_on) - func.julianday(_p.enrolled_on)


async def outcome_rates(session: AsyncSession, viewer: Viewer,
                        period: ReportPeriod) -> Outcomes:
    """Outcome rates by dimension, days to outcome, and the 13-month follow-up rate."""
    ended = _within(_p.ended_on, period)
    reached = _codes(*TO_WORK_OR_STUDIES)
    dropout = _codes(OutcomeCategory.DROPOUT)
    columns = [func.count().label("ended"), _count(dropout).label("dropouts"),
               _count(reached).label("reached")]
    by: dict[str, list[RateRow]] = {}
    for name, key in _DIMENSIONS.items():
        query = (select(key.label("grp"), *columns).select_from(Participant.__table__)  # type: ignore[attr-defined]
                 .where(*_scope(viewer), ended).group_by(key))
        rows = [RateRow(str(row.grp), row.ended, row.dropouts, row.reached)
                for row in (await execute(session, query)).all()]
        order = _ORDER.get(name)
        rows.sort(key=lambda row, order=order: (order.index(row.group) if order and
                                                row.group in order else 99, row.group))
        rows.append(RateRow("total", sum(r.ended for r in rows), sum(r.dropouts for r in rows),
                            sum(r.to_work_or_studies for r in rows)))
        by[name] = rows
    days = _days(session)
    reached_rows = [*_scope(viewer), ended, reached]
    count, average = (await execute(session, select(func.count(), func.avg(days)).select_from(
        Participant.__table__).where(*reached_rows))).one()  # type: ignore[attr-defined]
    median = None
    if count:
        middle = (select(days.label("d")).select_from(Participant.__table__)  # type: ignore[attr-defined]
                  .where(*reached_rows).order_by(days).offset((count - 1) // 2)
                  .limit(2 - count % 2).subquery())
        median = (await execute(session, select(func.avg(middle.c.d)))).scalar_one()
    f13, source = _answer_join(FollowUpPoint.MONTHS_13)
    first, last = ended_between(FollowUpPoint.MONTHS_13, period.start, period.end)
    cohort13 = _within(_p.ended_on, ReportPeriod(first, last))
    thirteen = (await execute(session, select(
        func.count(), _count(f13.c.answer.is_not(None)),
        _count(f13.c.answer.in_([FollowUpAnswer.WORKING.value, FollowUpAnswer.STUDYING.value])),
    ).select_from(source).where(*_scope(viewer), cohort13))).one()
    left_out = await _left_out(session, viewer, or_(ended, cohort13))
    return Outcomes(by, float(average) if average is not None else None,
                    float(median) if median is not None else None, int(count),
                    int(thirteen[0]), int(thirteen[1]), int(thirteen[2]), left_out)


# ---- the SCB list of starts and ends -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScbRow:
    month: str
    """YYYY-MM of the event."""
    event: Literal["start", "end"]
    day: date
    code: str
    personnummer_encrypted: str | None
    """Decrypted (CLI) or masked (chat) by the caller; never in clear here."""
    gender: str
    birth_year: int | None
    municipality: str


@dataclass(frozen=True, slots=True)
class ScbList:
    rows: list[ScbRow]
    left_out: int
    changed_months: list[str] = field(default_factory=list)
    """Months before the period whose rows changed since the last SCB export (re-send them)."""


def _events(viewer: Viewer, period: ReportPeriod, *, protected: bool | None = False):
    conditions = [participant_scope(viewer)]
    if protected is not None:
        conditions.append(_p.protected_identity.is_(protected))
    columns = (_p.id, _p.code, _p.personnummer_encrypted, _p.gender, _p.birth_year,
               _p.municipality)
    starts = select(literal("start").label("event"), _p.enrolled_on.label("day"), *columns).where(
        *conditions, _within(_p.enrolled_on, period))
    ends = select(literal("end").label("event"), _p.ended_on.label("day"), *columns).where(
        *conditions, _within(_p.ended_on, period))
    return starts.union_all(ends).subquery()


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def scb_rows(session: AsyncSession, viewer: Viewer, period: ReportPeriod) -> ScbList:
    events = _events(viewer, period)
    query = select(events).order_by(events.c.day, events.c.code, desc(events.c.event))
    rows = []
    for row in (await execute(session, query)).all():
        day = _as_date(row.day)
        rows.append(ScbRow(f"{day:%Y-%m}", row.event, day, row.code, row.personnummer_encrypted,
                           row.gender, row.birth_year, row.municipality))
    protected = _events(viewer, period, protected=True)
    left_out = (await execute(session, select(func.count(func.distinct(protected.c.id))))
                ).scalar_one()
    return ScbList(rows, int(left_out))


async def scb_fingerprints(session: AsyncSession, viewer: Viewer, up_to: date | None
                           ) -> dict[str, str]:
    """Month → a short hash of its events (never of the numbers themselves), to see later
    which already reported months changed."""
    events = _events(viewer, ReportPeriod(None, up_to))
    query = select(events.c.event, events.c.day, events.c.id,
                   events.c.personnummer_encrypted.is_not(None)).order_by(
        events.c.day, events.c.id, events.c.event)
    months: dict[str, list[str]] = {}
    for event, day, participant_id, has_number in (await execute(session, query)).all():
        day = _as_date(day)
        months.setdefault(f"{day:%Y-%m}", []).append(
            f"{event}|{day.isoformat()}|{participant_id}|{int(bool(has_number))}")
    return {month: hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
            for month, lines in months.items()}


def _scope_key(viewer: Viewer) -> str:
    if viewer.role == "coordinator":
        return f"coordinator:{viewer.staff_id}"
    return "municipalities:" + ",".join(sorted(viewer.municipalities))


async def _last_scb_export(session: AsyncSession, scope: str) -> dict[str, Any] | None:
    query = (select(AuditLog.details).where(AuditLog.action == "report.scb-monthly")  # type: ignore[arg-type]
             .order_by(desc(AuditLog.at), desc(AuditLog.id)))  # type: ignore[arg-type]
    for (details,) in (await execute(session, query.limit(200))).all():
        data = json.loads(details or "{}")
        if data.get("scope") == scope and "fingerprints" in data:
            return data
    return None


# ---- the one entry point: read, and audit ----------------------------------------------
@dataclass(frozen=True, slots=True)
class ReportData:
    kind: ReportKind
    period: ReportPeriod
    entry: GenderReport | None = None
    result: GenderReport | None = None
    scb: ScbList | None = None
    outcomes: Outcomes | None = None

    @property
    def left_out(self) -> int:
        for part in (self.entry, self.result, self.scb, self.outcomes):
            if part is not None:
                return part.left_out
        return 0


async def report(
    session: AsyncSession, viewer: Viewer, kind: ReportKind, period: ReportPeriod, *,
    actor_staff_id: int | None, file_format: str, now: datetime, personnummer: bool = False,
    sensitive: bool = False,
) -> ReportData:
    """The figures for `kind`, audit-logged in the caller's transaction.

    `personnummer` says whether the caller will print the numbers in clear (only the
    command line does); it is recorded, like the period and how many were left out.
    """
    details: dict[str, Any] = {"start": period.start, "end": period.end, "format": file_format,
                               "personnummer": personnummer}
    if kind == "esf-entry":
        data = ReportData(kind, period, entry=await entry_indicators(session, viewer, period,
                                                                     sensitive=sensitive))
    elif kind == "esf-result":
        data = ReportData(kind, period, result=await result_indicators(session, viewer, period))
    elif kind == "outcomes":
        data = ReportData(kind, period, outcomes=await outcome_rates(session, viewer, period))
    elif kind == "scb-monthly":
        scb = await scb_rows(session, viewer, period)
        scope = _scope_key(viewer)
        current = await scb_fingerprints(session, viewer, period.end)
        last = await _last_scb_export(session, scope)
        changed: list[str] = []
        if last is not None:
            before = last["fingerprints"]
            last_end = last.get("end") or "9999-12-31"
            changed = sorted(month for month in set(before) | set(current)
                             if f"{month}-01" <= last_end
                             and (period.start is None or f"{month}-01" < period.start.isoformat())
                             and before.get(month) != current.get(month))
        scb = ScbList(scb.rows, scb.left_out, changed)
        data = ReportData(kind, period, scb=scb)
        details.update(scope=scope, fingerprints=current, rows=len(scb.rows),
                       changed_months=changed)
    else:
        raise ValueError(f"unknown report {kind!r}")
    audit.record(session, actor_staff_id=actor_staff_id, action=f"report.{kind}", target=None,
                 at=now, left_out=data.left_out, **details)
    return data
