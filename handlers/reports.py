"""/report (leads) and the files behind `koordinator report`: ESF+ and SCB reports as XLSX
or CSV with headers in the reader's language.

Which rows a report holds, who is left out and the audit row are decided in
`storage.reporting`; this module lays the figures out as tables. In the chat the SCB list
shows personal identity numbers masked; only the command line prints them in clear
(`personnummer=` below is a function the CLI passes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.documents.building import build_off_loop
from bot.text.funder_labels import EDUCATION_LABELS
from bot.text.i18n import N_, Translator
from bot.text.labels import GENDER_LABELS, fold
from bot.text.periods import ALL, Period, current, parse_period, previous
from bot.text.render import keyboard
from bot.text.stats_text import period_label
from handlers.base import Turn, callback_parts, expired, staff_only
from handlers.entry import cipher_of
from handlers.exports import MIME, csv_delimiter, sheet_title
from storage import entry, reporting
from storage.access import Action
from storage.models import EducationLevel, Gender
from storage.personnummer import PersonnummerCipher

KIND_CODES: dict[str, reporting.ReportKind] = {
    "e": "esf-entry", "r": "esf-result", "s": "scb-monthly", "o": "outcomes"}
KIND_TITLES: dict[reporting.ReportKind, str] = {
    "esf-entry": N_("ESF+ entry indicators"),
    "esf-result": N_("ESF+ result indicators"),
    "scb-monthly": N_("Starts and ends for SCB"),
    "outcomes": N_("Outcome rates"),
}
_KIND_WORDS = {fold(kind): kind for kind in reporting.REPORT_KINDS} | {
    "entry": "esf-entry", "result": "esf-result", "results": "esf-result", "scb": "scb-monthly",
    "utfall": "outcomes", "outcome": "outcomes"}
_FORMAT_WORDS = {"xlsx": "xlsx", "excel": "xlsx", "csv": "csv"}

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
    "education_on_leaving": N_("In education or training on leaving"),
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
GENDER_COLUMN_LABELS = {"woman": N_("Women"), "man": N_("Men"), "other": N_("Other")}


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
        return tr._(GENDER_COLUMN_LABELS.get(group, N_("Other")))
    if dimension == "age_band":
        return tr._(AGE_LABELS[group])
    if dimension == "education":
        return tr._(EDUCATION_LABELS[EducationLevel(group)])
    return group


def _outcome_tables(tr: Translator, outcomes: reporting.Outcomes) -> list[Table]:
    header = [tr._("Group"), tr._("Ended"), tr._("Dropouts"), tr._("To work or studies"),
              tr._("Share of ended"), tr._("Share of ended excluding dropouts")]
    tables = [Table(tr._(DIMENSION_LABELS[dimension]), header,
                    [[_group_label(tr, dimension, row.group), row.ended, row.dropouts,
                      row.to_work_or_studies, row.share_of_ended, row.share_excluding_dropouts]
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
        [tr._("Share working or studying at 13 months, of all"), outcomes.thirteen_month_rate],
        [tr._("Share working or studying at 13 months, of those who answered"),
         outcomes.thirteen_month_rate_of_answered],
    ]
    rounded = [[label, round(value, 1) if isinstance(value, float) and index < 2 else value]
               for index, (label, value) in enumerate(figures)]
    tables.append(Table(tr._("Time to outcome and 13 months"), [tr._("Figure"), tr._("Value")],
                        rounded))
    return tables


def _scb_table(tr: Translator, scb: reporting.ScbList, number: NumberReader) -> Table:
    header = [tr._("Month"), tr._("Event"), tr._("Date"), tr._("Code"),
              tr._("Personal identity number"), tr._("Gender"), tr._("Birth year"),
              tr._("Municipality")]
    events = {"start": tr._("start"), "end": tr._("end")}
    rows = [[row.month, events[row.event], row.day, row.code,
             number(row.personnummer_encrypted), tr._(GENDER_LABELS[Gender(row.gender)]),
             row.birth_year, row.municipality] for row in scb.rows]
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
            sheet.append([name, value])
        sheet.append([])
        sheet.append(table.header)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        header_row = sheet.max_row
        for row in table.rows:
            sheet.append(row)
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(tr), lineterminator="\r\n")
    for name, value in report.notes:
        writer.writerow([name, value])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([_csv_value(tr, value, index in table.percent_columns)
                             for index, value in enumerate(row)])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(tr: Translator, value: object, percent: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format_decimal(value * 100 if percent else value, "0.0", locale=tr.locale)
    return str(value)


def build_file(report: ReportFile, tr: Translator, file_format: str) -> bytes:
    return build_xlsx(report, tr) if file_format == "xlsx" else build_csv(report, tr)


# ---- /report -----------------------------------------------------------------------------
def default_period(kind: reporting.ReportKind, today: date) -> Period:
    """Last month for the SCB list (handed in monthly), this year for the rest."""
    return previous("month", today) if kind == "scb-monthly" else current("year", today)


@staff_only(Action.VIEW_REPORTS)
async def report_command(turn: Turn) -> None:
    tr = turn.tr
    kind: reporting.ReportKind | None = None
    period: Period | None = None
    file_format = "xlsx"
    for word in turn.args:
        folded = fold(word)
        if folded in _KIND_WORDS and kind is None:
            kind = _KIND_WORDS[folded]  # type: ignore[assignment]
        elif folded in _FORMAT_WORDS:
            file_format = _FORMAT_WORDS[folded]
        elif period is None and (parsed := parse_period(word, turn.today)) is not None:
            period = parsed
        else:
            await turn.reply(report_usage(tr))
            return
    if kind is None:
        await offer_reports(turn)
        return
    await send_report(turn, kind, period or default_period(kind, turn.today), file_format)


def report_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/report esf-entry 2026</code>, <code>/report esf-result 2026-01-01..2026-06-30"
        "</code>, <code>/report scb-monthly 2026-10</code> or <code>/report outcomes 2026 "
        "csv</code>. Reports: esf-entry, esf-result, scb-monthly, outcomes; format xlsx "
        "(default) or csv. Or send /report alone to pick."
    )


async def offer_reports(turn: Turn) -> None:
    tr = turn.tr
    rows = []
    for code, kind in KIND_CODES.items():
        period = default_period(kind, turn.today)
        label = tr._("%(report)s, %(period)s", report=tr._(KIND_TITLES[kind]),
                     period=period_label(tr, period))
        rows.append([(label, f"rp:{code}:{period.label}")])
    await turn.reply(tr._("Which report?"), keyboard(rows))


@staff_only(Action.VIEW_REPORTS)
async def report_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    period = parse_period(parts[2], turn.today) if len(parts) == 3 else None
    if period is None or parts[1] not in KIND_CODES:
        await expired(turn, "/report")
        return
    await send_report(turn, KIND_CODES[parts[1]], period, "xlsx")


async def send_report(turn: Turn, kind: reporting.ReportKind, period: Period,
                      file_format: str) -> None:
    """Read and audit in one transaction, lay out in a worker thread, send the file."""
    tr = turn.tr
    viewer = turn.require_viewer()
    async with turn.transaction() as session:
        data = await reporting.report(
            session, viewer, kind, reporting.ReportPeriod(period.start, period.end),
            actor_staff_id=viewer.staff_id, file_format=file_format, now=turn.now,
            sensitive=turn.services.settings.sensitive_categories)
    period_text = period_label(tr, period)
    report = report_file(tr, data, period_text=period_text, exported=tr.datetime(turn.now),
                         number=masked_numbers(cipher_of(turn.services)))
    content = await build_off_loop(build_file, report, tr, file_format)
    label = period.label.replace("..", "_") if period != ALL else "all"
    filename = f"koordinator-{kind}-{label}.{file_format}"
    assert file_format in MIME
    await turn.reply_document(content, filename, report_caption(tr, data, report, period_text))


def report_caption(tr: Translator, data: reporting.ReportData, report: ReportFile,
                   period_text: str) -> str:
    lines = [tr._("📄 %(report)s, %(period)s.", report=report.title, period=period_text)]
    if data.left_out:
        lines.append(tr.ngettext(
            "%(n)s participant with a protected identity was left out.",
            "%(n)s participants with a protected identity were left out.", data.left_out))
    if data.scb is not None:
        lines.append(tr._("Personal identity numbers are masked here; the list for SCB with "
                          "the numbers comes from <code>koordinator report scb-monthly</code> "
                          "on the server."))
        if data.scb.changed_months:
            lines.append(tr._("Changed since the last export: %(months)s — send these months "
                              "again.", months=", ".join(data.scb.changed_months)))
    return "\n".join(lines)


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["report", "rapport"], report_command))
    app.add_handler(CallbackQueryHandler(report_button, pattern=r"^rp:"))
