"""The funder reports as files: ESF+ entry and result indicators, SCB starts and ends,
outcome rates — tables with headers in the reader's language, as XLSX or CSV.

The chat (`/report`) and the command line (`koordinator report`) both build their files
here. Which rows a report holds, who is left out and the audit row are decided in
`storage.reporting`. Personal identity numbers are read through a `NumberReader` the
caller passes: masked for the chat (`masked_numbers`), in clear only from the CLI.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from babel.numbers import format_decimal

from bot.documents.cells import append
from bot.documents.cells import csv_file
from bot.documents.cells import csv_text
from bot.documents.cells import sheet_title
from bot.text.funder_labels import EDUCATION_LABELS
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.labels import GENDER_LABELS
from bot.text.stats_text import share_cell
from storage import entry
from storage import reporting
from storage.models import EducationLevel
from storage.models import Gender
from storage.municipalities import code_of as municipality_code
from storage.personnummer import PersonnummerCipher
from storage.stats import percent_of
from storage.stats import round_half_up

KIND_TITLES: dict[reporting.ReportKind, str] = {
    "esf-entry": N_("ESF+ entry indicators"),
    "esf-result": N_("ESF+ result indicators"),
    "scb-monthly": N_("Starts and ends for SCB"),
    "outcomes": N_("Outcome rates"),
}
INDICATOR_LABELS: dict[str, str] = {
    "participants": N_("Participants who started"),
    "unemployed": N_("Unemployed, incl. long-term unemployed"),
    "long_term_unemployed": N_("Long-term unemployed"),
    "inactive": N_("Inactive"),
    "employed": N_("Employed, incl. self-employed"),
    "employment_not_stated": N_("Employment status not stated"),
    "age_<18": N_("Under 18"),
    "age_18-29": N_("18–29 years"),
    "age_30-54": N_("30–54 years"),
    "age_55+": N_("55 years and over"),
    "age_not_stated": N_("Age not stated"),
    "isced_0_2": N_("ISCED 0–2"),
    "isced_3_4": N_("ISCED 3–4"),
    "isced_5_8": N_("ISCED 5–8"),
    "education_unknown": N_("Education unknown or not stated"),
    "third_country_national": N_("Third-country nationals"),
    "income_support": N_("Receiving income support"),
    "registered_af": N_("Registered at Arbetsförmedlingen"),
    "establishment_programme": N_("In the establishment programme"),
    "disability_yes": N_("With a disability"),
    "disability_no": N_("Without a disability"),
    "disability_declined": N_("Disability: declined to answer"),
    "disability_not_stated": N_("Disability: not asked"),
    "foreign_background_yes": N_("With a foreign background"),
    "foreign_background_no": N_("Without a foreign background"),
    "foreign_background_declined": N_("Foreign background: declined to answer"),
    "foreign_background_not_stated": N_("Foreign background: not asked"),
    "left": N_("Participants who left"),
    "employed_on_leaving": N_("In employment, incl. self-employed, on leaving"),
    "education_on_leaving": N_("In education or training on leaving (CSN studies and other "
                               "education)"),
    "job_searching_on_leaving": N_("Job searching on leaving"),
    "other_on_leaving": N_("Other or unknown situation on leaving"),
    "gained_qualification": N_("Gained a qualification on leaving"),
    "dropouts": N_("Of those who left: dropouts"),
    "six_month_cohort": N_("Participants whose 6-month date is in the period"),
    "six_month_answered": N_("Answered the 6-month follow-up"),
    "employed_at_six_months": N_("In employment, incl. self-employed, 6 months after leaving"),
    "education_at_six_months": N_("In education or training 6 months after leaving"),
    "job_searching_at_six_months": N_("Job searching 6 months after leaving"),
}
SECTION_LABELS: dict[str, str] = {
    "participants": N_("Participants"),
    "employment": N_("Employment status on entry"),
    "age": N_("Age on entry"),
    "education": N_("Education level on entry"),
    "background": N_("Background"),
    "sensitive": N_("Sensitive categories (counts only)"),
    "leaving": N_("On leaving (within 28 days)"),
    "six_months": N_("6 months after leaving"),
}
DIMENSION_LABELS: dict[str, str] = {
    "gender": N_("By gender"),
    "age_band": N_("By age band"),
    "education": N_("By education level"),
    "municipality": N_("By municipality"),
}
AGE_LABELS = {"<18": N_("Under 18"), "18-29": N_("18–29 years"), "30-54": N_("30–54 years"),
              "55+": N_("55 years and over")}
GENDER_COLUMN_LABELS = {"woman": N_("Women"), "man": N_("Men"),
                        "other": N_("Other or not stated")}


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]
    percent_columns: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ReportFile:
    title: str
    notes: list[tuple[str, str]]
    tables: list[Table] = field(default_factory=list)


NumberReader = Callable[[str | None], str]


# ---- laying the figures out ----------------------------------------------------------------
def _gender_table(tr: Translator, title: str,
                  report: reporting.GenderReport) -> Table:
    header = [tr._("Section"), tr._("Indicator"),
              *(tr._(GENDER_COLUMN_LABELS[g]) for g in reporting.GENDER_COLUMNS), tr._("Total")]
    rows = [[tr._(SECTION_LABELS[section.key]), tr._(INDICATOR_LABELS[row.key]),
             *(row.counts[g] for g in reporting.GENDER_COLUMNS), row.total]
            for section in report.sections for row in section.rows]
    return Table(title, header, rows)


def _group_label(tr: Translator, dimension: str, group: str) -> str:
    if group == "total":
        return tr._("Total")
    if group == reporting.NOT_STATED:
        return tr._("not stated")
    if dimension == "gender":
        return tr._(GENDER_COLUMN_LABELS.get(group, GENDER_COLUMN_LABELS["other"]))
    if dimension == "age_band":
        return tr._(AGE_LABELS[group])
    if dimension == "education":
        return tr._(EDUCATION_LABELS[EducationLevel(group)])
    return group


def _percent(value: float | None) -> float | None:
    return None if value is None else float(percent_of(value, 1))


def _outcome_tables(tr: Translator, outcomes: reporting.Outcomes) -> list[Table]:
    header = [tr._("Group"), tr._("Ended in the period"), tr._("Dropouts"),
              tr._("To work or studies (work, subsidised work, CSN studies)"),
              tr._("To work or studies, share of those who ended"),
              tr._("To work or studies, share of those who ended, dropouts excluded")]
    tables = [Table(tr._(DIMENSION_LABELS[dimension]), header,
                    [[_group_label(tr, dimension, row.group), row.ended, row.dropouts,
                      row.to_work_or_studies, share_cell(row.share_of_ended),
                      share_cell(row.share_excluding_dropouts)]
                     for row in rows], frozenset({4, 5}))
              for dimension, rows in outcomes.by.items()]
    figures = [
        [tr._("Average days from start to work or studies"), outcomes.average_days],
        [tr._("Median days from start to work or studies"), outcomes.median_days],
        [tr._("Participants these days are counted over"), outcomes.reached],
        [tr._("Participants whose 13-month date is in the period"),
         outcomes.thirteen_month_cohort],
        [tr._("Answered the 13-month follow-up"), outcomes.thirteen_month_answered],
        [tr._("Working or studying at 13 months"), outcomes.thirteen_month_working_or_studying],
        [tr._("Working or studying at 13 months, percent of all whose 13-month date is in "
              "the period"), _percent(outcomes.thirteen_month_rate)],
        [tr._("Working or studying at 13 months, percent of those who answered"),
         _percent(outcomes.thirteen_month_rate_of_answered)],
    ]
    # Days to one decimal; every figure rounded half up (storage.stats.round_half_up).
    rounded = [[label, float(round_half_up(value, 1)) if isinstance(value, float) and index < 2
                else value] for index, (label, value) in enumerate(figures)]
    tables.append(Table(tr._("Time to outcome and 13 months"), [tr._("Figure"), tr._("Value")],
                        rounded))
    return tables


def _scb_table(tr: Translator, scb: reporting.ScbList, number: NumberReader) -> Table:
    header = [tr._("Month"), tr._("Event"), tr._("Date"), tr._("Code"),
              tr._("Personal identity number"), tr._("Gender"), tr._("Birth year"),
              tr._("Municipality"), tr._("Municipality code")]
    events = {"start": tr._("start"), "end": tr._("end")}
    rows = [[row.month, events[row.event], row.day, row.code,
             number(row.personnummer_encrypted), tr._(GENDER_LABELS[Gender(row.gender)]),
             row.birth_year, row.municipality, municipality_code(row.municipality)]
            for row in scb.rows]
    return Table(tr._("Starts and ends"), header, rows)


def masked_numbers(cipher: PersonnummerCipher | None) -> NumberReader:
    """For the chat: `19900101-****`, never the number."""
    def read(token: str | None) -> str:
        if not token:
            return ""
        number = entry.decrypt_token(token, cipher)
        return number.masked if number is not None else "****"
    return read


def report_file(tr: Translator, data: reporting.ReportData, *, period_text: str,
                exported: str, number: NumberReader) -> ReportFile:
    title = tr._(KIND_TITLES[data.kind])
    notes = [(tr._("Report"), title), (tr._("Period"), period_text),
             (tr._("Exported"), exported),
             (tr._("Left out (protected identity)"), str(data.left_out))]
    if data.entry is not None:
        tables = [_gender_table(tr, title, data.entry)]
    elif data.result is not None:
        tables = [_gender_table(tr, title, data.result)]
    elif data.outcomes is not None:
        tables = _outcome_tables(tr, data.outcomes)
    else:
        assert data.scb is not None
        notes.append((tr._("Earlier months changed since the last export"),
                      ", ".join(data.scb.changed_months) or tr._("none")))
        tables = [_scb_table(tr, data.scb, number)]
    return ReportFile(title, notes, tables)


def build_xlsx(report: ReportFile, tr: Translator) -> bytes:
    # Imported here, not at the top: openpyxl costs ~0.2 s and ~28 MiB at every start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    bold = Font(bold=True)
    first = workbook.active
    assert first is not None
    for index, table in enumerate(report.tables):
        sheet = first if index == 0 else workbook.create_sheet()
        sheet.title = sheet_title(tr, table.title) or f"{index + 1}"
        for name, value in report.notes:
            append(sheet, [name, value])
        append(sheet, [])
        append(sheet, table.header)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        header_row = sheet.max_row
        for row in table.rows:
            append(sheet, row)
            for column in table.percent_columns:
                sheet.cell(row=sheet.max_row, column=column + 1).number_format = "0.0%"
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for column, name in enumerate(table.header, start=1):
            letter = sheet.cell(row=header_row, column=column).column_letter
            sheet.column_dimensions[letter].width = max(12, min(len(name) + 2, 60))
        sheet.column_dimensions["A"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(report: ReportFile, tr: Translator) -> bytes:
    rows: list[list[Any]] = [[name, value] for name, value in report.notes]
    for table in report.tables:
        rows += [[], [table.title], table.header]
        rows += [[_csv_value(tr, value, index in table.percent_columns)
                  for index, value in enumerate(row)] for row in table.rows]
    return csv_file(rows, tr)


def _csv_value(tr: Translator, value: object, percent: bool) -> str:
    if isinstance(value, float):
        shown = percent_of(value, 1) if percent else round_half_up(value, 1)
        return format_decimal(shown, "0.0", locale=tr.locale)
    return csv_text(value)


def build_file(report: ReportFile, tr: Translator, file_format: str) -> bytes:
    return build_xlsx(report, tr) if file_format == "xlsx" else build_csv(report, tr)
