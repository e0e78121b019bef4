"""The /export files: the filtered data as an XLSX workbook (participants, check-ins and
the outcomes summary) or a CSV file (the participants), for the funder's reports.

Headers, sheet names and values (gender, status, outcome) are in the reader's language;
the CSV uses the locale's delimiter (`bot.documents.cells`). Which rows and columns an
export holds is decided in `storage.exports`; this module only lays them out.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from bot.documents.cells import append
from bot.documents.cells import csv_file
from bot.documents.cells import csv_text
from bot.documents.cells import sheet_title
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.labels import CHANNEL_LABELS
from bot.text.labels import GENDER_LABELS
from bot.text.labels import OUTCOME_LABELS
from bot.text.labels import STATUS_LABELS
from bot.text.stats_text import category_label
from bot.text.stats_text import figure_rows
from bot.text.stats_text import share_cell
from storage import exports
from storage.models import Channel
from storage.models import Gender
from storage.models import Outcome
from storage.models import Status
from storage.municipalities import code_of as municipality_code
from storage.stats import Breakdown
from storage.stats import category_of

if TYPE_CHECKING:  # openpyxl is imported where a file is written: ~0.2 s and ~28 MiB at start-up
    from openpyxl.worksheet.worksheet import Worksheet

SHEET_PARTICIPANTS = N_("Participants")
SHEET_CHECKINS = N_("Check-ins")
SHEET_SUMMARY = N_("Outcomes summary")

Column = tuple[str, Callable[[Any], Any]]


# ---- laying rows out ---------------------------------------------------------------------
def participant_columns(tr: Translator, with_names: bool) -> list[Column]:
    def label(mapping: dict, kind: type, value: str | None) -> str:
        return tr._(mapping[kind(value)]) if value else ""

    columns: list[Column] = [(N_("Code"), lambda r: r.code)]
    if with_names:
        columns.append((N_("Name"), lambda r: r.name))
    columns += [
        (N_("Municipality"), lambda r: r.municipality),
        (N_("Municipality code"), lambda r: municipality_code(r.municipality)),
        (N_("Gender"), lambda r: label(GENDER_LABELS, Gender, r.gender)),
        (N_("Language"), lambda r: r.language),
        (N_("Coordinator"), lambda r: r.coordinator),
        (N_("Enrolled"), lambda r: r.enrolled_on),
        (N_("Status"), lambda r: label(STATUS_LABELS, Status, r.status)),
        (N_("Ended"), lambda r: r.ended_on),
        (N_("Outcome"), lambda r: label(OUTCOME_LABELS, Outcome, r.outcome)),
        (N_("Outcome category"),
         lambda r: category_label(tr, category_of(r.outcome)) if r.ended_on else ""),
    ]
    return columns


def checkin_columns(tr: Translator, with_names: bool) -> list[Column]:
    columns: list[Column] = [
        (N_("Code"), lambda r: r.code),
        (N_("Date and time"), lambda r: tr.local(r.happened_at).replace(tzinfo=None)),
        (N_("Channel"), lambda r: tr._(CHANNEL_LABELS[Channel(r.channel)])),
        (N_("Logged by"), lambda r: r.author),
        (N_("Status change"),
         lambda r: tr._(STATUS_LABELS[Status(r.status_change)]) if r.status_change else ""),
    ]
    if with_names:
        columns.append((N_("Note"), lambda r: r.note or ""))
    return columns


def _fill(sheet: Worksheet, tr: Translator, columns: list[Column], rows: list[Any]) -> None:
    from openpyxl.styles import Font

    append(sheet, [tr._(header) for header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append(sheet, [value(row) for _, value in columns])
    for index, (header, _) in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(tr._(header)) + 2)
        for cell in sheet[letter][1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"


def _summary(sheet: Worksheet, tr: Translator, heading: list[tuple[str, str]],
             table: Breakdown) -> None:
    """The funder's figures, then the same per municipality with totals."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for name, value in heading:
        append(sheet, [name, value])
    append(sheet, [])
    append(sheet, [tr._("Figure"), tr._("Count"), tr._("Share")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for name, count, share in figure_rows(tr, table.total):
        append(sheet, [name, count, share])
        sheet.cell(row=sheet.max_row, column=3).number_format = "0.0%"
    append(sheet, [])
    append(sheet, [tr._("Municipality"), tr._("In the project at some time in the period"),
                   tr._("Ended in the period"),
                   tr._("To work or studies (work, subsidised work, CSN studies)"),
                   tr._("To work or studies, share of those who ended")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for label, figures in [*((row.label, row.figures) for row in table.rows),
                           (tr._("Total"), table.total)]:
        append(sheet, [label, figures.participants, figures.ended,
                       figures.to_work_or_studies, share_cell(figures.share_of_ended)])
        sheet.cell(row=sheet.max_row, column=5).number_format = "0.0%"
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.column_dimensions["A"].width = 48
    for letter in "BCDE":
        sheet.column_dimensions[letter].width = 16


def build_xlsx(data: exports.ExportData, tr: Translator,
               heading: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    participants = workbook.active
    assert participants is not None
    participants.title = sheet_title(tr, SHEET_PARTICIPANTS)
    _fill(participants, tr, participant_columns(tr, data.with_names), data.participants)
    checkins = workbook.create_sheet(sheet_title(tr, SHEET_CHECKINS))
    _fill(checkins, tr, checkin_columns(tr, data.with_names), data.checkins)
    assert data.summary is not None
    _summary(workbook.create_sheet(sheet_title(tr, SHEET_SUMMARY)), tr, heading, data.summary)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(data: exports.ExportData, tr: Translator) -> bytes:
    columns = participant_columns(tr, data.with_names)
    rows = [[tr._(header) for header, _ in columns]]
    rows += [[csv_text(value(row)) for _, value in columns] for row in data.participants]
    return csv_file(rows, tr)
