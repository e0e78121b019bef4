"""Funder reports: every figure checked against a hand count, the windows at their edges,
protected identities left out and counted, personnummer in clear only from the CLI.

The half-year H1 2026 (1 January – 30 June, local dates) is the period throughout.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from typing import TypeVar

import pytest
from cryptography.fernet import Fernet
from openpyxl import load_workbook

from bot import cli
from storage import reporting
from storage.access import Viewer
from storage.db import transaction
from storage.models import AuditLog
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeFollowUp
from storage.personnummer import PersonnummerCipher
from storage.personnummer import parse
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.harness import running_bot
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import participant
from tests.steps import rows as all_rows

H1 = reporting.ReportPeriod(date(2026, 1, 1), date(2026, 6, 30))
T = TypeVar("T")
W, M, OTH, U = Gender.WOMAN, Gender.MAN, Gender.OTHER, Gender.UNSPECIFIED
KEY = Fernet.generate_key().decode()
NUMBER = "199001011239"

ENTRY_FIELDS = ("entry_employment", "birth_year", "education_level", "third_country_national",
                "income_support", "registered_af", "establishment_programme",
                "protected_identity", "gained_qualification", "municipality",
                "personnummer_encrypted", "disability", "foreign_background")


def person(coordinator: int, gender: Gender, enrolled: date, *, ended: date | None = None,
           outcome: Outcome | None = None, **fields: Any) -> dict[str, Any]:
    """A participant row; every row has the same keys (one executemany)."""
    row = participant(coordinator, gender=gender, enrolled_on=enrolled, ended_on=ended,
                      outcome=outcome)
    defaults = {name: None for name in ENTRY_FIELDS}
    defaults.update(protected_identity=False, municipality="Växjö")
    return {**row, **defaults, **fields}


def viewer(person_: Person) -> Viewer:
    assert person_.staff is not None
    return Viewer.of(person_.staff)


async def report_as(db: Database, person_: Person, query: Callable[..., Awaitable[T]],
                    period: reporting.ReportPeriod = H1, **options: Any) -> T:
    """`query` (a `storage.reporting` report) as `person_` sees it, for `period`."""
    async with transaction(db.sessions) as session:
        return await query(session, viewer(person_), period, **options)


def bo(people: People) -> int:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    return people.bo.staff.id


async def answers(db: Database, ids: dict[str, int],
                  given: list[tuple[str, str, str | None]]) -> None:
    """(code, point, answer) → an answered (or unanswered) outcome follow-up row."""
    await insert_rows(db, OutcomeFollowUp, [
        {"participant_id": ids[code], "point": point, "due_on": date(2026, 1, 1),
         "asked_at": TEST_NOW, "answered_at": TEST_NOW if answer else None, "answer": answer,
         "source": "participant" if answer else None, "logged_by": None,
         "created_at": TEST_NOW}
        for code, point, answer in given])


# ---- ESF+ entry indicators -----------------------------------------------------------------
async def entry_project(db: Database, people: People) -> list[str]:
    """| # | gender | enrolled | employment | born | ISCED | tcn | inc. support | AF | est. |
    1 woman 2026-01-01 first day unemployed 1990 (36: 30-54) 3-4 y n y y
    2 woman 2026-06-30 last day long-term 2008 (18: 18-29) 0-2 y y y n
    3 man 2026-03-10 inactive 2009 (17: <18) unknown n – – –
    4 man 2026-04-01 employed 1971 (55: 55+) 5-8 y n n n
    5 other 2026-02-01 – – – – – – –
    6 not stated 2026-05-05 unemployed 1997 (29: 18-29) 3-4 y – – –
    | 7 | woman  | 2025-12-31: the day before | unemployed |
    | 8 | man    | 2026-07-01: the day after | unemployed |
    | 9 | woman, protected identity, 2026-02-15 | unemployed |   → left out, counted
    Sensitive categories: 1 disability yes, foreign background yes; 2 disability declined;
    4 foreign background no; 9 disability yes (left out).
    """
    c = bo(people)
    rows = [
        person(c, W, date(2026, 1, 1), entry_employment="unemployed", birth_year=1990,
               education_level="isced_3_4", third_country_national=True, income_support=False,
               registered_af=True, establishment_programme=True, disability="yes",
               foreign_background="yes"),
        person(c, W, date(2026, 6, 30), entry_employment="long_term_unemployed",
               birth_year=2008, education_level="isced_0_2", third_country_national=True,
               income_support=True, registered_af=True, establishment_programme=False,
               disability="declined"),
        person(c, M, date(2026, 3, 10), entry_employment="inactive", birth_year=2009,
               education_level="unknown", third_country_national=False),
        person(c, M, date(2026, 4, 1), entry_employment="employed", birth_year=1971,
               education_level="isced_5_8", third_country_national=True, income_support=False,
               registered_af=False, establishment_programme=False, foreign_background="no"),
        person(c, OTH, date(2026, 2, 1)),
        person(c, U, date(2026, 5, 5), entry_employment="unemployed", birth_year=1997,
               education_level="isced_3_4", third_country_national=True),
        person(c, W, date(2025, 12, 31), entry_employment="unemployed"),
        person(c, M, date(2026, 7, 1), entry_employment="unemployed"),
        person(c, W, date(2026, 2, 15), entry_employment="unemployed", protected_identity=True,
               disability="yes"),
    ]
    await insert_participants(db, rows)
    return [row["code"] for row in rows]


ENTRY_EXPECTED = {  # women, men, other
    "participants": (2, 2, 2),
    "unemployed": (2, 0, 1), "long_term_unemployed": (1, 0, 0), "inactive": (0, 1, 0),
    "employed": (0, 1, 0), "employment_not_stated": (0, 0, 1),
    "age_<18": (0, 1, 0), "age_18-29": (1, 0, 1), "age_30-54": (1, 0, 0), "age_55+": (0, 1, 0),
    "age_not_stated": (0, 0, 1),
    "isced_0_2": (1, 0, 0), "isced_3_4": (1, 0, 1), "isced_5_8": (0, 1, 0),
    "education_unknown": (0, 1, 1),
    "third_country_national": (2, 1, 1), "income_support": (1, 0, 0),
    "registered_af": (2, 0, 0), "establishment_programme": (1, 0, 0),
}


def counts_by_gender(report: reporting.GenderReport) -> dict[str, tuple[int, int, int]]:
    """Each indicator row's key → its (women, men, other) counts."""
    return {row.key: (row.counts["woman"], row.counts["man"], row.counts["other"])
            for section in report.sections for row in section.rows}


async def test_esf_entry_indicators_match_the_hand_count(
    db: Database, people: People
) -> None:
    await entry_project(db, people)
    report = await report_as(db, people.lead, reporting.entry_indicators)
    assert counts_by_gender(report) == ENTRY_EXPECTED
    assert report.row("participants").total == 6
    assert report.left_out == 1
    # One day wider on each side takes in the two edge participants.
    wider = await report_as(db, people.lead, reporting.entry_indicators,
                            reporting.ReportPeriod(date(2025, 12, 31), date(2026, 7, 1)))
    assert wider.row("participants").counts == {"woman": 3, "man": 3, "other": 2}


async def test_sensitive_categories_are_counted_only_when_the_project_records_them(
    db: Database, people: People
) -> None:
    await entry_project(db, people)
    report = await report_as(db, people.lead, reporting.entry_indicators, sensitive=True)
    assert counts_by_gender(report) == {**ENTRY_EXPECTED,
                      "disability_yes": (1, 0, 0), "disability_no": (0, 0, 0),
                      "disability_declined": (1, 0, 0), "disability_not_stated": (0, 2, 2),
                      "foreign_background_yes": (1, 0, 0), "foreign_background_no": (0, 1, 0),
                      "foreign_background_declined": (0, 0, 0),
                      "foreign_background_not_stated": (1, 1, 2)}


# ---- results on leaving and at 6 months; outcome rates; 13 months ---------------------------
async def result_project(db: Database, people: People) -> dict[str, int]:
    """Ended in H1 2026 (leaving and outcome rates); age = start year - birth year:

    code  gender started    ended      end reason     qual 28-day   born ISCED where
    R1    woman  2025-06-01 2026-01-01 employed       yes  ·        1990 3-4   Växjö
    R2    woman  2025-09-01 2026-06-30 subsidised     no   ·        2000 0-2   Alvesta
    R3    man    2025-10-01 2026-03-01 studies        yes  ·        1980 5-8   Växjö
    R4    man    2025-11-01 2026-03-15 job_seeking    ·    ·        ·    ·     Växjö
    R5    woman  2025-11-01 2026-04-10 other          ·    working  1960 3-4   Alvesta
    R6    man    2025-12-01 2026-05-20 moved (drop)   ·    studying 2001 ·     Växjö
    R7    other  2025-12-01 2026-02-02 unknown        ·    not say  ·    unk.  Ljungby
    R10   woman  2025-03-01 2026-02-01 illness (drop) ·    none     1990 0-2   Växjö
    R12   woman  2025-09-01 2026-05-01 other_educ.    ·    ·        2005 3-4   Alvesta
    (R1 also answered "looking for work" at 28 days: the end reason wins.)
    R8 (woman) ended 2025-12-31, the day before H1; R9 (man) 2026-07-01, the day after;
    R11 (woman, protected identity) ended 2026-03-01, employed: left out, counted.

    6-month date in H1 means ended 2025-07-01 … 2025-12-31 (6-month answer):
    S1 woman 2025-07-01 working · S2 man 2025-06-30 working (6 months = 30 Dec 2025: out) ·
    R8 woman 2025-12-31 studying · S3 man 2025-09-15 looking for work · S4 woman 2025-10-10
    no answer · S5 man 2025-08-31 working (6 months = 28 Feb 2026: in).

    13-month date in H1 means ended 2024-12-01 … 2025-05-31 (13-month answer):
    T1 woman 2024-12-01 working · T2 man 2024-11-30 working (out) · T3 woman 2025-05-31
    studying · T4 man 2025-02-10 no answer · T5 other 2025-03-03 looking for work.
    """
    c = bo(people)
    e = Outcome
    spec: dict[str, dict[str, Any]] = {
        "R1": person(c, W, date(2025, 6, 1), ended=date(2026, 1, 1), outcome=e.EMPLOYED,
                     gained_qualification=True, birth_year=1990, education_level="isced_3_4"),
        "R2": person(c, W, date(2025, 9, 1), ended=date(2026, 6, 30), outcome=e.SUBSIDISED,
                     gained_qualification=False, birth_year=2000, education_level="isced_0_2",
                     municipality="Alvesta"),
        "R3": person(c, M, date(2025, 10, 1), ended=date(2026, 3, 1), outcome=e.STUDIES,
                     gained_qualification=True, birth_year=1980, education_level="isced_5_8"),
        "R4": person(c, M, date(2025, 11, 1), ended=date(2026, 3, 15), outcome=e.JOB_SEEKING),
        "R5": person(c, W, date(2025, 11, 1), ended=date(2026, 4, 10), outcome=e.OTHER,
                     birth_year=1960, education_level="isced_3_4", municipality="Alvesta"),
        "R6": person(c, M, date(2025, 12, 1), ended=date(2026, 5, 20), outcome=e.MOVED,
                     birth_year=2001),
        "R7": person(c, OTH, date(2025, 12, 1), ended=date(2026, 2, 2), outcome=e.UNKNOWN,
                     education_level="unknown", municipality="Ljungby"),
        "R10": person(c, W, date(2025, 3, 1), ended=date(2026, 2, 1), outcome=e.ILLNESS,
                      birth_year=1990, education_level="isced_0_2"),
        "R12": person(c, W, date(2025, 9, 1), ended=date(2026, 5, 1), outcome=e.OTHER_EDUCATION,
                      birth_year=2005, education_level="isced_3_4", municipality="Alvesta"),
        "R8": person(c, W, date(2025, 1, 1), ended=date(2025, 12, 31), outcome=e.EMPLOYED),
        "R9": person(c, M, date(2025, 1, 1), ended=date(2026, 7, 1), outcome=e.EMPLOYED),
        "R11": person(c, W, date(2025, 1, 1), ended=date(2026, 3, 1), outcome=e.EMPLOYED,
                      protected_identity=True),
        "S1": person(c, W, date(2025, 1, 1), ended=date(2025, 7, 1), outcome=e.EMPLOYED),
        "S2": person(c, M, date(2025, 1, 1), ended=date(2025, 6, 30), outcome=e.EMPLOYED),
        "S3": person(c, M, date(2025, 1, 1), ended=date(2025, 9, 15), outcome=e.JOB_SEEKING),
        "S4": person(c, W, date(2025, 1, 1), ended=date(2025, 10, 10), outcome=e.OTHER),
        "S5": person(c, M, date(2025, 1, 1), ended=date(2025, 8, 31), outcome=e.SUBSIDISED),
        "T1": person(c, W, date(2024, 1, 1), ended=date(2024, 12, 1), outcome=e.EMPLOYED),
        "T2": person(c, M, date(2024, 1, 1), ended=date(2024, 11, 30), outcome=e.EMPLOYED),
        "T3": person(c, W, date(2024, 1, 1), ended=date(2025, 5, 31), outcome=e.STUDIES),
        "T4": person(c, M, date(2024, 1, 1), ended=date(2025, 2, 10), outcome=e.OTHER),
        "T5": person(c, OTH, date(2024, 1, 1), ended=date(2025, 3, 3), outcome=e.JOB_SEEKING),
    }
    ids = await insert_participants(db, list(spec.values()))
    by_name = {name: ids[row["code"]] for name, row in spec.items()}
    await answers(db, by_name, [
        ("R5", "28d", "working"), ("R6", "28d", "studying"), ("R7", "28d", "rather_not_say"),
        ("R10", "28d", None), ("R1", "28d", "looking_for_work"),  # the end reason wins
        ("S1", "6m", "working"), ("S2", "6m", "working"), ("R8", "6m", "studying"),
        ("S3", "6m", "looking_for_work"), ("S4", "6m", None), ("S5", "6m", "working"),
        ("T1", "13m", "working"), ("T2", "13m", "working"), ("T3", "13m", "studying"),
        ("T4", "13m", None), ("T5", "13m", "looking_for_work"),
    ])
    return by_name


RESULT_EXPECTED = {  # women, men, other
    "left": (5, 3, 1),
    "employed_on_leaving": (3, 0, 0),  # R1, R2, R5 (by her 28-day answer)
    "education_on_leaving": (1, 2, 0),  # R12; R3, R6 (by his 28-day answer)
    "job_searching_on_leaving": (0, 1, 0),  # R4
    "other_on_leaving": (1, 0, 1),  # R10 (no answer); R7 (rather not say)
    "gained_qualification": (1, 1, 0),  # R1; R3
    "dropouts": (1, 1, 0),  # R10; R6
    "six_month_cohort": (3, 2, 0),  # S1, R8, S4; S3, S5
    "six_month_answered": (2, 2, 0),
    "employed_at_six_months": (1, 1, 0),  # S1; S5
    "education_at_six_months": (1, 0, 0),  # R8
    "job_searching_at_six_months": (0, 1, 0),  # S3
}


async def test_esf_result_indicators_on_leaving_and_at_six_months_match_the_hand_count(
    db: Database, people: People
) -> None:
    await result_project(db, people)
    report = await report_as(db, people.lead, reporting.result_indicators)
    assert counts_by_gender(report) == RESULT_EXPECTED
    assert report.left_out == 1


def rates(rows: list[reporting.RateRow]) -> dict[str, tuple[int, int, int]]:
    return {row.group: (row.ended, row.dropouts, row.to_work_or_studies) for row in rows}


async def test_outcome_rates_days_to_outcome_and_thirteen_months_match_the_hand_count(
    db: Database, people: People
) -> None:
    await result_project(db, people)
    outcomes = await report_as(db, people.admin, reporting.outcome_rates)
    # (ended, dropouts, to work or studies); R1, R2 and R3 reached work or studies.
    assert rates(outcomes.by["gender"]) == {
        "woman": (5, 1, 2), "man": (3, 1, 1), "other": (1, 0, 0), "total": (9, 2, 3)}
    assert [row.group for row in outcomes.by["gender"]] == ["woman", "man", "other", "total"]
    total = outcomes.by["gender"][-1]
    assert total.share_of_ended == pytest.approx(3 / 9)
    assert total.share_excluding_dropouts == pytest.approx(3 / 7)
    women = outcomes.by["gender"][0]
    assert (women.share_of_ended, women.share_excluding_dropouts) == (0.4, 0.5)
    assert rates(outcomes.by["age_band"]) == {
        "18-29": (3, 1, 1), "30-54": (3, 1, 2), "55+": (1, 0, 0), "not_stated": (2, 0, 0),
        "total": (9, 2, 3)}
    assert [row.group for row in outcomes.by["age_band"]] == [
        "18-29", "30-54", "55+", "not_stated", "total"]
    assert rates(outcomes.by["education"]) == {
        "isced_0_2": (2, 1, 1), "isced_3_4": (3, 0, 1), "isced_5_8": (1, 0, 1),
        "unknown": (1, 0, 0), "not_stated": (2, 1, 0), "total": (9, 2, 3)}
    assert rates(outcomes.by["municipality"]) == {
        "Alvesta": (3, 0, 1), "Ljungby": (1, 0, 0), "Växjö": (5, 2, 2), "total": (9, 2, 3)}
    # R1 214 days, R2 302, R3 151.
    assert outcomes.reached == 3
    assert outcomes.average_days == pytest.approx((214 + 302 + 151) / 3)
    assert outcomes.median_days == 214
    # 13 months: T1, T3, T4, T5 (T2's date is a day too early); T1 and T3 work or study.
    assert (outcomes.thirteen_month_cohort, outcomes.thirteen_month_answered,
            outcomes.thirteen_month_working_or_studying) == (4, 3, 2)
    assert outcomes.thirteen_month_rate == 0.5
    assert outcomes.thirteen_month_rate_of_answered == pytest.approx(2 / 3)
    assert outcomes.left_out == 1


async def test_median_of_an_even_number_is_the_mean_of_the_middle_two(
    db: Database, people: People
) -> None:
    c = bo(people)
    await insert_participants(db, [
        person(c, W, date(2026, 1, 1), ended=date(2026, 1, 11), outcome=Outcome.EMPLOYED),
        person(c, M, date(2026, 1, 1), ended=date(2026, 1, 22), outcome=Outcome.STUDIES),
        person(c, M, date(2026, 1, 1), ended=date(2026, 3, 1), outcome=Outcome.MOVED),
    ])
    outcomes = await report_as(db, people.admin, reporting.outcome_rates)
    assert (outcomes.reached, outcomes.median_days, outcomes.average_days) == (2, 15.5, 15.5)
    assert outcomes.by["gender"][-1].share_excluding_dropouts == 1.0
    empty = await report_as(db, people.admin, reporting.outcome_rates,
                            reporting.ReportPeriod(date(2020, 1, 1), date(2020, 12, 31)))
    assert (empty.average_days, empty.median_days, empty.thirteen_month_rate) == (
        None, None, None)
    assert empty.by["gender"] == [reporting.RateRow("total", 0, 0, 0)]


# ---- through the bot --------------------------------------------------------------------------
def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text else ","))


async def test_lead_gets_the_entry_report_as_csv_and_xlsx_with_localized_headers(
    bot: BotHarness, people: People, db: Database
) -> None:
    await entry_project(db, people)
    [document] = await bot.send(people.lead.user,
                                "/report esf-entry 2026-01-01..2026-06-30 csv")
    assert document.document_name == "koordinator-esf-entry-2026-01-01_2026-06-30.csv"
    assert "1 participant with a protected identity was left out" in document.caption
    rows = csv_rows(bot.api.files[document.document_id].content)
    assert ["Left out (protected identity)", "1"] in rows
    header = rows.index(["Section", "Indicator", "Women", "Men", "Other or not stated",
                         "Total"])
    table = {row[1]: row[2:] for row in rows[header + 1:]}
    assert table["Participants who started"] == ["2", "2", "2", "6"]
    assert table["Unemployed, incl. long-term unemployed"] == ["2", "0", "1", "3"]
    assert table["18–29 years"] == ["1", "0", "1", "2"]
    # The Swedish alias, as a workbook (xlsx is the default).
    [workbook_message] = await bot.send(people.admin.user,
                                        "/rapport esf-entry 2026-01-01..2026-06-30")
    workbook = load_workbook(io.BytesIO(bot.api.files[workbook_message.document_id].content))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Participants", "Participants who started", 2, 2, 2, 6] in values
    audit = [a for a in await all_rows(db, AuditLog) if a.action == "report.esf-entry"]
    assert [json.loads(a.details)["format"] for a in audit] == ["csv", "xlsx"]
    assert all(json.loads(a.details)["left_out"] == 1 for a in audit)
    assert all(json.loads(a.details)["personnummer"] is False for a in audit)


async def test_reports_are_for_leads_and_scoped_to_their_municipality(
    bot: BotHarness, people: People, db: Database
) -> None:
    await result_project(db, people)
    [refused] = await bot.send(people.bo.user, "/report outcomes 2026")
    assert "does not allow" in refused.text
    [picker] = await bot.send(people.lead_alvesta.user, "/report")
    assert len(picker.buttons) == 4
    [document] = await bot.press(people.lead_alvesta.user, picker, "Outcome rates")
    workbook = load_workbook(io.BytesIO(bot.api.files[document.document_id].content))
    municipalities = [row[0].value for row in workbook[workbook.sheetnames[3]].iter_rows()
                      if row[0].value in {"Alvesta", "Växjö", "Ljungby"}]
    assert municipalities == ["Alvesta"]
    [bad] = await bot.send(people.lead.user, "/report outcomes someday")
    assert "<code>/report" in bad.text


# ---- SCB starts and ends --------------------------------------------------------------------
async def scb_project(db: Database, people: People) -> None:
    """October 2026: A starts 1 Oct; C starts 5 Oct and ends 20 Oct; B ends 31 Oct (started
    15 Sep); D starts 1 Nov and F 30 Sep (not October); E (protected) starts 10 Oct."""
    c = bo(people)
    cipher = PersonnummerCipher.from_setting(KEY)
    assert cipher is not None
    token = cipher.encrypt(parse(NUMBER, today=date(2026, 11, 24)))
    await insert_participants(db, [
        {**person(c, W, date(2026, 10, 1), personnummer_encrypted=token, birth_year=1990),
         "code": "P-80001"},
        {**person(c, M, date(2026, 9, 15), ended=date(2026, 10, 31), outcome=Outcome.EMPLOYED),
         "code": "P-80002"},
        {**person(c, OTH, date(2026, 10, 5), ended=date(2026, 10, 20), outcome=Outcome.MOVED),
         "code": "P-80003"},
        {**person(c, W, date(2026, 11, 1)), "code": "P-80004"},
        {**person(c, W, date(2026, 10, 10), protected_identity=True), "code": "P-80005"},
        {**person(c, M, date(2026, 9, 30)), "code": "P-80006"},
    ])


async def test_scb_list_has_one_row_per_event_and_leaves_protected_identities_out(
    db: Database, people: People
) -> None:
    await scb_project(db, people)
    october = reporting.ReportPeriod(date(2026, 10, 1), date(2026, 10, 31))
    scb = await report_as(db, people.lead, reporting.scb_rows, october)
    assert [(r.code, r.event, r.day.isoformat(), r.month) for r in scb.rows] == [
        ("P-80001", "start", "2026-10-01", "2026-10"),
        ("P-80003", "start", "2026-10-05", "2026-10"),
        ("P-80003", "end", "2026-10-20", "2026-10"),
        ("P-80002", "end", "2026-10-31", "2026-10"),
    ]
    assert scb.left_out == 1
    assert scb.rows[0].personnummer_encrypted and NUMBER not in scb.rows[0].personnummer_encrypted


async def test_personnummer_in_clear_only_in_the_cli_export_which_notes_changed_months(
    db: Database, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scb_project(db, people)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DATABASE_SCHEMA", db.schema or "")
    monkeypatch.setenv("PERSONNUMMER_KEY", KEY)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setattr(cli.logs, "configure", lambda *_args: None)  # keep pytest's logging

    async def run(*args: str) -> list[list[str]]:
        out = tmp_path / "scb.csv"
        assert await asyncio.to_thread(cli.main, ["report", *args, "--out", str(out)]) == 0
        return csv_rows(out.read_bytes())

    september = await run("scb-monthly", "--from", "2026-09-01", "--to", "2026-09-30")
    assert [row[3] for row in september if row and row[0] == "2026-09"] == [
        "P-80002", "P-80006"]
    # A late registration changes September after it was reported.
    await insert_participants(db, [{**person(bo(people), W, date(2026, 9, 20)),
                                    "code": "P-80007"}])
    october = await run("scb-monthly", "--from", "2026-10-01", "--to", "2026-10-31")
    assert ["Earlier months changed since the last export", "2026-09"] in october
    assert ["Left out (protected identity)", "1"] in october
    first = next(row for row in october if row and row[3:4] == ["P-80001"])
    assert first[4] == "19900101-1239", "in clear: this is the SCB submission"
    audit = [json.loads(a.details) for a in await all_rows(db, AuditLog)
             if a.action == "report.scb-monthly"]
    assert [a["personnummer"] for a in audit] == [True, True]
    assert audit[1]["changed_months"] == ["2026-09"]
    assert not any(NUMBER in json.dumps(a) or "1239" in json.dumps(a) for a in audit)

    # In the chat the same list is masked, and so is every other report.
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           personnummer_key=KEY) as bot:
        [document] = await bot.send(people.lead.user, "/report scb-monthly 2026-10 csv")
        content = bot.api.files[document.document_id].content.decode("utf-8-sig")
        assert "19900101-****" in content and NUMBER not in content
        assert "19900101-1239" not in content and "masked" in document.caption
        for kind in ("esf-entry", "esf-result", "outcomes"):
            for file_format in ("csv", "xlsx"):
                [other] = await bot.send(people.admin.user, f"/report {kind} all {file_format}")
                raw = bot.api.files[other.document_id].content
                if file_format == "xlsx":
                    book = load_workbook(io.BytesIO(raw))
                    raw = "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows()
                                    for cell in row).encode()
                assert b"1239" not in raw and NUMBER.encode() not in raw


async def test_cli_refuses_to_print_numbers_it_cannot_decrypt(
    db: Database, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    await scb_project(db, people)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DATABASE_SCHEMA", db.schema or "")
    monkeypatch.setenv("PERSONNUMMER_KEY", "")
    monkeypatch.setattr(cli.logs, "configure", lambda *_args: None)  # keep pytest's logging
    code = await asyncio.to_thread(cli.main, ["report", "scb-monthly", "--from", "2026-10-01",
                                              "--to", "2026-10-31"])
    assert code == 1 and "PERSONNUMMER_KEY" in capsys.readouterr().err
    assert [a for a in await all_rows(db, AuditLog) if a.action.startswith("report.")] == [], \
        "nothing was handed out, so nothing is logged as handed out"
    code = await asyncio.to_thread(cli.main, ["report", "esf-entry", "--from", "2026-10-01",
                                              "--lang", "en"])
    assert code == 0
    assert "Participants who started" in capsys.readouterr().out



async def test_the_plain_export_leaves_protected_identities_out_of_its_rows(
    bot: BotHarness, people: People, db: Database
) -> None:
    c = bo(people)
    await insert_participants(db, [
        {**person(c, W, date(2026, 3, 1)), "code": "P-80011", "display_name": "Visible One"},
        {**person(c, W, date(2026, 3, 1), protected_identity=True), "code": "P-80012",
         "display_name": "Hidden Two"},
    ])
    [document] = await bot.send(people.bo.user, "/export csv 2026")
    content = bot.api.files[document.document_id].content.decode("utf-8-sig")
    assert "P-80011" in content and "Visible One" in content
    assert "P-80012" not in content and "Hidden Two" not in content
    assert "1 participant with a protected identity was left out" in document.caption
    [audit] = [json.loads(a.details) for a in await all_rows(db, AuditLog)
               if a.action == "export.csv"]
    assert (audit["participants"], audit["left_out"]) == (1, 1)
