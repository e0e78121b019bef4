"""/export: the filtered data as an XLSX workbook or a CSV file, for the funder's reports.

The workbook has three sheets (participants, check-ins, outcomes summary), the CSV the
participants only. Headers, sheet names and values (gender, status, outcome) are in the
reader's language; the CSV uses `;` where the locale writes decimal commas (as Swedish
Excel expects) and a BOM so Excel reads UTF-8. Which rows and columns an export holds —
names and notes only for roles allowed to export them, an audit row for every export —
is decided in `storage.exports`, not here; this module only lays the rows out.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from babel.numbers import get_decimal_symbol
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.documents.building import build_off_loop
from bot.text.i18n import N_, Translator
from bot.text.labels import CHANNEL_LABELS, GENDER_LABELS, OUTCOME_LABELS, STATUS_LABELS, fold
from bot.text.stats_text import category_label, period_label
from handlers.base import Turn, callback_parts, expired, staff_only
from handlers.stats import (
    StatsRequest,
    decode_request,
    filter_text,
    safe_keyboard,
    typed_request,
)
from storage import exports
from storage.access import Action
from storage.models import Channel, Gender, Outcome, OutcomeCategory, Status
from storage.stats import Breakdown, Figures, category_of

if TYPE_CHECKING:  # openpyxl is imported where a file is written: ~0.2 s and ~28 MiB at start-up
    from openpyxl.worksheet.worksheet import Worksheet

KINDS: dict[str, exports.ExportKind] = {"x": "xlsx", "c": "csv"}
_KIND_WORDS: dict[str, exports.ExportKind] = {"xlsx": "xlsx", "excel": "xlsx", "csv": "csv"}
SHEET_PARTICIPANTS = N_("Participants")
SHEET_CHECKINS = N_("Check-ins")
SHEET_SUMMARY = N_("Outcomes summary")
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

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


def sheet_title(tr: Translator, msgid: str) -> str:
    """A translated sheet name within Excel's rules (≤ 31 characters, no []:*?/\\)."""
    return _SHEET_FORBIDDEN.sub(" ", tr._(msgid))[:31]


def _fill(sheet: Worksheet, tr: Translator, columns: list[Column], rows: list[Any]) -> None:
    from openpyxl.styles import Font

    sheet.append([tr._(header) for header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([value(row) for _, value in columns])
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
        sheet.append([name, value])
    sheet.append([])
    sheet.append([tr._("Figure"), tr._("Count"), tr._("Share")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for name, count, share in _figure_rows(tr, table.total):
        sheet.append([name, count, share])
        sheet.cell(row=sheet.max_row, column=3).number_format = "0.0%"
    sheet.append([])
    sheet.append([tr._("Municipality"), tr._("Participants during the period"), tr._("Ended"),
                  tr._("To work or studies"), tr._("Share of those who ended")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for label, figures in [*((row.label, row.figures) for row in table.rows),
                           (tr._("Total"), table.total)]:
        sheet.append([label, figures.participants, figures.ended, figures.to_work_or_studies,
                      figures.share_of_ended])
        sheet.cell(row=sheet.max_row, column=5).number_format = "0.0%"
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.column_dimensions["A"].width = 48
    for letter in "BCDE":
        sheet.column_dimensions[letter].width = 16


def _figure_rows(tr: Translator, figures: Figures) -> list[tuple[str, int | None, float | None]]:
    rows: list[tuple[str, int | None, float | None]] = [
        (tr._("Participants during the period"), figures.participants, None),
        (tr._("Enrolled"), figures.enrolled, None),
        (tr._("Active now"), figures.active, None),
        (tr._("Ended"), figures.ended, None),
    ]
    rows += [(category_label(tr, category), figures.outcome(category),
              figures.outcome(category) / figures.ended if figures.ended else None)
             for category in OutcomeCategory]
    rows += [
        (tr._("To work or studies, share of ended"), figures.to_work_or_studies,
         figures.share_of_ended),
        (tr._("To work or studies, share of ended excluding dropouts"), None,
         figures.share_excluding_dropouts),
        (tr._("To work or studies, share of all participants"), None, figures.share_of_all),
        (tr._("Women to work or studies, share of women who ended"),
         figures.women.to_work_or_studies, figures.women.share_of_ended),
        (tr._("Men to work or studies, share of men who ended"),
         figures.men.to_work_or_studies, figures.men.share_of_ended),
        (tr._("Check-ins logged in the period"), figures.checkins, None),
    ]
    return rows


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


def csv_delimiter(tr: Translator) -> str:
    """`;` where numbers have decimal commas (Swedish Excel splits on it), else `,`."""
    return ";" if get_decimal_symbol(tr.locale) == "," else ","


def build_csv(data: exports.ExportData, tr: Translator) -> bytes:
    columns = participant_columns(tr, data.with_names)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(tr), lineterminator="\r\n")
    writer.writerow([tr._(header) for header, _ in columns])
    for row in data.participants:
        writer.writerow([_csv_value(value(row)) for _, value in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---- the handlers ------------------------------------------------------------------------
@staff_only(Action.EXPORT_DATA)
async def export_command(turn: Turn) -> None:
    typed = await typed_request(turn)
    if typed is None:
        return
    request, words = typed
    kinds = [_KIND_WORDS.get(fold(word)) for word in words.rest]
    if len(kinds) > 1 or None in kinds:
        await turn.reply(export_usage(turn.tr))
        return
    if not kinds:
        await offer_exports(turn, request)
        return
    kind = kinds[0]
    assert kind is not None
    await send_export(turn, request, kind)


def export_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/export xlsx</code> or <code>/export csv</code>, optionally with a "
        "period and filters as for /stats: <code>/export xlsx 2026-Q3 kommun:Växjö</code>. "
        "Or send /export alone to pick."
    )


async def offer_exports(turn: Turn, request: StatsRequest, *, edit: bool = False) -> None:
    tr = turn.tr
    text = tr._("Export %(period)s as:", period=period_label(tr, request.period))
    markup = safe_keyboard([[(tr._("Excel (XLSX)"), f"ex:x:{request.encode()}"),
                             (tr._("CSV"), f"ex:c:{request.encode()}")]])
    await (turn.edit(text, markup) if edit else turn.reply(text, markup))


@staff_only(Action.EXPORT_DATA)
async def export_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    request = decode_request(parts[2:], turn) if len(parts) > 2 else None
    if request is None or parts[1] not in {"p", *KINDS}:
        await expired(turn, "/export")
        return
    if parts[1] == "p":
        await offer_exports(turn, request, edit=True)
    else:
        await send_export(turn, request, KINDS[parts[1]])


async def send_export(turn: Turn, request: StatsRequest, kind: exports.ExportKind) -> None:
    """Read and audit-log in one transaction, lay out in a worker thread, send the file."""
    tr = turn.tr
    async with turn.transaction() as session:
        data = await exports.export_data(session, turn.require_viewer(),
                                         request.stats_filter(turn), kind=kind, now=turn.now)
        filters = await filter_text(session, turn, request)
    period = period_label(tr, request.period)
    if kind == "xlsx":
        heading = [(tr._("Period"), html.unescape(period)),
                   (tr._("Filter"), html.unescape(filters or tr._("none"))),
                   (tr._("Exported"), tr.datetime(turn.now))]
        content = await build_off_loop(build_xlsx, data, tr, heading)
    else:
        content = await build_off_loop(build_csv, data, tr)
    filename = f"koordinator-{request.period.label.replace('..', '_')}.{kind}"
    await turn.reply_document(content, filename, export_caption(tr, data, period, filters))


def export_caption(tr: Translator, data: exports.ExportData, period: str,
                   filters: str | None) -> str:
    participants = tr.ngettext("%(n)s participant", "%(n)s participants", len(data.participants))
    if data.summary is not None:
        checkins = tr.ngettext("%(n)s check-in", "%(n)s check-ins", len(data.checkins))
        lines = [tr._("📄 Export for %(period)s: %(participants)s and %(checkins)s.",
                      period=period, participants=participants, checkins=checkins)]
    else:
        lines = [tr._("📄 Export for %(period)s: %(participants)s.", period=period,
                      participants=participants)]
    if filters:
        lines.append(filters)
    if not data.with_names:
        lines.append(tr._("Names and notes are left out for your role; participants appear "
                          "by code."))
    if data.left_out:
        lines.append(tr.ngettext(
            "%(n)s participant with a protected identity was left out.",
            "%(n)s participants with a protected identity were left out.", data.left_out))
    return "\n".join(lines)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(export_button, pattern=r"^ex:"))
